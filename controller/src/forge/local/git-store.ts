// Bare git repositories on disk, read and written with git's plumbing commands: every file change the
// forge accepts is a real commit with the acting user as author, and every merge is a real merge commit.
import { spawn } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadOrCreateKey,
  splitSignature,
  sshSign,
  UNSIGNED,
  type Verification,
  verifySignature,
  withSignatureHeader,
} from './signing.js';

export interface GitIdentity {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  at: number;
}

export interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  message: string;
  /** The signature check, as GitHub reports it (unsigned when absent). */
  verification?: Verification;
}

/**
 * Who vouches for a new commit: the forge signs what it composed itself ('forge'); a commit whose metadata the
 * caller wrote is left unsigned ('none') or carries the caller's own signature text.
 */
export type CommitSigning = 'forge' | 'none' | { signature: string };

/** One entry of a tree being built: a null sha removes the path. */
export interface TreeEdit {
  path: string;
  mode: '100644' | '100755' | '040000' | '160000' | '120000';
  sha: string | null;
}

/** What one commit changed against its first parent (the push event's added/removed/modified). */
export interface CommitChanges {
  added: string[];
  removed: string[];
  modified: string[];
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  path: string;
  size: number;
}

export interface ChangedFile {
  path: string;
  status: 'added' | 'removed' | 'modified';
  additions: number;
  deletions: number;
  /** Blob of the new side (the old side for a removed file). */
  sha: string | null;
  patch: string;
}

export class GitFailure extends Error {
  override name = 'GitFailure';
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  }
}

interface RunOptions {
  input?: Buffer | string;
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (merge-tree answers 1 for conflicts). */
  okCodes?: number[];
}

/** Run git with an argument vector (never a shell string) and return stdout as bytes. */
function run(
  cwd: string,
  args: string[],
  options: RunOptions = {},
): Promise<{ stdout: Buffer; code: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: cwd,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
        LC_ALL: 'C',
        ...options.env,
      },
      // stdin only when there is input: a command that never reads it may exit before a write (EPIPE).
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ok = code === 0 || (code !== null && (options.okCodes ?? []).includes(code));
      if (ok) resolvePromise({ stdout: Buffer.concat(out), code: code ?? 0 });
      else reject(new GitFailure(args, code, Buffer.concat(err).toString('utf8')));
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

const identityEnv = (author: GitIdentity, committer: GitIdentity): Record<string, string> => ({
  GIT_AUTHOR_NAME: author.name,
  GIT_AUTHOR_EMAIL: author.email,
  GIT_AUTHOR_DATE: `${author.at} +0000`,
  GIT_COMMITTER_NAME: committer.name,
  GIT_COMMITTER_EMAIL: committer.email,
  GIT_COMMITTER_DATE: `${committer.at} +0000`,
});

/** The tree with nothing in it: what a root commit is compared against. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const ZERO_SHA = '0'.repeat(40);

/** One bare repository. Writes are compare-and-swap on the ref, so a lost race is a conflict, not a lost commit. */
export class BareRepo {
  private signingKey?: KeyObject;

  constructor(readonly path: string) {}

  /** The forge's key for this repository, kept in the git directory so a restart keeps verifying. */
  private key(): KeyObject {
    this.signingKey ??= loadOrCreateKey(join(this.path, 'forge-signing-key'));
    return this.signingKey;
  }

  private git(args: string[], options?: RunOptions) {
    return run(this.path, args, options);
  }

  private async text(args: string[], options?: RunOptions): Promise<string> {
    return (await this.git(args, options)).stdout.toString('utf8');
  }

