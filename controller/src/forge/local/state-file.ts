// Where a running local forge is recorded so `vigil forge ...` can find it: .vigil/forge.json in the
// project directory (written by whoever starts the forge, e.g. `vigil start`). It holds the URL and the seed
// file's path, never a token: the CLI reads the acting user's token from the seed itself.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const FORGE_STATE_FILE = join('.vigil', 'forge.json');

export interface ForgeStateFile {
  /** The API base, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** Absolute path of the seed the forge was started with. */
  seed: string;
  pid: number;
  startedAt: string;
}

/** Write `<dir>/.vigil/forge.json` atomically; returns its path. */
export function writeForgeStateFile(dir: string, state: ForgeStateFile): string {
  const file = resolve(dir, FORGE_STATE_FILE);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

/** The nearest .vigil/forge.json from `from` upwards, as git finds .git; undefined when there is none. */
export function readForgeStateFile(from: string): { file: string; state: ForgeStateFile } | undefined {
  let dir = resolve(from);
  for (;;) {
    const file = join(dir, FORGE_STATE_FILE);
    if (existsSync(file)) {
      const state = JSON.parse(readFileSync(file, 'utf8')) as ForgeStateFile;
      return { file, state };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Remove a state file written by writeForgeStateFile (when its forge stops). */
export function removeForgeStateFile(file: string): void {
  rmSync(file, { force: true });
}
