// The versions a stage ran, as the GitOps repository's history of its deployment file shows them: the commits on
// the base branch that changed the file, newest first, and the version field at each. What a commit holds never
// changes, so each is read once per process; a later pass costs only the listing (answered 304 when unchanged).
import type { Forge, RepoName } from '../forge/forge.js';
import { DeploymentTargetError, readVersionField } from './version-field.js';

/** How many of the file's most recent changes are looked at: one page of the forge's listing. */
export const HISTORY_DEPTH = 100;
const REMEMBERED = 20_000;

export interface DeploymentTarget {
  repo: RepoName;
  branch: string;
  file: string;
  field: string;
}

export class DeploymentHistory {
  /** `repo|sha|file|field` -> the version set there, null when none could be read. */
  private readonly versionAt = new Map<string, string | null>();

  constructor(private readonly forge: Forge) {}

  /**
   * The versions the file set at each commit that changed it, newest first, read until `wanted` is found (a
   * version, or a test a version passes), or the listing ends: a rollback's target is usually a change or two back.
   */
  async versionsBefore(
    target: DeploymentTarget,
    wanted?: string | ((version: string) => boolean),
  ): Promise<string[]> {
    const found = typeof wanted === 'function' ? wanted : (v: string) => v === wanted;
    const shas = await this.forge.listFileCommits(target.repo, target.file, target.branch, HISTORY_DEPTH);
    const versions: string[] = [];
    for (const sha of shas) {
      const version = await this.versionAtCommit(target, sha);
      if (version === null) continue;
      versions.push(version);
      if (found(version)) break;
    }
    return versions;
  }

  private async versionAtCommit(target: DeploymentTarget, sha: string): Promise<string | null> {
    const key = `${target.repo}|${sha}|${target.file}|${target.field}`;
    const known = this.versionAt.get(key);
    if (known !== undefined) return known;
    const file = await this.forge.readFile(target.repo, target.file, sha);
    let version: string | null = null;
    try {
      version = file ? (readVersionField(file.content, target.file, target.field) ?? null) : null;
    } catch (error) {
      // A commit where the file did not parse ran no version anyone can name.
      if (!(error instanceof DeploymentTargetError)) throw error;
    }
    this.versionAt.set(key, version);
    if (this.versionAt.size > REMEMBERED) {
      const oldest = this.versionAt.keys().next().value;
      if (oldest !== undefined) this.versionAt.delete(oldest);
    }
    return version;
  }
}
