// Where a SignoffPolicy in the cluster comes from in its governance repository: the file that declares it on the
// governance branch, and the commit that last changed that file to the spec the cluster holds. And whether the
// commit its source annotation names says the same: anyone who may apply the object may write the annotation, so
// it counts only where the repository bears it out (a commit of the repository, whose file there declares this
// policy as applied, as the branch held it).
import type { SignoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import {
  ForbiddenError,
  type Forge,
  ForgeError,
  NotFoundError,
  type RepoName,
  UnprocessableError,
} from '../../forge/forge.js';
import { remember } from '../../gate/remember.js';
import { DEFAULT_YAML_LIMITS } from '../../yaml/index.js';
import {
  type DeclaredPolicy,
  declaresPolicy,
  declaresSpec,
  isManifestPath,
  policiesDeclaredIn,
} from './declarations.js';

/** The repository and branch a policy's YAML lives on: spec.governance, else the repository it enforces. */
export interface GovernanceSource {
  repository: RepoName;
  branch: string;
}

export function governanceSource(spec: SignoffPolicySpec): GovernanceSource {
  return spec.governance
    ? { repository: spec.governance.repository, branch: spec.governance.branch }
    : { repository: spec.enforcement.repository, branch: spec.enforcement.branch };
}

/** What the governance branch says of the policy. */
export type BranchAnswer =
  /** `path` declares it as applied since `commit`; `behind`: the branch has changed it since (the cluster lags). */
  | { found: 'commit'; path: string; commit: string; behind: boolean }
  /** No file declares it. */
  | { found: 'none' }
  /** More than one document declares it: which one was applied cannot be told. */
  | { found: 'several'; paths: string[] }
  /** `path` declares it, but none of the last `versions` versions of the file is the spec applied. */
  | { found: 'different'; path: string; versions: number }
  /** The repository or branch cannot be read with these credentials, or does not exist. */
  | { found: 'unreadable'; message: string };

/** Whether the commit the annotation names bears out the policy as applied. */
export type AnnotationAnswer =
  | { commit: string; agrees: true; path: string; lastChange: string }
  | { commit: string; agrees: false; why: string };

export interface PolicySourceObservation extends GovernanceSource {
  branchAnswer: BranchAnswer;
  /** Present when the policy carries an annotation that is a full commit id and the repository was readable. */
  annotation?: AnnotationAnswer;
}

export interface AppliedPolicy {
  namespace: string;
  name: string;
  spec: SignoffPolicySpec;
  /** The source annotation, when it is a full commit id. */
  annotatedCommit?: string;
}

export interface PolicySourcesOptions {
  /** Older versions of the declaring file read when the branch's current one is not the spec applied (default 10). */
  olderVersions?: number;
  /** Files read side by side (default 8). */
  readsAtOnce?: number;
}

const TRUNCATED =
  'the forge would not list every file of the repository (GitHub stops past 100,000 entries), so the file that declares the policy cannot be told';

/** A commit's file history the forge lists in one page: how far back a commit is looked for on the branch. */
const HISTORY_PAGE = 100;

/**
 * Reads policies' sources through the forge. What each file declares is kept by its blob sha (the same sha is the
 * same text), so a file is read once until it changes, whichever policy or commit asks.
 */
export class PolicySources {
  private readonly declared = new Map<string, DeclaredPolicy[]>();
  private readonly olderVersions: number;
  private readonly readsAtOnce: number;

  constructor(
    private readonly forge: Forge,
    options: PolicySourcesOptions = {},
  ) {
    this.olderVersions = options.olderVersions ?? 10;
    this.readsAtOnce = options.readsAtOnce ?? 8;
  }

  async observe(policy: AppliedPolicy): Promise<PolicySourceObservation> {
    const source = governanceSource(policy.spec);
    const { repository, branch } = source;
    let head: string | undefined;
    try {
      head = await this.forge.branchHead(repository, branch);
    } catch (error) {
      return { ...source, branchAnswer: { found: 'unreadable', message: unreadable(error) } };
    }
    if (!head) {
      return {
        ...source,
        branchAnswer: {
          found: 'unreadable',
          message: `${repository} has no branch ${branch}, or cannot be read`,
        },
      };
    }
    let onBranch: { answer: BranchAnswer; history?: string[] };
    try {
      onBranch = await this.onBranch(repository, head, policy);
    } catch (error) {
      return { ...source, branchAnswer: { found: 'unreadable', message: unreadable(error) } };
    }
    const result: PolicySourceObservation = { ...source, branchAnswer: onBranch.answer };
    if (policy.annotatedCommit) {
      result.annotation = await this.checkAnnotation(repository, branch, head, policy, onBranch);
    }
    return result;
  }

  /** The declaring file at the branch's head, and the commit that made it hold the spec applied. */
  private async onBranch(
    repository: RepoName,
    head: string,
    policy: AppliedPolicy,
  ): Promise<{ answer: BranchAnswer; history?: string[] }> {
    const atHead = await this.declarationsAt(repository, head, policy);
    if (!atHead)
      return { answer: { found: 'unreadable', message: `${repository} at ${head} cannot be listed` } };
    if (atHead === 'truncated') return { answer: { found: 'unreadable', message: TRUNCATED } };
    if (atHead.length === 0) return { answer: { found: 'none' } };
    if (atHead.length > 1) return { answer: { found: 'several', paths: atHead.map((d) => d.path) } };
    const { path, declared } = atHead[0]!;
    const history = await this.forge.listFileCommits(repository, path, head, HISTORY_PAGE);
    if (history.length === 0) return { answer: { found: 'none' } };
    if (declaresSpec(declared, policy.spec)) {
      return { answer: { found: 'commit', path, commit: history[0]!, behind: false }, history };
    }
    // The cluster may hold an earlier version than the branch (a sync not yet done): the newest commit whose
    // version of the file is the spec applied is the one it was last changed in.
    const older = history.slice(1, 1 + this.olderVersions);
    for (const commit of older) {
      const file = await this.forge.readFile(repository, path, commit);
      if (!file) continue;
      const found = this.declaredIn(file.sha, file.content, path).filter((d) =>
        declaresPolicy(d, policy.namespace, policy.name),
      );
      if (found.length === 1 && declaresSpec(found[0]!, policy.spec)) {
        return { answer: { found: 'commit', path, commit, behind: true }, history };
      }
    }
    return { answer: { found: 'different', path, versions: 1 + older.length }, history };
  }

  private async checkAnnotation(
    repository: RepoName,
    branch: string,
    head: string,
    policy: AppliedPolicy,
    onBranch: { answer: BranchAnswer; history?: string[] },
  ): Promise<AnnotationAnswer> {
    const commit = policy.annotatedCommit!;
    const { answer } = onBranch;
    if (answer.found === 'commit' && answer.commit === commit) {
      return { commit, agrees: true, path: answer.path, lastChange: commit };
    }
    const what = `SignoffPolicy ${policy.namespace}/${policy.name}`;
    const notACommit = { commit, agrees: false as const, why: `${commit} is not a commit of ${repository}` };
    try {
      const atCommit = await this.declarationsAt(repository, commit, policy);
      if (!atCommit) return notACommit;
      if (atCommit === 'truncated') return { commit, agrees: false, why: `at ${commit}, ${TRUNCATED}` };
      if (atCommit.length === 0) {
        return { commit, agrees: false, why: `no file of ${repository} at ${commit} declares ${what}` };
      }
      const applied = atCommit.filter((d) => declaresSpec(d.declared, policy.spec));
      if (applied.length === 0) {
        return {
          commit,
          agrees: false,
          why: `${atCommit[0]!.path} at ${commit} declares ${what} with another spec than the one applied`,
        };
      }
      if (applied.length > 1) {
        return {
          commit,
          agrees: false,
          why: `${applied.map((d) => d.path).join(' and ')} at ${commit} both declare ${what}`,
        };
      }
      const { path } = applied[0]!;
      // A tree's sha lists like a commit; only a commit has a history.
      const lastChange = (await this.forge.listFileCommits(repository, path, commit, 1))[0];
      if (!lastChange) return notACommit;
      const history =
        answer.found !== 'unreadable' && 'path' in answer && answer.path === path && onBranch.history
          ? onBranch.history
          : await this.forge.listFileCommits(repository, path, head, HISTORY_PAGE);
      if (!history.includes(lastChange)) {
        return {
          commit,
          agrees: false,
          why: `${path} at ${commit} is as ${lastChange} left it, which is not on ${branch} of ${repository}: a change that was not merged there`,
        };
      }
      return { commit, agrees: true, path, lastChange };
    } catch (error) {
      // GitHub answers a ref that names no commit with 404 or 422.
      if (error instanceof NotFoundError || error instanceof UnprocessableError) return notACommit;
      throw error;
    }
  }

  /**
   * Every document at `ref` that declares the policy, with its file; undefined when `ref` names nothing, and
   * `truncated` when the forge would not list every file (what it left out may declare it too).
   */
  private async declarationsAt(
    repository: RepoName,
    ref: string,
    policy: AppliedPolicy,
  ): Promise<{ path: string; declared: DeclaredPolicy }[] | 'truncated' | undefined> {
    const tree = await this.forge.listFiles(repository, ref);
    if (!tree) return undefined;
    if (tree.truncated) return 'truncated';
    // A file past the YAML reader's size limit declares nothing it would read: not fetched at all.
    const files = tree.files.filter(
      (f) => isManifestPath(f.path) && (f.size ?? 0) <= DEFAULT_YAML_LIMITS.maxBytes,
    );
    const found: { path: string; declared: DeclaredPolicy }[] = [];
    for (let i = 0; i < files.length; i += this.readsAtOnce) {
      const batch = files.slice(i, i + this.readsAtOnce);
      const read = await Promise.all(batch.map((f) => this.declaredAt(repository, f.path, ref, f.sha)));
      batch.forEach((f, j) => {
        for (const d of read[j]!) {
          if (declaresPolicy(d, policy.namespace, policy.name)) found.push({ path: f.path, declared: d });
        }
      });
    }
    return found;
  }

  private async declaredAt(repository: RepoName, path: string, ref: string, sha: string) {
    const known = this.declared.get(sha);
    if (known) return known;
    const file = await this.forge.readFile(repository, path, ref);
    return file ? this.declaredIn(file.sha, file.content, path) : [];
  }

  private declaredIn(sha: string, content: string, path: string): DeclaredPolicy[] {
    const known = this.declared.get(sha);
    if (known) return known;
    const declared = policiesDeclaredIn(content, path);
    remember(this.declared, sha, declared, 10_000);
    return declared;
  }
}

/** Why the repository cannot be read, for a failure that a person must fix; anything else is thrown on. */
function unreadable(error: unknown): string {
  if (error instanceof NotFoundError) return 'not found, or not visible to these credentials';
  if (error instanceof ForbiddenError) return `these credentials may not read it (${error.message})`;
  if (error instanceof ForgeError && (error.status === 401 || error.status === 403)) {
    return `these credentials may not read it (${error.message})`;
  }
  throw error;
}