  static async init(path: string, defaultBranch: string): Promise<BareRepo> {
    mkdirSync(path, { recursive: true });
    await run(path, ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, path]);
    return new BareRepo(path);
  }

  /** The commit a branch, tag or sha names; undefined when it names nothing. */
  async resolve(ref: string): Promise<string | undefined> {
    if (ref.startsWith('-')) return undefined;
    const { stdout, code } = await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      okCodes: [1, 128],
    });
    return code === 0 ? stdout.toString('utf8').trim() : undefined;
  }

  async branchTip(branch: string): Promise<string | undefined> {
    return this.resolve(`refs/heads/${branch}`);
  }

  async branches(): Promise<string[]> {
    const out = await this.text(['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/']);
    return out.split('\n').filter(Boolean);
  }

  async refExists(fullRef: string): Promise<boolean> {
    const { code } = await this.git(['show-ref', '--verify', '--quiet', fullRef], { okCodes: [1] });
    return code === 0;
  }

  /** Point `fullRef` at `sha` only if it still points at `expected` (undefined: only if it does not exist). */
  async updateRef(fullRef: string, sha: string, expected: string | undefined): Promise<boolean> {
    const { code } = await this.git(['update-ref', fullRef, sha, expected ?? '0'.repeat(40)], {
      okCodes: [1, 128],
    });
    return code === 0;
  }

  async deleteRef(fullRef: string, expected: string): Promise<boolean> {
    const { code } = await this.git(['update-ref', '-d', fullRef, expected], { okCodes: [1, 128] });
    return code === 0;
  }

  async commit(sha: string): Promise<GitCommit> {
    const raw = await this.text(['cat-file', 'commit', sha]);
    return this.withVerification(parseCommit(sha, raw), raw);
  }

  private withVerification(commit: GitCommit, raw: string): GitCommit {
    const signed = splitSignature(raw);
    if (!signed) return { ...commit, verification: UNSIGNED };
    const verification = verifySignature(signed.signature, signed.payload, this.key());
    // GitHub records when it verified; the forge verified when the commit was made.
    if (verification.verified) verification.verifiedAt = commit.committer.at;
    return { ...commit, verification };
  }

  /** The type of the object a sha names (blob, tree, commit, tag), or undefined when there is none. */
  async objectType(sha: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
    const { stdout, code } = await this.git(['cat-file', '-t', sha], { okCodes: [1, 128] });
    return code === 0 ? stdout.toString('utf8').trim() : undefined;
  }

  async writeBlob(content: Buffer): Promise<string> {
    return (await this.text(['hash-object', '-w', '--stdin'], { input: content })).trim();
  }

  /** A tree: `base` (a tree or commit) with the edits applied, or only the edits when there is no base. */
  async writeTree(base: string | undefined, edits: TreeEdit[]): Promise<string> {
    const scratch = mkdtempSync(join(tmpdir(), 'vigil-forge-index-'));
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    try {
      if (base) await this.git(['read-tree', base], { env });
      else await this.git(['read-tree', '--empty'], { env });
      for (const e of edits) {
        // A path replaced wholesale (by a directory, a file or nothing) loses what was under it. Index edits
        // go through --index-info: update-index --force-remove wants a work tree, and a bare repository has none.
        const under = (await this.text(['ls-files', '-z', '--', e.path], { env }))
          .split('\0')
          .filter(Boolean);
        if (under.length > 0)
          await this.indexInfo(
            under.map((p) => `0 ${ZERO_SHA}\t${p}`),
            env,
          );
        if (e.sha === null) continue;
        if (e.mode === '040000') await this.git(['read-tree', `--prefix=${e.path}/`, e.sha], { env });
        else await this.indexInfo([`${e.mode} ${e.sha}\t${e.path}`], env);
      }
      return (await this.text(['write-tree'], { env })).trim();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  private async indexInfo(lines: string[], env: Record<string, string>): Promise<void> {
    await this.git(['update-index', '-z', '--index-info'], {
      env,
      input: lines.map((l) => `${l}\0`).join(''),
    });
  }

  /**
   * Commits reachable from an `include` and from no `exclude`, oldest first. Both sides are walked in full:
   * `git rev-list A ^B` stops early on commit dates, and dates are whatever the pusher wrote, so a chain of
   * commits dated before their parents would make it report commits of B as A's own.
   */
  async revList(include: string[], exclude: string[]): Promise<string[]> {
    if (include.length === 0) return [];
    const walk = async (args: string[]) =>
      (await this.text(['rev-list', ...args])).split('\n').filter(Boolean);
    const included = await walk(['--reverse', '--topo-order', ...include]);
    if (exclude.length === 0) return included;
    const excluded = new Set(await walk(exclude));
    return included.filter((sha) => !excluded.has(sha));
  }

  /** Every ref and the commit it points at. */
  async refs(): Promise<Map<string, string>> {
    const out = await this.text(['for-each-ref', '--format=%(refname) %(objectname)']);
    return new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  }

  /** The files each commit added, removed and modified against its first parent, in one git call. */
  async changesOf(shas: string[]): Promise<Map<string, CommitChanges>> {
    const result = new Map<string, CommitChanges>();
    if (shas.length === 0) return result;
    const out = await this.text(
      [
        'log',
        '--no-walk=unsorted',
        '--first-parent',
        '-m',
        '--no-renames',
        '--name-status',
        '-z',
        '--format=%x01%H',
        '--stdin',
      ],
      { input: `${shas.join('\n')}\n` },
    );
    for (const chunk of out.split('\x01').filter(Boolean)) {
      const [head = '', ...rest] = chunk.split('\0');
      const sha = head.trim().split('\n')[0] ?? '';
      const changes: CommitChanges = { added: [], removed: [], modified: [] };
      const fields = [head.includes('\n') ? head.slice(head.indexOf('\n') + 1) : '', ...rest]
        .map((f) => f.replace(/^\n+/, ''))
        .filter((f) => f !== '');
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const status = fields[i] ?? '';
        const path = fields[i + 1] ?? '';
        if (status.startsWith('A')) changes.added.push(path);
        else if (status.startsWith('D')) changes.removed.push(path);
        else changes.modified.push(path);
      }
      result.set(sha, changes);
    }
    return result;
  }

  /** The entry at `path` in a commit's tree (a file, a directory or a submodule), if any. */
  async entry(commit: string, path: string): Promise<TreeEntry | undefined> {
    if (path === '' || path === '/') {
      const tree = (await this.commit(commit)).tree;
      return { mode: '040000', type: 'tree', sha: tree, path: '', size: 0 };
    }
    const out = await this.text(['ls-tree', '--long', '-z', commit, '--', path]);
    const line = out.split('\0').find(Boolean);
    return line ? parseTreeLine(line) : undefined;
  }

  /** The entries directly under a directory. */
  async list(commit: string, dir: string): Promise<TreeEntry[]> {
    const spec = dir === '' ? commit : `${commit}:${dir}`;
    const out = await this.text(['ls-tree', '--long', '-z', spec]);
    return out
      .split('\0')
      .filter(Boolean)
      .map((l) => {
        const e = parseTreeLine(l);
        return { ...e, path: dir === '' ? e.path : `${dir}/${e.path}` };
      });
  }

  /** The tree a sha, branch or tag names (a commit's tree for a commit); undefined when it names none. */
  async resolveTree(name: string): Promise<string | undefined> {
    if (name.startsWith('-')) return undefined;
    const { stdout, code } = await this.git(['rev-parse', '--verify', '--quiet', `${name}^{tree}`], {
      okCodes: [1, 128],
    });
    return code === 0 ? stdout.toString('utf8').trim() : undefined;
  }

  /** A tree's entries; with `recursive`, every level, each directory listed before what it holds. */
  async tree(sha: string, recursive: boolean): Promise<TreeEntry[]> {
    const out = await this.text(['ls-tree', '--long', '-z', ...(recursive ? ['-r', '-t'] : []), sha]);
    return out.split('\0').filter(Boolean).map(parseTreeLine);
  }

  async blob(sha: string): Promise<Buffer> {
    return (await this.git(['cat-file', 'blob', sha])).stdout;
  }

  /**
   * A commit on `parent` that sets (or, with null, removes) the files given, without touching a work tree:
   * a private index is read from the parent, edited and written as a tree.
   */
  async commitFiles(
    parent: string | undefined,
    files: Map<string, Buffer | null>,
    message: string,
    author: GitIdentity,
    committer: GitIdentity = author,
    signing: CommitSigning = 'forge',
  ): Promise<string> {
    const scratch = mkdtempSync(join(tmpdir(), 'vigil-forge-index-'));
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    try {
      if (parent) await this.git(['read-tree', parent], { env });
      for (const [path, content] of files) {
        if (content === null) {
          await this.indexInfo([`0 ${ZERO_SHA}\t${path}`], env);
          continue;
        }
        const blob = (await this.text(['hash-object', '-w', '--stdin'], { input: content })).trim();
        await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
      }
      const tree = (await this.text(['write-tree'], { env })).trim();
      return await this.commitTree(tree, parent ? [parent] : [], message, author, committer, signing);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async commitTree(
    tree: string,
    parents: string[],
    message: string,
    author: GitIdentity,
    committer: GitIdentity,
    signing: CommitSigning = 'forge',
  ): Promise<string> {
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
    const unsigned = (await this.text(args, { input: message, env: identityEnv(author, committer) })).trim();
    if (signing === 'none') return unsigned;
    // Sign the object git composed: the payload is exactly the unsigned commit, as `git commit -S` signs it.
    const raw = await this.text(['cat-file', 'commit', unsigned]);
    const signature = signing === 'forge' ? sshSign(this.key(), raw) : signing.signature;
    const signed = withSignatureHeader(raw, signature);
    return (await this.text(['hash-object', '-t', 'commit', '-w', '--stdin'], { input: signed })).trim();
  }

  /** The tree of merging `theirs` into `ours`, or undefined when they conflict. */
  async mergeTree(ours: string, theirs: string): Promise<string | undefined> {
    const { stdout, code } = await this.git(['merge-tree', '--write-tree', '--no-messages', ours, theirs], {
      okCodes: [1],
    });
    if (code === 1) return undefined;
    return stdout.toString('utf8').split('\n')[0]?.trim();
  }

  /**
   * A best common ancestor: the first commit of `b`'s history, children before parents, that `a` reaches
   * (none of the other common ancestors descends from it). Walked in full, not guided by commit dates.
   */
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const ofA = new Set((await this.text(['rev-list', a])).split('\n').filter(Boolean));
    const ofB = (await this.text(['rev-list', '--topo-order', b])).split('\n').filter(Boolean);
    return ofB.find((sha) => ofA.has(sha));
  }

  /** Commits reachable from `head` and not from `base`, oldest first (the order GitHub lists a PR's commits). */
  async commitsBetween(base: string, head: string): Promise<GitCommit[]> {
    return this.commits(await this.revList([head], [base]));
  }

  /** Many commits in one `git cat-file --batch` call, in the order asked (a pull request can hold hundreds). */
  async commits(shas: string[]): Promise<GitCommit[]> {
    if (shas.length === 0) return [];
    const { stdout } = await this.git(['cat-file', '--batch'], { input: `${shas.join('\n')}\n` });
    const out: GitCommit[] = [];
    let at = 0;
    for (const sha of shas) {
      const eol = stdout.indexOf(0x0a, at);
      const header = stdout.subarray(at, eol).toString('utf8');
      const [, type = '', size = '0'] = header.split(' ');
      if (type !== 'commit') throw new GitFailure(['cat-file', '--batch'], 0, `${sha} is not a commit`);
      const raw = stdout.subarray(eol + 1, eol + 1 + Number(size)).toString('utf8');
      at = eol + 1 + Number(size) + 1;
      out.push(this.withVerification(parseCommit(sha, raw), raw));
    }
    return out;
  }

  /** The files that differ between the merge base of `base` and `head`, and `head` (GitHub's three-dot diff). */
  async changedFiles(base: string, head: string): Promise<ChangedFile[]> {
    return this.diffFiles((await this.mergeBase(base, head)) ?? base, head);
  }

  /** The files that differ between two trees or commits (a commit against its parent, or the empty tree). */
  async diffFiles(from: string, head: string): Promise<ChangedFile[]> {
    const raw = await this.text(['diff-tree', '-r', '--no-renames', '-z', '--raw', '--numstat', from, head]);
    const parts = raw.split('\0');
    const files: ChangedFile[] = [];
    const counts = new Map<string, [number, number]>();
    let i = 0;
    const raws: { path: string; status: string; oldSha: string; newSha: string }[] = [];
    while (i < parts.length) {
      const part = parts[i] ?? '';
      if (part.startsWith(':')) {
        const [, , oldSha = '', newSha = '', status = ''] = part.slice(1).split(' ');
        raws.push({ path: parts[i + 1] ?? '', status, oldSha, newSha });
        i += 2;
      } else if (/^\d+\t\d+\t/.test(part) || /^-\t-\t/.test(part)) {
        const [add = '0', del = '0', path = ''] = part.split('\t');
        counts.set(path, [Number(add) || 0, Number(del) || 0]);
        i += 1;
      } else {
        i += 1;
      }
    }
    for (const r of raws) {
      const [additions, deletions] = counts.get(r.path) ?? [0, 0];
      const status = r.status === 'A' ? 'added' : r.status === 'D' ? 'removed' : 'modified';
      const diff = await this.text(['diff', '--no-color', '--unified=3', from, head, '--', r.path]);
      // GitHub's `patch` is the hunks only, without the diff header.
      const hunks = diff.indexOf('\n@@');
      files.push({
        path: r.path,
        status,
        additions,
        deletions,
        sha: status === 'removed' ? r.oldSha : r.newSha,
        patch: hunks >= 0 ? diff.slice(hunks + 1).trimEnd() : '',
      });
    }
    return files;
  }

  /** Whether `ancestor` is reachable from `descendant`. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    // A full walk, not merge-base's date-guided one: commit dates are caller-written (see revList).
    const out = await this.text(['rev-list', descendant]);
    return out.split('\n').includes(ancestor);
  }

  /** Commits reachable from `head` that changed `path`, newest first, as `git log -- path` simplifies them. */
  async pathHistory(head: string, path: string, max: number, skip = 0): Promise<GitCommit[]> {
    const args = ['rev-list', `--max-count=${max}`, `--skip=${skip}`, head, '--', path];
    const shas = (await this.text(args)).split('\n').filter(Boolean);
    return Promise.all(shas.map((s) => this.commit(s)));
  }

  /** `git log` of a branch as one line per commit: "sha author-email subject" (for tests and people). */
  async log(ref: string, max = 50): Promise<string[]> {
    const out = await this.text(['log', `--max-count=${max}`, '--format=%H %ae %s', ref]);
    return out.split('\n').filter(Boolean);
  }
}

function parseTreeLine(line: string): TreeEntry {
  const tab = line.indexOf('\t');
  const [mode = '', type = 'blob', sha = '', size = '-'] = line.slice(0, tab).split(/\s+/);
  return {
    mode,
    type: type as TreeEntry['type'],
    sha,
    path: line.slice(tab + 1),
    size: size === '-' ? 0 : Number(size),
  };
}

function parseIdentity(value: string): GitIdentity {
  const m = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(value);
  return { name: m?.[1] ?? value, email: m?.[2] ?? '', at: Number(m?.[3] ?? 0) };
}

export function parseCommit(sha: string, raw: string): GitCommit {
  const split = raw.indexOf('\n\n');
  const headers = (split >= 0 ? raw.slice(0, split) : raw).split('\n');
  const message = split >= 0 ? raw.slice(split + 2) : '';
  const commit: GitCommit = {
    sha,
    tree: '',
    parents: [],
    author: { name: '', email: '', at: 0 },
    committer: { name: '', email: '', at: 0 },
    message,
  };
  for (const h of headers) {
    const space = h.indexOf(' ');
    const key = h.slice(0, space);
    const value = h.slice(space + 1);
    if (key === 'tree') commit.tree = value;
    else if (key === 'parent') commit.parents.push(value);
    else if (key === 'author') commit.author = parseIdentity(value);
    else if (key === 'committer') commit.committer = parseIdentity(value);
  }
  return commit;
}
