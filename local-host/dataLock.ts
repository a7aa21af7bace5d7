// One `npm run local` per --data folder: two would share one Azurite location and one durable
// store and corrupt both. The lock is `<data>/local.lock` holding the owner's PID; a lock whose
// process is gone (a crash) is taken over.
import fs from "node:fs";
import path from "node:path";

export class DataFolderInUseError extends Error {}

export function lockDataFolder(dataDir: string): { release(): void } {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "local.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return {
        release: () => {
          if (ownerOf(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = ownerOf(file);
      if (owner !== undefined && isAlive(owner)) {
        throw new DataFolderInUseError(`The data folder ${dataDir} is in use by another \`npm run local\` (pid ${owner}). Stop that one first, or pass another --data folder.`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new DataFolderInUseError(`Could not lock the data folder ${dataDir}: another \`npm run local\` is starting on it.`);
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
