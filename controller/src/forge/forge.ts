// The change-control boundary: everything the controller asks of a git forge, in the domain's words. The GitHub
// adapter (forge/github) implements it over the REST API; the local forge speaks the same REST subset, so the same
// adapter drives both. Errors are typed by what the controller does next: retry later, re-read, or tell a person.

/** A repository, written `org/repo`. */
export type RepoName = string;

export interface FileAtRef {
  /** UTF-8 text of the file. */
  content: string;
  /** Blob sha: pass it back to `commitFile` to update the file only if nobody changed it meanwhile. */
  sha: string;
}

/** A file in a repository's tree, with its blob sha (the same sha means the same content). */
export interface TreeFile {
  path: string;
  sha: string;
  /** Bytes, when the forge says. */
  size?: number;
}

/** Every file at a commit; `truncated` when the forge stopped listing (GitHub: past 100,000 entries or 7 MB). */
export interface RepositoryTree {
  files: TreeFile[];
  truncated: boolean;
}

export interface CommitResult {
  /** The new commit on the branch. */
  commitSha: string;
  /** The file's new blob sha. */
  blobSha: string;
  /** The commit's committer date, when the forge reports it. */
  committedAt?: string;
}

export interface PullRequest {
  number: number;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt?: string;
  /** Who merged it (GitHub's `merged_by`), once merged. */
  mergedBy?: string;
  /** The commit the merge made on the base branch (GitHub's `merge_commit_sha`), once merged. */
  mergeCommitSha?: string;
  closedAt?: string;
  title: string;
  body: string;
  author: string;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  labels: string[];
  draft: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  draft?: boolean;
}

export interface PullRequestChange {
  title?: string;
  body?: string;
  base?: string;
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface PullRequestReview {
  id: number;
  /** "ghost" when the reviewer's account was deleted, as GitHub reports it. */
  login: string;
  state: ReviewState;
  submittedAt?: string;
  commitId: string;
}

export interface PullRequestCommit {
  sha: string;
  /** The GitHub accounts the commit's author and committer resolve to; null when the e-mail is linked to none. */
  authorLogin: string | null;
  committerLogin: string | null;
  authoredAt?: string;
  committedAt?: string;
  message: string;
  /** Whether the forge verified the commit's signature (GitHub's `commit.verification.verified`). */
  verified?: boolean;
}

/** A review's dismissal as the pull request's timeline records it. */
export interface ReviewDismissalEvent {
  reviewId: number;
  /** Who dismissed it. */
  by: string;
  /** What the review was before, e.g. CHANGES_REQUESTED. */
  previousState: ReviewState;
  at?: string;
}

/** A force push to the pull request's head branch, as its timeline records it. */
export interface ForcePushEvent {
  /** Who force-pushed. */
  by: string;
  /** The head commit after the push; undefined when the forge no longer names it. */
  sha?: string;
  at?: string;
}

/** What the gate reads from a pull request's timeline. */
export interface PullRequestTimeline {
  dismissals: ReviewDismissalEvent[];
  forcePushes: ForcePushEvent[];
}

export type PullRequestFileStatus =
  | 'added'
  | 'removed'
  | 'modified'
  | 'renamed'
  | 'copied'
  | 'changed'
  | 'unchanged';

/** One file a pull request changes. */
export interface PullRequestFile {
  path: string;
  status: PullRequestFileStatus;
  /** The name before a rename or copy. */
  previousPath?: string;
}

export type CheckStatus = 'queued' | 'in_progress' | 'completed';
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'action_required'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out';

export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
}

export interface CheckRunSpec {
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion?: CheckConclusion;
  output?: CheckOutput;
  detailsUrl?: string;
  externalId?: string;
  /** When the decision it reports was made (ISO 8601); the forge's own clock when absent. */
  completedAt?: string;
}

export interface CheckRun {
  id: number;
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion?: CheckConclusion;
  output?: CheckOutput;
  url: string;
}

export interface RequiredChecks {
  /** Check names the branch requires before a merge. */
  checks: string[];
  /** Where the requirement was found first; `sources` lists every one. */
  source: 'branch-protection' | 'ruleset';
  sources: ('branch-protection' | 'ruleset')[];
}

/** A check a branch requires, and the App it is pinned to (GitHub's `app_id` / `integration_id`); none: any. */
export interface RequiredCheck {
  context: string;
  appId?: number;
}

/** Someone a protection lets through: a user, team or App by name, or a role (OrganizationAdmin, ...). */
export interface BypassActor {
  type: 'User' | 'Team' | 'Integration' | 'OrganizationAdmin' | 'RepositoryRole' | 'DeployKey';
  /** Login, team slug or App slug where the forge names it; else the id. */
  name?: string;
  id?: number;
}

