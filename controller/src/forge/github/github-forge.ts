// The Forge over GitHub's REST API with octokit: token or App installation auth, the throttling and retry plugins
// bounded so a call either succeeds soon or fails with a typed error, conditional GETs through an ETag cache, and
// credentials kept out of every message. The local forge speaks the same REST subset, so this drives it too.

import type { Attributes } from '@opentelemetry/api';
import { App, Octokit } from 'octokit';
import type { Logger } from 'pino';
import { inSpan, SpanKind } from '../../tracing.js';
import {
  type BranchProtectionFacts,
  type CallStats,
  type CheckConclusion,
  type CheckRun,
  type CheckRunSpec,
  type CheckStatus,
  type CommitResult,
  ConflictError,
  type Created,
  type FileAtRef,
  type ForcePushEvent,
  type Forge,
  ForgeError,
  type Issue,
  type IssueChange,
  type IssueQuery,
  type NewPullRequest,
  NotFoundError,
  type PullRequest,
  type PullRequestChange,
  type PullRequestCommit,
  type PullRequestFile,
  type PullRequestFileStatus,
  type PullRequestReview,
  type PullRequestTimeline,
  type RepoName,
  type RepositoryTree,
  type RequiredChecks,
  type ReviewDismissalEvent,
  type ReviewState,
  splitRepo,
  UnprocessableError,
} from '../forge.js';
import { readBranchProtection } from './branch-protection.js';
import { type ForgeCredentials, openCredentials, secretStrings } from './credentials.js';
import { toForgeError } from './errors.js';
import { EtagCache } from './etag-cache.js';
import { RateLimitGate } from './rate-limit.js';
import { redact } from './redact.js';
import { createTransport, type Fetch } from './transport.js';

export interface GitHubForgeOptions {
  credentials: ForgeCredentials;
  /** REST API base URL: https://api.github.com, a GitHub Enterprise Server's /api/v3, or the local forge. */
  baseUrl?: string;
  logger?: Logger;
  /** Retries of a request that failed with 5xx or no answer, before ForgeUnavailableError (default 3). */
  retries?: number;
  /** Retries of a rate-limited request whose wait is short enough (default 2). */
  rateLimitRetries?: number;
  /** A rate-limit wait up to this long is taken in-line; a longer one fails at once (default 60 s). */
  maxWaitMs?: number;
  /** The base of the retry plugin's backoff for 5xx: 1, 4, 9 times this (default 1000 ms). */
  retryBaseMs?: number;
  /** After an outage, ForgeUnavailableError.retryAt is this far ahead (default 30 s). */
  unavailableRetryMs?: number;
  /** URLs whose last answer is kept for conditional requests (default 1000). */
  etagCacheEntries?: number;
  /** The HTTP client: global fetch by default; tests pass their own. */
  fetch?: Fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Whether this replica may write now (it holds the leader lease); writes are refused unsent while it says no. */
  mayWrite?: () => boolean;
}

type Client = InstanceType<typeof Octokit>;

const CLIENT_ERRORS_NOT_RETRIED = Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => s !== 408);

const REVIEW_STATES = new Set<ReviewState>([
  'APPROVED',
  'CHANGES_REQUESTED',
  'COMMENTED',
  'DISMISSED',
  'PENDING',
]);

