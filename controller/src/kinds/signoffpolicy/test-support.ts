// A governance repository in memory for the revision's tests: commits with their parent and files, branches, and
// the four forge reads the revision needs, answered as GitHub answers them (a file's history is the commits that
// changed it on the first-parent line; a ref that names nothing is undefined or a 404).
import { createHash } from 'node:crypto';
import { type Forge, NotFoundError } from '../../forge/forge.js';

interface Commit {
  parent?: string;
  files: Record<string, string>;
}

const blobSha = (text: string) => createHash('sha1').update(`blob ${text.length}\0${text}`).digest('hex');

export class GovernanceRepoFake {
  readonly commits = new Map<string, Commit>();
  readonly branches = new Map<string, string>();
  /** Calls by method name. */
  readonly calls: Record<string, number> = {};
  private counter = 0;

  constructor(readonly repository = 'northwind-health/ai-governance') {}

  /** A commit on `branch` (created from `from`, else its head) setting (or, with null, removing) files. */
  commit(branch: string, files: Record<string, string | null>, from?: string): string {
    const parent = from ?? this.branches.get(branch);
    const before = parent ? this.commits.get(parent)!.files : {};
    const next: Record<string, string> = { ...before };
    for (const [path, text] of Object.entries(files)) {
      if (text === null) delete next[path];
      else next[path] = text;
    }
    this.counter += 1;
    const sha = createHash('sha1').update(`commit ${this.counter}`).digest('hex');
    this.commits.set(sha, { ...(parent ? { parent } : {}), files: next });
    this.branches.set(branch, sha);
    return sha;
  }

  private resolve(ref: string): string | undefined {
    if (this.commits.has(ref)) return ref;
    return this.branches.get(ref);
  }

  private count(method: string) {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  forge(overrides: Partial<Forge> = {}): Forge {
    const repoOf = (repo: string) => {
      if (repo !== this.repository) throw new NotFoundError('GET repo', 'Not Found', 404);
    };
    const forge: Partial<Forge> = {
      branchHead: async (repo, branch) => {
        this.count('branchHead');
        repoOf(repo);
        return this.branches.get(branch);
      },
      listFiles: async (repo, ref) => {
        this.count('listFiles');
        repoOf(repo);
        const sha = this.resolve(ref);
        if (!sha) return undefined;
        const files = Object.entries(this.commits.get(sha)!.files).map(([path, text]) => ({
          path,
          sha: blobSha(text),
          size: Buffer.byteLength(text),
        }));
        return { files, truncated: false };
      },
      readFile: async (repo, path, ref) => {
        this.count('readFile');
        repoOf(repo);
        const sha = this.resolve(ref);
        const text = sha ? this.commits.get(sha)!.files[path] : undefined;
        return text === undefined ? undefined : { content: text, sha: blobSha(text) };
      },
      listFileCommits: async (repo, path, ref, max = 100) => {
        this.count('listFileCommits');
        repoOf(repo);
        let sha = this.resolve(ref);
        if (!sha) throw new NotFoundError('GET commits', `No commit found for SHA: ${ref}`, 404);
        const changed: string[] = [];
        while (sha && changed.length < max) {
          const c: Commit = this.commits.get(sha)!;
          const before = c.parent ? this.commits.get(c.parent)!.files[path] : undefined;
          if (c.files[path] !== before) changed.push(sha);
          sha = c.parent;
        }
        return changed;
      },
      ...overrides,
    };
    return forge as Forge;
  }
}
