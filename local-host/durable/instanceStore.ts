import fs from "node:fs";
import path from "node:path";

/**
 * Where the durable engine keeps its instances when a run must survive a restart: one JSON file
 * per instance, replaced atomically (write to a temporary file, then rename) after every
 * committed change, so a crash leaves either the old or the new state of an instance, never half.
 */
export interface InstanceStore {
  save(instanceId: string, state: object): void;
  remove(instanceId: string): void;
  loadAll(): object[];
}

export class FileInstanceStore implements InstanceStore {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  save(instanceId: string, state: object): void {
    const file = this.fileOf(instanceId);
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(state));
    fs.renameSync(temporary, file);
  }

  remove(instanceId: string): void {
    fs.rmSync(this.fileOf(instanceId), { force: true });
  }

  loadAll(): object[] {
    const states: object[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith(".tmp")) {
        fs.rmSync(path.join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(".json")) continue;
      states.push(JSON.parse(fs.readFileSync(path.join(this.dir, name), "utf8")) as object);
    }
    return states;
  }

  /** Instance ids may hold any character (sub-orchestration ids carry ':'), so the name encodes them. */
  private fileOf(instanceId: string): string {
    return path.join(this.dir, `${Buffer.from(instanceId).toString("base64url")}.json`);
  }
}
