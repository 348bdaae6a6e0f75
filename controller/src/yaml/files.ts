// Reads the files and directories named on the command line. The I/O lives here; loadYamlSource stays pure.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { Diagnostic } from '../diagnostics.js';
import { resolveLimits, tooLargeMessage } from './limits.js';
import { type LoadedYaml, loadYamlSource, type YamlLoadOptions } from './source.js';

const YAML_FILE = /\.ya?ml$/i;
// Dependencies and VCS internals are never governance objects; dot-directories (.github, .vscode) and dot-files
// (.pre-commit-config.yaml) hold other tools' YAML.
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

/** A file in a directory listing paths (gitignore syntax) that a walk of that directory skips. */
export const IGNORE_FILE = '.vigilignore';

/**
 * Loads every named file, and every `*.yaml`/`*.yml` under every named directory, in sorted order.
 * A `.vigilignore` in a walked directory skips what it lists below that directory; a path named by the caller is
 * always read, so `vigil validate examples/broken/` reads what `examples/.vigilignore` skips in `vigil validate examples/`.
 * Paths in diagnostics are spelled as the caller gave them.
 */
export async function loadYamlFiles(
  paths: readonly string[],
  options: YamlLoadOptions = {},
): Promise<LoadedYaml> {
  const result: LoadedYaml = { documents: [], diagnostics: [] };
  await readYamlFiles(paths, options, (loaded) => {
    for (const d of loaded.diagnostics) result.diagnostics.push(d);
    for (const doc of loaded.documents) result.documents.push(doc);
  });
  return result;
}

/**
 * As loadYamlFiles, but hands over what it read a file at a time (problems finding the files first), so a
 * caller that is done with a file's documents once it has seen them need not hold every document at once.
 */
export async function readYamlFiles(
  paths: readonly string[],
  options: YamlLoadOptions,
  visit: (loaded: LoadedYaml) => void,
): Promise<void> {
  const { files, diagnostics } = await findYamlFiles(paths);
  if (diagnostics.length > 0) visit({ documents: [], diagnostics });
  for (const file of files) visit(readYamlFile(file, options));
}

/**
 * The files loadYamlFiles would read, in the order it reads them, and the problems finding them: for a caller
 * that shares the reading out (among worker threads) yet must report as if it had read them one by one.
 */
export async function findYamlFiles(
  paths: readonly string[],
): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const files = new Set<string>();
  for (const path of paths) {
    for (const found of await expand(path, diagnostics)) files.add(found);
  }
  return { files: [...files].sort(byCodePoint), diagnostics };
}

/** One file found by findYamlFiles, read and loaded (a file that cannot be read gives its diagnostic). */
export function readYamlFile(file: string, options: YamlLoadOptions = {}): LoadedYaml {
  const read = readBounded(file, resolveLimits(options).maxBytes);
  return Buffer.isBuffer(read) ? loadYamlSource(read, file, options) : { documents: [], diagnostics: [read] };
}

/**
 * The file's bytes, or why it was not read: an oversized file is refused from its size, never read into memory.
 * Read synchronously: files are parsed one after another anyway, and an asynchronous read of a small file costs
 * the caller about ten times what the read itself does.
 */
function readBounded(file: string, maxBytes: number): Buffer | Diagnostic {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const { size } = fstatSync(fd);
    if (size > maxBytes) return problem(file, 'yaml.too-large', tooLargeMessage(size, maxBytes));
    return readFileSync(fd);
  } catch (err) {
    return unreadable(file, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function expand(path: string, diagnostics: Diagnostic[]): Promise<string[]> {
  try {
    if (!(await stat(path)).isDirectory()) return [path];
  } catch (err) {
    diagnostics.push(unreadable(path, err));
    return [];
  }
  const out: string[] = [];
  const visited = new Set<string>();
  const pending: { dir: string; rules: IgnoreRules[] }[] = [{ dir: path, rules: [] }];
  while (pending.length > 0) {
    const { dir, rules: inherited } = pending.pop()!;
    try {
      // A symlink loop must not walk forever.
      const real = await realpath(dir);
      if (visited.has(real)) continue;
      visited.add(real);
      const entries = await readdir(dir, { withFileTypes: true });
      const own = entries.some((e) => e.name === IGNORE_FILE && e.isFile())
        ? [{ base: dir, matcher: ignore().add(await readFile(join(dir, IGNORE_FILE), 'utf8')) }]
        : [];
      const rules = [...inherited, ...own];
      for (const entry of entries) {
        if (entry.name.startsWith('.') || SKIPPED_DIRECTORIES.has(entry.name)) continue;
        const child = join(dir, entry.name);
        const isDirectory =
          entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectoryTarget(child)));
        if (isIgnored(rules, child, isDirectory)) continue;
        if (isDirectory) pending.push({ dir: child, rules });
        else if (YAML_FILE.test(entry.name)) out.push(child);
      }
    } catch (err) {
      diagnostics.push(unreadable(dir, err));
    }
  }
  return out;
}

interface IgnoreRules {
  base: string;
  matcher: Ignore;
}

function isIgnored(rules: readonly IgnoreRules[], path: string, isDirectory: boolean): boolean {
  return rules.some(({ base, matcher }) => {
    const rel = relative(base, path).split(sep).join('/');
    return matcher.ignores(isDirectory ? `${rel}/` : rel);
  });
}

function problem(file: string, code: string, message: string): Diagnostic {
  return { file, line: 0, col: 0, path: '', code, message, severity: 'error' };
}

function unreadable(file: string, err: unknown): Diagnostic {
  return problem(file, 'yaml.unreadable', `cannot read the file: ${osReason(err)}`);
}

async function isDirectoryTarget(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** `no such file or directory (ENOENT)` from Node's `ENOENT: no such file or directory, open 'x'`. */
function osReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const text = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
  return code ? `${text} (${code})` : text;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