/** A GitHub-backed Forge. App credentials authenticate as the installation; tokens are refreshed by octokit. */
export async function createGitHubForge(options: GitHubForgeOptions): Promise<GitHubForge> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // The configured secret, plus the last credentials actually sent (installation tokens and JWTs rotate).
  const secrets = secretStrings(options.credentials);
  const fixedSecrets = secrets.length;
  const remember = (credential: string) => {
    if (secrets.includes(credential)) return;
    secrets.push(credential);
    if (secrets.length > fixedSecrets + 4) secrets.splice(fixedSecrets, 1);
  };
  const stats: CallStats = { calls: 0, writes: 0, notModified: 0, rateLimited: 0 };
  const gate = new RateLimitGate(now);
  const cache = new EtagCache(options.etagCacheEntries ?? 1000);
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const logger = options.logger;
  const say = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string) =>
    logger?.[level](redact(message, secrets));

  const transport = createTransport({
    ...(options.mayWrite ? { mayWrite: options.mayWrite } : {}),
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    cache,
    gate,
    stats,
    maxWaitMs,
    now,
    sleep,
    secrets: () => secrets,
    sent: remember,
    logger,
  });

  // The throttling plugin retries a rate-limited request after GitHub's reset or retry-after, but only when that
  // is soon and only a few times; otherwise the error surfaces and maps to ForgeUnavailableError with retryAt.
  const retryWhenSoon = (
    retryAfterSeconds: number,
    _options: unknown,
    _octokit: unknown,
    retryCount: number,
  ) => retryCount < rateLimitRetries && retryAfterSeconds * 1000 <= maxWaitMs;

  const Client = Octokit.defaults({
    baseUrl: (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'vigil-controller',
    request: { fetch: transport },
    log: { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') },
    throttle: { onRateLimit: retryWhenSoon, onSecondaryRateLimit: retryWhenSoon },
    retry: {
      retries: options.retries ?? 3,
      retryAfterBaseValue: options.retryBaseMs ?? 1000,
      // Only 5xx, no answer, and a request timeout (408) are worth repeating; 403/429 rate limits are the
      // throttling plugin's to time.
      doNotRetry: CLIENT_ERRORS_NOT_RETRIED,
    },
  });

  const secret = openCredentials(options.credentials);
  let client: Client;
  if (secret.kind === 'token') {
    client = new Client({ auth: secret.token });
  } else {
    const app = new App({ appId: secret.appId, privateKey: secret.privateKey, Octokit: Client });
    client = (await app.getInstallationOctokit(secret.installationId)) as Client;
  }

  // Outermost: no call at all while a rate limit is in force, and every failure leaves as a typed error.
  client.hook.wrap('request', async (request, requestOptions) => {
    const operation = `${requestOptions.method} ${requestOptions.url}`;
    const context = () => ({
      operation,
      secrets,
      gate,
      now: now(),
      unavailableRetryMs: options.unavailableRetryMs ?? 30_000,
    });
    // A span per call, made here in the caller's context (the throttling plugin's queue would lose it), so a
    // reconcile's calls are its children. Named by the route template; the values are the request's own.
    return inSpan(
      `GitHub ${operation}`,
      routeAttributes(requestOptions as Record<string, unknown>),
      async (span) => {
        try {
          const response = await request(requestOptions);
          span.setAttribute('http.response.status_code', response.status);
          return response;
        } catch (error) {
          const status = (error as { status?: unknown }).status;
          if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
          throw toForgeError(error, context());
        }
      },
      SpanKind.CLIENT,
    );
  });

  // The App id is what a required check is pinned to; with a token it is learned from a check run written.
  return new GitHubForge(client, stats, secret.kind === 'app' ? Number(secret.appId) : undefined);
}

/** A call's span attributes: method, route template, and the repository and number it names. */
function routeAttributes(o: Record<string, unknown>): Attributes {
  const attributes: Attributes = {
    'http.request.method': String(o.method),
    // A page after the first is asked for by its full URL: the path is kept, the host and query are not.
    'url.template': String(o.url)
      .replace(/^https?:\/\/[^/]+/, '')
      .replace(/\?.*$/, ''),
  };
  if (typeof o.owner === 'string' && typeof o.repo === 'string')
    attributes['vigil.repository'] = `${o.owner}/${o.repo}`;
  for (const key of ['pull_number', 'issue_number', 'check_run_id'] as const) {
    const value = Number(o[key]);
    if (o[key] !== undefined && Number.isInteger(value)) attributes[`github.${key}`] = value;
  }
  return attributes;
}

export class GitHubForge implements Forge {
  constructor(
    private readonly gh: Client,
    private readonly stats: CallStats,
    /**
     * The GitHub App this forge authenticates as: from App credentials, or, with a token, from the first check
     * run it writes (only an App may write one, and GitHub names it in the run). Undefined: a personal token.
     */
    private appId?: number,
  ) {}

  callStats(): CallStats {
    return { ...this.stats };
  }

  async readFile(repo: RepoName, path: string, ref: string): Promise<FileAtRef | undefined> {
    const r = splitRepo(repo);
    const found = await orUndefined(this.gh.rest.repos.getContent({ ...r, path, ref }));
    if (!found) return undefined;
    const data = found.data;
    if (Array.isArray(data) || data.type !== 'file') {
      throw new UnprocessableError('readFile', `${repo}:${path}@${ref} is not a file`);
    }
    if ('encoding' in data && data.encoding === 'base64' && typeof data.content === 'string') {
      return { content: Buffer.from(data.content, 'base64').toString('utf8'), sha: data.sha };
    }
    // Over 1 MB the contents API sends no content; the blob API does.
    const blob = await this.gh.rest.git.getBlob({ ...r, file_sha: data.sha });
    return { content: Buffer.from(blob.data.content, 'base64').toString('utf8'), sha: data.sha };
  }

  async listFiles(repo: RepoName, ref: string): Promise<RepositoryTree | undefined> {
    const found = await orUndefined(
      this.gh.rest.git.getTree({ ...splitRepo(repo), tree_sha: ref, recursive: '1' }),
    );
    if (!found) return undefined;
    const files = found.data.tree.flatMap((e) =>
      e.type === 'blob'
        ? [{ path: e.path, sha: e.sha, ...(e.size !== undefined ? { size: e.size } : {}) }]
        : [],
    );
    return { files, truncated: found.data.truncated };
  }

  async listFileCommits(repo: RepoName, path: string, ref: string, max = 100): Promise<string[]> {
    const { data } = await this.gh.rest.repos.listCommits({
      ...splitRepo(repo),
      sha: ref,
      path,
      per_page: Math.min(100, Math.max(1, max)),
    });
    return data.map((c) => c.sha);
  }

  async branchHead(repo: RepoName, branch: string): Promise<string | undefined> {
    const found = await orUndefined(this.gh.rest.git.getRef({ ...splitRepo(repo), ref: `heads/${branch}` }));
    return found?.data.object.sha;
  }

  async createBranch(repo: RepoName, name: string, fromSha: string): Promise<void> {
    try {
      await this.gh.rest.git.createRef({ ...splitRepo(repo), ref: `refs/heads/${name}`, sha: fromSha });
    } catch (error) {
      // GitHub answers an existing ref with 422 "Reference already exists": for the controller, a conflict.
      if (error instanceof UnprocessableError && /already exists/i.test(error.message)) {
        throw new ConflictError('createBranch', error.message, error.status);
      }
      throw error;
    }
  }

  async commitFile(
    repo: RepoName,
    branch: string,
    path: string,
    content: string,
    message: string,
    previousSha: string | undefined,
  ): Promise<CommitResult> {
    try {
      const { data } = await this.gh.rest.repos.createOrUpdateFileContents({
        ...splitRepo(repo),
        path,
        branch,
        message,
        content: Buffer.from(content, 'utf8').toString('base64'),
        ...(previousSha ? { sha: previousSha } : {}),
      });
      const commitSha = data.commit.sha;
      const blobSha = data.content?.sha;
      if (!commitSha || !blobSha)
        throw new ForgeError('commitFile', `${repo}:${path}: the forge returned no commit`);
      const committedAt = data.commit.committer?.date;
      return { commitSha, blobSha, ...(committedAt ? { committedAt } : {}) };
    } catch (error) {
      // A file that exists but was believed new: GitHub says 422 "sha wasn't supplied". Someone wrote it first.
      if (error instanceof UnprocessableError && /\bsha\b/i.test(error.message)) {
        throw new ConflictError('commitFile', error.message, error.status);
      }
      throw error;
    }
  }

  async findPullRequest(repo: RepoName, headBranch: string): Promise<PullRequest | undefined> {
    const r = splitRepo(repo);
    const all = await this.gh.paginate(this.gh.rest.pulls.list, {
      ...r,
      head: `${r.owner}:${headBranch}`,
      state: 'all',
      per_page: 100,
    });
    const mine = all.filter((p) => p.head.ref === headBranch);
    const pick = mine.find((p) => p.state === 'open') ?? [...mine].sort((a, b) => b.number - a.number)[0];
    return pick ? toPullRequest(pick) : undefined;
  }

  async getPullRequest(repo: RepoName, number: number): Promise<PullRequest> {
    const { data } = await this.gh.rest.pulls.get({ ...splitRepo(repo), pull_number: number });
    return toPullRequest(data);
  }

  async listOpenPullRequests(repo: RepoName): Promise<PullRequest[]> {
    // Every page is a conditional GET through the ETag cache: an unchanged listing is all 304.
    const open = await this.gh.paginate(this.gh.rest.pulls.list, {
      ...splitRepo(repo),
      state: 'open',
      per_page: 100,
    });
    return open.map(toPullRequest);
  }

  async openPullRequest(repo: RepoName, pr: NewPullRequest): Promise<PullRequest> {
    try {
      const { data } = await this.gh.rest.pulls.create({
        ...splitRepo(repo),
        head: pr.head,
        base: pr.base,
        title: pr.title,
        body: pr.body,
        ...(pr.draft !== undefined ? { draft: pr.draft } : {}),
      });
      return toPullRequest(data);
    } catch (error) {
      if (error instanceof UnprocessableError && /already exists/i.test(error.message)) {
        throw new ConflictError('openPullRequest', error.message, error.status);
      }
      throw error;
    }
  }

  async updatePullRequest(repo: RepoName, number: number, change: PullRequestChange): Promise<PullRequest> {
    const { data } = await this.gh.rest.pulls.update({ ...splitRepo(repo), pull_number: number, ...change });
    return toPullRequest(data);
  }

  async closePullRequest(repo: RepoName, number: number, comment?: string): Promise<void> {
    const r = splitRepo(repo);
    // The comment first: a pull request closed without its reason is the worse half-done state.
    if (comment) await this.gh.rest.issues.createComment({ ...r, issue_number: number, body: comment });
    await this.gh.rest.pulls.update({ ...r, pull_number: number, state: 'closed' });
  }

  async mergePullRequest(repo: RepoName, number: number, sha: string): Promise<{ sha: string }> {
    const { data } = await this.gh.rest.pulls.merge({
      ...splitRepo(repo),
      pull_number: number,
      sha,
      merge_method: 'merge',
    });
    if (!data.merged) throw new UnprocessableError('mergePullRequest', `${repo}#${number}: ${data.message}`);
    return { sha: data.sha };
  }

  async requestTeamReviewers(repo: RepoName, number: number, teams: string[]): Promise<void> {
    const r = splitRepo(repo);
    const slugs = teams.map((t) => {
      const [org, slug] = t.split('/');
      if (!org || !slug) throw new TypeError(`team must be written org/team; got "${t}"`);
      if (org.toLowerCase() !== r.owner.toLowerCase()) {
        throw new UnprocessableError(
          'requestTeamReviewers',
          `team ${t} is not in ${r.owner}: GitHub only requests reviews from the repository's own organization`,
        );
      }
      return slug;
    });
    if (slugs.length === 0) return;
    await this.gh.rest.pulls.requestReviewers({ ...r, pull_number: number, team_reviewers: slugs });
  }

  async addLabels(repo: RepoName, number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.gh.rest.issues.addLabels({ ...splitRepo(repo), issue_number: number, labels });
  }

  async listReviews(repo: RepoName, number: number): Promise<PullRequestReview[]> {
    const reviews = await this.gh.paginate(this.gh.rest.pulls.listReviews, {
      ...splitRepo(repo),
      pull_number: number,
      per_page: 100,
    });
    return reviews.map((r) => {
      const state = r.state as ReviewState;
      if (!REVIEW_STATES.has(state)) {
        throw new ForgeError('listReviews', `review ${r.id} has an unknown state "${r.state}"`);
      }
      return {
        id: r.id,
        login: r.user?.login ?? 'ghost',
        state,
        ...(r.submitted_at ? { submittedAt: r.submitted_at } : {}),
        commitId: r.commit_id ?? '',
      };
    });
  }

  async listCommits(
    repo: RepoName,
    number: number,
    range?: { base: string; head: string },
  ): Promise<PullRequestCommit[]> {
    if (range) return this.commitsBetween(repo, range.base, range.head);
    const commits = await this.gh.paginate(this.gh.rest.pulls.listCommits, {
      ...splitRepo(repo),
      pull_number: number,
      per_page: 100,
    });
    return commits.map(commitOf);
  }

  /** Every commit on `head` not on `base`, page by page until the count compare reports is reached. */
  private async commitsBetween(repo: RepoName, base: string, head: string): Promise<PullRequestCommit[]> {
    const all: PullRequestCommit[] = [];
    for (let page = 1; ; page++) {
      const { data } = await this.gh.rest.repos.compareCommitsWithBasehead({
        ...splitRepo(repo),
        basehead: `${base}...${head}`,
        per_page: 100,
        page,
      });
      all.push(...data.commits.map(commitOf));
      if (data.commits.length === 0 || all.length >= data.total_commits) break;
    }
    return all;
  }

  async readTimeline(repo: RepoName, number: number): Promise<PullRequestTimeline> {
    const events = await this.gh.paginate(this.gh.rest.issues.listEventsForTimeline, {
      ...splitRepo(repo),
      issue_number: number,
      per_page: 100,
    });
    const found: ReviewDismissalEvent[] = [];
    const forcePushes: ForcePushEvent[] = [];
    for (const e of events as TimelineEntry[]) {
      if (e.event === 'head_ref_force_pushed') {
        forcePushes.push({
          by: e.actor?.login ?? 'ghost',
          ...(e.commit_id ? { sha: e.commit_id } : {}),
          ...(e.created_at ? { at: e.created_at } : {}),
        });
        continue;
      }
      if (e.event !== 'review_dismissed' || !e.dismissed_review) continue;
      const previousState = e.dismissed_review.state.toUpperCase() as ReviewState;
      if (!REVIEW_STATES.has(previousState)) {
        throw new ForgeError(
          'readTimeline',
          `a dismissal of review ${e.dismissed_review.review_id} names an unknown state "${e.dismissed_review.state}"`,
        );
      }
      found.push({
        reviewId: e.dismissed_review.review_id,
        by: e.actor?.login ?? 'ghost',
        previousState,
        ...(e.created_at ? { at: e.created_at } : {}),
      });
    }
    return { dismissals: found, forcePushes };
  }

  async listPullRequestFiles(repo: RepoName, number: number): Promise<PullRequestFile[]> {
    const files = await this.gh.paginate(this.gh.rest.pulls.listFiles, {
      ...splitRepo(repo),
      pull_number: number,
      per_page: 100,
    });
    return files.map((f) => ({
      path: f.filename,
      status: f.status as PullRequestFileStatus,
      ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
    }));
  }

  async teamMembers(org: string, team: string): Promise<string[]> {
    // The members endpoint lists active members only; invitations (pending) are a separate list.
    const members = await this.gh.paginate(this.gh.rest.teams.listMembersInOrg, {
      org,
      team_slug: team,
      per_page: 100,
    });
    return members.map((m) => m.login);
  }

  async findCheckRun(repo: RepoName, headSha: string, name: string): Promise<CheckRun | undefined> {
    const { data } = await this.gh.rest.checks.listForRef({
      ...splitRepo(repo),
      ref: headSha,
      check_name: name,
      filter: 'latest',
      per_page: 100,
      // Only Vigil's own run: another App may post a check of the same name, and only ours is ours to update.
      ...(this.appId !== undefined ? { app_id: this.appId } : {}),
    });
    const latest = data.check_runs
      .filter((c) => c.name === name && (this.appId === undefined || c.app?.id === this.appId))
      .sort((a, b) => b.id - a.id)[0];
    return latest ? toCheckRun(latest) : undefined;
  }

  async createCheckRun(repo: RepoName, run: CheckRunSpec): Promise<CheckRun> {
    if (run.status === 'completed' && !run.conclusion) {
      throw new TypeError('a completed check run needs a conclusion');
    }
    const { data } = await this.gh.rest.checks.create({
      ...splitRepo(repo),
      name: run.name,
      head_sha: run.headSha,
      ...checkFields(run),
    });
    this.appId ??= data.app?.id;
    return toCheckRun(data);
  }

  async updateCheckRun(repo: RepoName, id: number, run: Partial<CheckRunSpec>): Promise<CheckRun> {
    const { data } = await this.gh.rest.checks.update({
      ...splitRepo(repo),
      check_run_id: id,
      ...(run.name ? { name: run.name } : {}),
      ...checkFields(run),
    });
    this.appId ??= data.app?.id;
    return toCheckRun(data);
  }

  async branchProtection(repo: RepoName, branch: string): Promise<BranchProtectionFacts> {
    return readBranchProtection(this.gh, repo, branch, this.appId);
  }

  async requiredChecks(repo: RepoName, branch: string): Promise<RequiredChecks | undefined> {
    const r = splitRepo(repo);
    const found: { source: 'branch-protection' | 'ruleset'; checks: string[] }[] = [];
    let unreadable: ForgeError | undefined;

    try {
      const { data } = await this.gh.rest.repos.getBranchProtection({ ...r, branch });
      const rsc = data.required_status_checks;
      const checks = [...(rsc?.contexts ?? []), ...(rsc?.checks ?? []).map((c) => c.context)];
      if (checks.length > 0) found.push({ source: 'branch-protection', checks });
    } catch (error) {
      // 404: the branch is not protected. 403: this identity may not read protection; rulesets may still say.
      if (!(error instanceof NotFoundError)) {
        if (error instanceof ForgeError && error.status === 403) unreadable = error;
        else throw error;
      }
    }
    const rules = await orUndefined(this.gh.rest.repos.getBranchRules({ ...r, branch, per_page: 100 }));
    const fromRules = (rules?.data ?? []).flatMap((rule) =>
      rule.type === 'required_status_checks'
        ? (rule.parameters?.required_status_checks ?? []).map((c) => c.context)
        : [],
    );
    if (fromRules.length > 0) found.push({ source: 'ruleset', checks: fromRules });

    if (found.length === 0) {
      if (unreadable) throw unreadable; // cannot tell "not required" from "not allowed to look"
      return undefined;
    }
    return {
      checks: [...new Set(found.flatMap((f) => f.checks))].sort(),
      source: found[0]!.source,
      sources: found.map((f) => f.source),
    };
  }

  async createIssue(
    repo: RepoName,
    issue: { title: string; body: string; labels?: string[] },
  ): Promise<Created> {
    const { data } = await this.gh.rest.issues.create({
      ...splitRepo(repo),
      title: issue.title,
      body: issue.body,
      ...(issue.labels ? { labels: issue.labels } : {}),
    });
    return { number: data.number, url: data.html_url };
  }

  async createComment(repo: RepoName, number: number, body: string): Promise<{ id: number; url: string }> {
    const { data } = await this.gh.rest.issues.createComment({
      ...splitRepo(repo),
      issue_number: number,
      body,
    });
    return { id: data.id, url: data.html_url };
  }

  async listIssues(repo: RepoName, query: IssueQuery = {}): Promise<Issue[]> {
    // Conditional GETs like every read: an unchanged listing costs nothing against the rate limit.
    const all = await this.gh.paginate(this.gh.rest.issues.listForRepo, {
      ...splitRepo(repo),
      state: query.state ?? 'open',
      ...(query.labels && query.labels.length > 0 ? { labels: query.labels.join(',') } : {}),
      per_page: 100,
    });
    return all.filter((i) => !i.pull_request).map(toIssue);
  }

  async updateIssue(repo: RepoName, number: number, change: IssueChange): Promise<Issue> {
    const { data } = await this.gh.rest.issues.update({
      ...splitRepo(repo),
      issue_number: number,
      ...(change.title !== undefined ? { title: change.title } : {}),
      ...(change.body !== undefined ? { body: change.body } : {}),
      ...(change.state !== undefined ? { state: change.state } : {}),
      ...(change.stateReason !== undefined ? { state_reason: change.stateReason } : {}),
      ...(change.labels !== undefined ? { labels: change.labels } : {}),
    });
    return toIssue(data);
  }
}

/** An issue as the REST API returns it. */
interface IssueLike {
  number: number;
  html_url: string;
  state: string;
  title: string;
  body?: string | null;
  labels: (string | { name?: string })[];
  user: { login: string } | null;
  created_at: string;
  closed_at: string | null;
}

function toIssue(i: IssueLike): Issue {
  return {
    number: i.number,
    url: i.html_url,
    state: i.state === 'closed' ? 'closed' : 'open',
    title: i.title,
    body: i.body ?? '',
    labels: i.labels.flatMap((l) => (typeof l === 'string' ? [l] : l.name ? [l.name] : [])),
    author: i.user?.login ?? 'ghost',
    createdAt: i.created_at,
    ...(i.closed_at ? { closedAt: i.closed_at } : {}),
  };
}

/** A 404 as "not there"; any other failure stands. */
async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** A pull request as the REST API and the `pull_request` webhook payloads carry it. */
export interface PullLike {
  number: number;
  html_url: string;
  state: string;
  merged?: boolean | null;
  merged_at: string | null;
  merged_by?: { login: string } | null;
  merge_commit_sha?: string | null;
  closed_at: string | null;
  title: string;
  body: string | null;
  user: { login: string } | null;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  labels: ({ name?: string } | string)[];
  draft?: boolean;
  created_at: string;
  updated_at: string;
}

export function toPullRequest(p: PullLike): PullRequest {
  const merged = p.merged ?? (p.merged_at !== null && p.merged_at !== undefined);
  return {
    number: p.number,
    url: p.html_url,
    state: p.state === 'open' ? 'open' : 'closed',
    merged,
    ...(p.merged_at ? { mergedAt: p.merged_at } : {}),
    ...(merged && p.merged_by?.login ? { mergedBy: p.merged_by.login } : {}),
    // Before the merge, GitHub reports here the test merge commit it made; only a merged one is the record.
    ...(merged && p.merge_commit_sha ? { mergeCommitSha: p.merge_commit_sha } : {}),
    ...(p.closed_at ? { closedAt: p.closed_at } : {}),
    title: p.title,
    body: p.body ?? '',
    author: p.user?.login ?? 'ghost',
    head: { ref: p.head.ref, sha: p.head.sha },
    base: { ref: p.base.ref, sha: p.base.sha },
    labels: p.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== ''),
    draft: p.draft ?? false,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

interface CheckRunLike {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  html_url: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
}

function toCheckRun(c: CheckRunLike): CheckRun {
  return {
    id: c.id,
    name: c.name,
    headSha: c.head_sha,
    status: c.status as CheckStatus,
    ...(c.conclusion ? { conclusion: c.conclusion as CheckConclusion } : {}),
    ...(c.output.title !== null && c.output.summary !== null
      ? {
          output: {
            title: c.output.title,
            summary: c.output.summary,
            ...(c.output.text !== null ? { text: c.output.text } : {}),
          },
        }
      : {}),
    url: c.html_url ?? '',
  };
}

function checkFields(run: Partial<CheckRunSpec>) {
  return {
    ...(run.status ? { status: run.status } : {}),
    ...(run.conclusion ? { conclusion: run.conclusion } : {}),
    ...(run.output
      ? {
          output: {
            title: run.output.title,
            summary: run.output.summary,
            ...(run.output.text !== undefined ? { text: run.output.text } : {}),
          },
        }
      : {}),
    ...(run.detailsUrl ? { details_url: run.detailsUrl } : {}),
    ...(run.externalId ? { external_id: run.externalId } : {}),
    ...(run.completedAt ? { completed_at: run.completedAt } : {}),
  };
}

/** The fields of a timeline entry the gate reads; the timeline mixes many event shapes. */
interface TimelineEntry {
  event?: string;
  actor?: { login: string } | null;
  created_at?: string;
  /** For head_ref_force_pushed: the head commit after the push. */
  commit_id?: string | null;
  dismissed_review?: { state: string; review_id: number; dismissal_message?: string | null };
}

interface CommitItem {
  sha: string;
  author: { login?: string } | null;
  committer: { login?: string } | null;
  commit: {
    message: string;
    author: { date?: string } | null;
    committer: { date?: string } | null;
    verification?: { verified: boolean };
  };
}

function commitOf(c: CommitItem): PullRequestCommit {
  return {
    sha: c.sha,
    authorLogin: c.author?.login ?? null,
    committerLogin: c.committer?.login ?? null,
    ...(c.commit.author?.date ? { authoredAt: c.commit.author.date } : {}),
    ...(c.commit.committer?.date ? { committedAt: c.commit.committer.date } : {}),
    message: c.commit.message,
    ...(c.commit.verification ? { verified: c.commit.verification.verified } : {}),
  };
}
