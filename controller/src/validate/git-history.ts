// Files as a git commit holds them, read with the git the machine has: the version of a contract at the base of a
// pull request, or at any ref a person names. Read-only: nothing here changes the repository or its work tree.
import { execFile } from 'node:child_process';

/** Git could not answer: not a repository, an unknown ref. The message is one line, for the person. */
export class GitHistoryError extends Error {
  override name = 'GitHistoryError';
  constructor(
    message: string,
    /** git's exit status, when it ran. */
    readonly exitStatus?: number,
  ) {
    super(message);
  }
}

// A governance repository's YAML is small; a larger answer means a wrong path.
const MAX_BUFFER = 64 * 1024 * 1024;

function git(dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', dir, ...args],
      { encoding: 'utf8', maxBuffer: MAX_BUFFER },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOENT') return reject(new GitHistoryError('git is not installed or not on the PATH'));
        const first = String(stderr).trim().split('\n')[0] ?? '';
        const status = typeof code === 'number' ? code : undefined;
        reject(new GitHistoryError(first.replace(/^fatal: /, '') || error.message, status));
      },
    );
  });
}

/** The repository's top directory, for a directory inside it. */
export async function repositoryRoot(dir: string): Promise<string> {
  try {
    return (await git(dir, ['rev-parse', '--show-toplevel'])).trim();
  } catch (error) {
    throw new GitHistoryError(`${dir} is not in a git repository (${(error as Error).message})`);
  }
}

/** The commit `ref` names, or a clear error when it names none. */
export async function resolveCommit(dir: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new GitHistoryError(`"${ref}" is not a git ref`);
  try {
    return (
      await git(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
    ).trim();
  } catch {
    throw new GitHistoryError(`"${ref}" names no commit in the repository at ${dir}`);
  }
}

/**
 * The files under `prefix` at `commit` whose text holds `text`, as paths from the top: one git process for the
 * whole tree, so a large repository is not read file by file.
 */
export async function filesContaining(
  root: string,
  commit: string,
  prefix: string,
  text: string,
): Promise<string[]> {
  let out: string;
  try {
    out = await git(root, ['grep', '-l', '-z', '-F', '-e', text, commit, '--', prefix || '.']);
  } catch (error) {
    // git grep exits 1 when no file matches.
    if (error instanceof GitHistoryError && error.exitStatus === 1) return [];
    throw error;
  }
  return out
    .split('\0')
    .filter((p) => p !== '')
    .map((p) => (p.startsWith(`${commit}:`) ? p.slice(commit.length + 1) : p));
}

/** The text of `path` (from the repository's top) at `commit`; undefined when the commit has no such file. */
export async function fileAt(root: string, commit: string, path: string): Promise<string | undefined> {
  const listed = await git(root, ['ls-tree', '--full-tree', '--name-only', commit, '--', path]);
  if (listed.trim() === '') return undefined;
  return git(root, ['cat-file', 'blob', `${commit}:${path}`]);
}

/**
 * A `REF:path` argument as git reads it (`HEAD~1:contracts/encounters.yaml`, `main:./encounters.yaml`), from the
 * repository holding `cwd`; undefined when the argument is not of that form.
 */
export async function readRefPath(
  cwd: string,
  arg: string,
): Promise<{ ref: string; path: string; text: string } | undefined> {
  const match = /^([^:]+):(.+)$/.exec(arg);
  if (!match) return undefined;
  const [, ref, path] = match as unknown as [string, string, string];
  const root = await repositoryRoot(cwd);
  const commit = await resolveCommit(cwd, ref);
  // `./x` is relative to where the command runs, as git reads it; anything else is from the repository's top.
  const fromTop = path.startsWith('./') || path.startsWith('../') ? await relativeToTop(cwd, path) : path;
  const text = await fileAt(root, commit, fromTop);
  if (text === undefined) throw new GitHistoryError(`${ref} has no file ${fromTop}`);
  return { ref, path: fromTop, text };
}

async function relativeToTop(cwd: string, path: string): Promise<string> {
  const prefix = (await git(cwd, ['rev-parse', '--show-prefix'])).trim();
  const parts: string[] = prefix.split('/').filter((p) => p !== '');
  for (const part of path.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}