/** Classic branch protection of one branch, in the settings the sign-off gate depends on. */
export interface ClassicProtectionFacts {
  requiredChecks: RequiredCheck[];
  /** "Do not allow bypassing the above settings" (`enforce_admins`): administrators are held too. */
  enforceAdmins: boolean;
  /** A pull request is required before merging (`required_pull_request_reviews` is set): no direct pushes. */
  requiresPullRequest: boolean;
  allowsForcePushes: boolean;
  /** Only named people may dismiss reviews (`dismissal_restrictions` is set). */
  restrictsDismissals: boolean;
  /** Who may skip the pull request requirement (`bypass_pull_request_allowances`). */
  bypassAllowances: BypassActor[];
}

/** One active ruleset's rules for the branch. */
export interface RulesetFacts {
  id: number;
  name: string;
  requiredChecks: RequiredCheck[];
  requiresPullRequest: boolean;
  /** The `non_fast_forward` rule. */
  blocksForcePushes: boolean;
  restrictsDismissals: boolean;
  /** Undefined when the forge does not show them to this identity (GitHub shows them only to the ruleset's writers). */
  bypassActors?: BypassActor[];
}

/** What protects a branch, and the App the forge acts as, so a required check's pin can be compared to it. */
export interface BranchProtectionFacts {
  /** The GitHub App this forge authenticates as; undefined with a personal token, whose checks cannot be pinned. */
  appId?: number;
  /** Undefined when the branch has no classic protection. */
  classic?: ClassicProtectionFacts;
  rulesets: RulesetFacts[];
}

export interface Created {
  number: number;
  url: string;
}

/** An issue (never a pull request, though GitHub lists both as issues). */
export interface Issue {
  number: number;
  url: string;
  state: 'open' | 'closed';
  title: string;
  body: string;
  labels: string[];
  author: string;
  createdAt: string;
  closedAt?: string;
}

export interface IssueQuery {
  /** Default: open. */
  state?: 'open' | 'closed' | 'all';
  /** Only issues that carry every one of these labels. */
  labels?: string[];
}

export interface IssueChange {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  /** Why it is closed: done (`completed`) or not to be done (`not_planned`). */
  stateReason?: 'completed' | 'not_planned';
  /** Replaces every label. */
  labels?: string[];
}

export interface CallStats {
  /** HTTP requests sent, including those answered 304. */
  calls: number;
  /** Requests that change something (anything but GET and HEAD). */
  writes: number;
  /** Conditional requests answered 304 Not Modified: served from the cache, free against the rate limit. */
  notModified: number;
  /** Responses that reported a rate limit. */
  rateLimited: number;
}

