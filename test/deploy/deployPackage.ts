// What `azd deploy` puts in the app package, computed the way azd computes it: the project folder,
// less `.azure/`, the ignore file itself and `local.settings.json`, less what `.funcignore`
// matches (azure-dev cli/azd/pkg/project createDeployableZip: denormal/go-gitignore rules matched
// against each path, a skipped folder skipping its contents). `ignore` implements the same
// gitignore rules.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import ignore from "ignore";

export const IGNORE_FILE = ".funcignore";

/** Paths (relative, `/`-separated) of the files azd would zip from `root`. */
export function deployedFiles(root: string): string[] {
  const ignoreFile = path.join(root, IGNORE_FILE);
  // azd strips a UTF-8 byte order mark before parsing the rules.
  const rules = existsSync(ignoreFile) ? readFileSync(ignoreFile, "utf8").replace(/^\uFEFF/, "") : undefined;
  const matcher = rules === undefined ? undefined : ignore().add(rules);
  const files: string[] = [];
  const walk = (relativeDir: string) => {
    for (const name of readdirSync(path.join(root, relativeDir)).sort()) {
      const relative = relativeDir ? `${relativeDir}/${name}` : name;
      const isDir = statSync(path.join(root, relative)).isDirectory();
      if (isDir && name === ".azure") continue;
      if (!isDir && (name === IGNORE_FILE || name === "local.settings.json")) continue;
      if (matcher?.ignores(isDir ? `${relative}/` : relative)) continue;
      // Without an ignore file azd leaves out node_modules for a remote build.
      if (!matcher && isDir && name === "node_modules") continue;
      if (isDir) walk(relative);
      else files.push(relative);
    }
  };
  walk("");
  return files;
}