export interface Forge {
  /** A file's content at a ref; undefined when the file does not exist there. */
  readFile(repo: RepoName, path: string, ref: string): Promise<FileAtRef | undefined>;
  /** A new branch at `fromSha`; ConflictError when the branch exists. */
  createBranch(repo: RepoName, name: string, fromSha: string): Promise<void>;
  /** The head commit of a branch; undefined when there is no such branch. */
  branchHead(repo: RepoName, branch: string): Promise<string | undefined>;
  /** Every file at `ref` (a branch, tag or commit), all levels deep; undefined when `ref` names nothing. */
  listFiles(repo: RepoName, ref: string): Promise<RepositoryTree | undefined>;
  /**
   * The commits reachable from `ref` that changed `path`, newest first, at most `max` (1-100, default 100): one
   * page of the file's history. Read each with `readFile(repo, path, sha)`.
   */
  listFileCommits(repo: RepoName, path: string, ref: string, max?: number): Promise<string[]>;
  /**
   * Create or update one file on a branch with one commit. `previousSha` is the blob sha the change was based on
   * (undefined for a new file): ConflictError when the file changed meanwhile.
   */
  commitFile(
    repo: RepoName,
    branch: string,
    path: string,
    content: string,
    message: string,
    previousSha: string | undefined,
  ): Promise<CommitResult>;
  /** The pull request from `headBranch`: the open one, else the most recent; undefined when there is none. */
  findPullRequest(repo: RepoName, headBranch: string): Promise<PullRequest | undefined>;
  getPullRequest(repo: RepoName, number: number): Promise<PullRequest>;
  /**
   * Every open pull request of the repository (all pages), newest first. Conditional like every read: a listing
   * that has not changed since the last one is answered 304 and costs nothing against the rate limit.
   */
  listOpenPullRequests(repo: RepoName): Promise<PullRequest[]>;
  openPullRequest(repo: RepoName, pr: NewPullRequest): Promise<PullRequest>;
  updatePullRequest(repo: RepoName, number: number, change: PullRequestChange): Promise<PullRequest>;
  closePullRequest(repo: RepoName, number: number, comment?: string): Promise<void>;
  /** Merge only if the head is still `sha`: ConflictError when it moved, UnprocessableError when not mergeable. */
  mergePullRequest(repo: RepoName, number: number, sha: string): Promise<{ sha: string }>;
  /** Teams written `org/team`; the org must be the repository's. */
  requestTeamReviewers(repo: RepoName, number: number, teams: string[]): Promise<void>;
  addLabels(repo: RepoName, number: number, labels: string[]): Promise<void>;
  listReviews(repo: RepoName, number: number): Promise<PullRequestReview[]>;
  /**
   * The pull request's commits. With `range` (its base and head commits), all of them, however many: GitHub's
   * pull request listing stops at 250, so the range is read through the compare API instead.
   */
  listCommits(
    repo: RepoName,
    number: number,
    range?: { base: string; head: string },
  ): Promise<PullRequestCommit[]>;
  /**
   * From the pull request's timeline: every review dismissal (who dismissed which review, and what it was) and
   * every force push to its head branch (who pushed, and the head it left).
   */
  readTimeline(repo: RepoName, number: number): Promise<PullRequestTimeline>;
  /** Every file the pull request changes (all pages; GitHub lists at most 3000). */
  listPullRequestFiles(repo: RepoName, number: number): Promise<PullRequestFile[]>;
  /** Active members' logins; a pending invitation is not a membership. NotFoundError when the team is unknown. */
  teamMembers(org: string, team: string): Promise<string[]>;
  /** The latest check run of that name on a commit, if any. */
  findCheckRun(repo: RepoName, headSha: string, name: string): Promise<CheckRun | undefined>;
  createCheckRun(repo: RepoName, run: CheckRunSpec): Promise<CheckRun>;
  updateCheckRun(repo: RepoName, id: number, run: Partial<CheckRunSpec>): Promise<CheckRun>;
  /** Checks required on a branch by branch protection or rulesets; undefined when none is required. */
  requiredChecks(repo: RepoName, branch: string): Promise<RequiredChecks | undefined>;
  /**
   * Every setting of classic protection and active rulesets that decides whether the branch really holds the
   * gate. ForbiddenError when this identity may not read the branch's protection.
   */
  branchProtection(repo: RepoName, branch: string): Promise<BranchProtectionFacts>;
  createIssue(repo: RepoName, issue: { title: string; body: string; labels?: string[] }): Promise<Created>;
  /** Issues matching the query (all pages), newest first; pull requests left out. */
  listIssues(repo: RepoName, query?: IssueQuery): Promise<Issue[]>;
  updateIssue(repo: RepoName, number: number, change: IssueChange): Promise<Issue>;
  /** A comment on an issue or a pull request. */
  createComment(repo: RepoName, number: number, body: string): Promise<{ id: number; url: string }>;
  callStats(): CallStats;
}

// --- errors, typed by what happens next -------------------------------------------------------------------------

/** Any failure at the forge. Messages never carry a credential. */
export class ForgeError extends Error {
  override readonly name: string = 'ForgeError';
  readonly operation: string;
  readonly status: number | undefined;

  constructor(operation: string, message: string, status?: number) {
    super(message);
    this.operation = operation;
    this.status = status;
  }
}

/** The thing asked for does not exist (or the credentials may not see it). */
export class NotFoundError extends ForgeError {
  override readonly name = 'NotFoundError';
}

/** Someone else changed it first (a branch exists, a file or head moved): re-read, then decide again. */
export class ConflictError extends ForgeError {
  override readonly name = 'ConflictError';
}

/** The forge understood the request and refuses it as it stands (validation, not mergeable): needs a change. */
export class UnprocessableError extends ForgeError {
  override readonly name = 'UnprocessableError';
}

/** The credentials lack a permission (403) or were refused (401): needs a person. */
export class ForbiddenError extends ForgeError {
  override readonly name = 'ForbiddenError';
}

/**
 * This replica may not write now (it does not hold the leader lease): nothing was sent. Another replica acts;
 * two replicas must never both write to the forge.
 */
export class WriteNotAllowedError extends ForgeError {
  override readonly name = 'WriteNotAllowedError';
}

export type UnavailableReason = 'rate-limit' | 'secondary-rate-limit' | 'unavailable';

/**
 * The forge cannot be used now: rate limited, down, or unreachable, after a bounded number of retries. Transient:
 * make no call before `retryAt`. Whatever it gates stays closed meanwhile (the sign-off check is never `success`).
 */
export class ForgeUnavailableError extends ForgeError {
  override readonly name = 'ForgeUnavailableError';
  readonly retryAt: Date;
  readonly reason: UnavailableReason;

  constructor(operation: string, message: string, retryAt: Date, reason: UnavailableReason, status?: number) {
    super(operation, message, status);
    this.retryAt = retryAt;
    this.reason = reason;
  }
}

/** `org/repo` -> owner and repo; the one place a malformed name is caught. */
export function splitRepo(repo: RepoName): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})$/.exec(repo);
  if (!m) throw new TypeError(`repository must be written org/repo; got "${repo}"`);
  return { owner: m[1]!, repo: m[2]! };
}
