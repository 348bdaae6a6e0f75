// The sign-off gate: gathers what a pull request's sign-off depends on through the forge, lets evaluateSignoff
// decide, and sets the `vigil/sign-off` check run on the head commit, the check branch protection requires. It
// fails closed: whatever could not be read makes the check `failure` (or, while the forge takes no calls at all,
// leaves it as it is and throws SignoffUnavailableError). Break-glass rollbacks are the one merge it makes.
import type { Logger } from 'pino';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import {
  type CheckRun,
  ConflictError,
  type ForcePushEvent,
  type Forge,
  ForgeUnavailableError,
  NotFoundError,
  type PullRequest,
  type PullRequestCommit,
  type PullRequestReview,
  type RepoName,
  type ReviewDismissalEvent,
} from '../forge/forge.js';
import { type Clock, systemClock } from '../runtime/index.js';
import {
  type Blocker,
  type CheckRunOutput,
  evaluateSignoff,
  type Review,
  renderCheckRun,
  type SignoffResult,
  sameCheckRunOutput,
  type TeamMembership,
} from '../signoff/index.js';
import {
  type CheckRunWrite,
  checkRunWrite,
  notEvaluatedCheckRun,
  StandingChecks,
  withdrawnCheckRun,
} from './check-run.js';
import { isRateLimited, SignoffUnavailableError, unavailableSentence } from './errors.js';
import { REMEMBERED, remember } from './remember.js';

export const SIGNOFF_CHECK = 'vigil/sign-off';

/** Who pushed which commit, as push webhooks told (the webhook receiver keeps it). */
export interface PushersOf {
  pushersOf(repository: RepoName, sha: string): string[];
}

export interface SignoffGateOptions {
  forge: Forge;
  /** Who pushed each commit; without it only verified signatures prove who wrote a commit. */
  pushes?: PushersOf;
  /** The check branch protection requires (the policy's `enforcement.checkName`). */
  checkName?: string;
  logger?: Logger;
  clock?: Clock;
}

export interface SignoffRequest {
  /** `org/repo`. */
  repository: RepoName;
  number: number;
  /** The strictest risk class among the use cases the pull request changes. */
  riskClass: string | undefined;
  signoffPolicy: {
    /** Undefined when the policy could not be read: the check fails closed. */
    spec: SignoffPolicySpec | undefined;
    /** Git commit of the policy file in force, shown on the check. */
    revision?: string;
    /** `namespace/name` of the policy, shown on the check. */
    name?: string;
  };
  /** A rollback the policy's break-glass roles may merge alone. */
  breakGlassEligible: boolean;
  /** Facts that block on their own, found before the reviews were read (a claimed file, say). */
  blockers?: Blocker[];
  /** What the check should tell besides the decision (the governance changes a pull request makes, say). */
  notes?: string[];
  /** Commits the pull request's author pushed, as the caller knows first-hand (Vigil's own, on its own branch). */
  authorPushed?: string[];
  now: Date;
  /** What the caller already holds: not read again. */
  inHand?: {
    /** The pull request as just read, opened or delivered by a webhook. */
    pullRequest?: PullRequest;
    /** Its reviews, read together with it. */
    reviews?: PullRequestReview[];
    /** All its commits, when the caller knows them (it made the only one, on a branch it created). */
    commits?: PullRequestCommit[];
    /**
     * The caller opened the pull request in this very pass: no review and no check run can be on it yet. A review
     * submitted since arrives as a webhook (or the next poll) and is evaluated then.
     */
    justOpened?: boolean;
  };
}

export type CheckRunWritten = 'created' | 'updated' | 'unchanged' | 'skipped';

export interface SignoffOutcome {
  /** evaluateSignoff's decision; `failure` whenever an input could not be read. */
  result: SignoffResult;
  /** The check run on the head commit (absent when the pull request is closed: nothing left to gate). */
  checkRunId?: number;
  checkRun: CheckRunWritten;
  /** The head commit the decision is about. */
  headSha: string;
  /** Set when the gate merged a break-glass rollback. */
  merged?: { sha: string };
  /** Some input could not be read (an outage, not a rate limit): evaluate again at this time. */
  retryAt?: Date;
  /** Whether every input was read: only then can the result be `success`. */
  complete: boolean;
}

/** What the decision needs, gathered; a failure leaves its field undefined and says why in `unreadable`. */
interface Gathered {
  reviews?: Review[];
  commits?: PullRequestCommit[];
  dismissals?: ReviewDismissalEvent[];
  /** Force pushes to the head branch, from the timeline; read when a review was dismissed or a pusher is unknown. */
  forcePushes?: ForcePushEvent[];
  teams: Record<string, TeamMembership | undefined>;
  unreadable: { what: string; error: unknown }[];
}

export class SignoffGate {
  readonly checkName: string;
  private readonly forge: Forge;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  private readonly pushes: PushersOf | undefined;
  /**
   * A pull request's commits by head, base branch and base commit. For a given head and base they do not change
   * (they only shrink as the base takes some in, which keeps more committers from approving, never fewer), so
   * an evaluation after a review reads them no more.
   */
  private readonly commits = new Map<string, PullRequestCommit[]>();
  /** The check run this gate last wrote on a head commit, so a changed decision is written without a search. */
  private readonly written = new Map<string, { id: number; output: CheckRunOutput }>();
  /** The check this gate last set on each pull request, to withdraw a success it can no longer confirm. */
  private readonly standing = new StandingChecks(REMEMBERED);

  constructor(options: SignoffGateOptions) {
    this.forge = options.forge;
    this.checkName = options.checkName ?? SIGNOFF_CHECK;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.pushes = options.pushes;
  }

  async evaluate(request: SignoffRequest): Promise<SignoffOutcome> {
    const started = this.clock.now();
    const { repository, number } = request;
    const log = this.logger?.child({ repository, pullRequest: number });

    // The pull request first, alone: without its head commit there is nothing to set a check on, and if the
    // forge is rate limited this is the only call made before the reset.
    let pr: PullRequest;
    try {
      pr = request.inHand?.pullRequest ?? (await this.forge.getPullRequest(repository, number));
    } catch (error) {
      if (error instanceof ForgeUnavailableError) {
        await this.withdraw(repository, number, error);
        throw SignoffUnavailableError.from(error);
      }
      throw error;
    }

    const gathered = await this.gather(request, pr);
    const rateLimit = gathered.unreadable.map((u) => u.error).find(isRateLimited);
    // Rate limited: no decision before the reset; a success standing is withdrawn if a write still goes through.
    if (rateLimit) {
      await this.withdraw(repository, number, rateLimit, pr.head.sha);
      throw SignoffUnavailableError.from(rateLimit);
    }

    const lastPushAt = headCommittedAt(gathered.commits, pr.head.sha);
    const decided = evaluateSignoff({
      policy: request.signoffPolicy.spec,
      riskClass: request.riskClass,
      pullRequest: {
        author: pr.author,
        headSha: pr.head.sha,
        commits: (gathered.commits ?? []).map((c) => ({
          ...c,
          pushers: this.pushersOf(request, pr, c.sha, gathered.forcePushes),
        })),
        ...(gathered.forcePushes?.length
          ? { branchPushers: [...new Set(gathered.forcePushes.map((f) => f.by))] }
          : {}),
        ...(lastPushAt ? { lastPushAt } : {}),
      },
      reviews: gathered.reviews,
      teams: gathered.teams,
      ...(gathered.dismissals ? { dismissals: gathered.dismissals } : {}),
      ...(request.blockers ? { blockers: request.blockers } : {}),
      breakGlass: { eligibleRollback: request.breakGlassEligible },
      now: request.now,
    });
    const evaluated = request.notes?.length
      ? { ...decided, notes: [...request.notes, ...decided.notes] }
      : decided;
    const complete = gathered.unreadable.length === 0;
    const retryAt = complete ? undefined : retryAtOf(gathered.unreadable, request.now);
    // Never `success` on incomplete inputs, whatever the rules made of what was read.
    const result: SignoffResult = complete ? evaluated : failedClosed(evaluated);

    const context = {
      policy: request.signoffPolicy.name ?? request.signoffPolicy.spec?.enforcement.repository ?? 'unknown',
      ...(request.signoffPolicy.revision ? { policyRevision: request.signoffPolicy.revision } : {}),
      evaluatedAt: request.now.toISOString(),
    };
    const rendered = renderCheckRun(result, context);
    const output = complete
      ? rendered
      : notEvaluatedCheckRun(rendered, notEvaluatedReason(gathered.unreadable, retryAt!));

    const base = { result, headSha: pr.head.sha, complete, ...(retryAt ? { retryAt } : {}) };
    if (pr.state === 'closed') {
      log?.debug({ conclusion: result.conclusion }, 'pull request closed: sign-off evaluated, check left');
      return { ...base, checkRun: 'skipped' };
    }

    const { id, written } = await this.setCheckRun(
      repository,
      pr.head.sha,
      output,
      request.inHand?.justOpened === true,
      request.now,
    );
    this.standing.remember(repository, number, { headSha: pr.head.sha, id, conclusion: output.conclusion });
    let merged: { sha: string } | undefined;
    if (
      complete &&
      result.breakGlass &&
      request.breakGlassEligible &&
      request.signoffPolicy.spec?.breakGlass
    ) {
      merged = await this.mergeBreakGlass(repository, pr, result, log);
    }
    log?.info(
      {
        headSha: pr.head.sha,
        conclusion: output.conclusion,
        summary: result.summary,
        checkRun: written,
        complete,
        ...(merged ? { merged: merged.sha } : {}),
        ms: this.clock.now() - started,
      },
      'sign-off evaluated',
    );
    return { ...base, checkRunId: id, checkRun: written, ...(merged ? { merged } : {}) };
  }

  /**
   * Who pushed a commit: Vigil itself for the commits it wrote, the pushers push webhooks named, and whoever
   * force-pushed the branch to leave that commit as its head (from the timeline).
   */
  private pushersOf(
    request: SignoffRequest,
    pr: PullRequest,
    sha: string,
    forcePushes: readonly ForcePushEvent[] | undefined,
  ): string[] {
    return [
      ...new Set([
        ...(request.authorPushed?.includes(sha) ? [pr.author] : []),
        ...(this.pushes?.pushersOf(request.repository, sha) ?? []),
        ...(forcePushes ?? []).filter((f) => f.sha === sha).map((f) => f.by),
      ]),
    ];
  }

  /**
   * Reviews and commits, side by side, then the members of every team that may sign. Membership is read once
   * per evaluation and never kept from one to the next: no pull request event says a team changed, and an
   * approval must count only from who is a member when the decision is made. It is read only when a review
   * needs it (an approval or an objection); with none, every role waits whoever the members are.
   */
  private async gather(request: SignoffRequest, pr: PullRequest): Promise<Gathered> {
    const { repository, number } = request;
    const unreadable: Gathered['unreadable'] = [];
    const heldReviews = request.inHand?.reviews ?? (request.inHand?.justOpened ? [] : undefined);
    const commitsKey = `${repository.toLowerCase()}#${number}@${pr.head.sha}..${pr.base.ref}@${pr.base.sha}`;
    const heldCommits = request.inHand?.commits ?? this.commits.get(commitsKey);
    const [reviews, commits] = await Promise.allSettled([
      heldReviews ?? this.forge.listReviews(repository, number),
      heldCommits ?? this.forge.listCommits(repository, number, { base: pr.base.sha, head: pr.head.sha }),
    ]);
    const gathered: Gathered = { teams: {}, unreadable };
    if (reviews.status === 'fulfilled') gathered.reviews = reviews.value;
    else unreadable.push({ what: 'the reviews', error: reviews.reason });
    if (commits.status === 'fulfilled') {
      gathered.commits = commits.value;
      if (!this.commits.has(commitsKey)) remember(this.commits, commitsKey, commits.value);
    } else unreadable.push({ what: 'the commits', error: commits.reason });
    // Who dismissed a review, and who force-pushed the branch, are only in the timeline: read it when a review
    // was dismissed, or when there is an approval to weigh and a commit has no pusher Vigil saw (a force push
    // names its pusher there, who may not approve).
    const dismissed = gathered.reviews?.some((r) => r.state === 'DISMISSED') ?? false;
    const pusherUnknown =
      (gathered.reviews?.some((r) => r.state === 'APPROVED') ?? false) &&
      (gathered.commits?.some((c) => this.pushersOf(request, pr, c.sha, undefined).length === 0) ?? false);
    if (dismissed || pusherUnknown) {
      try {
        const timeline = await this.forge.readTimeline(repository, number);
        gathered.dismissals = timeline.dismissals;
        gathered.forcePushes = timeline.forcePushes;
      } catch (error) {
        unreadable.push({
          what: dismissed ? 'who dismissed the reviews' : 'who pushed the commits',
          error,
        });
      }
    }
    // Without the reviews the decision fails closed whatever the teams hold: spare the calls.
    const teams = gathered.reviews && reviewsNeedMembership(gathered.reviews) ? teamsToRead(request) : [];
    const members = await Promise.allSettled(
      teams.map((team) => {
        const [org, slug] = team.split('/') as [string, string];
        return this.forge.teamMembers(org, slug);
      }),
    );
    teams.forEach((team, i) => {
      const found = members[i]!;
      if (found.status === 'fulfilled') gathered.teams[team] = { active: found.value as string[] };
      // An unknown team is an answer (nobody can fill the role), not an outage.
      else if (found.reason instanceof NotFoundError) gathered.teams[team] = undefined;
      else unreadable.push({ what: `the members of ${team}`, error: found.reason });
    });
    return gathered;
  }

  /**
   * Create, update or leave the check run on the head commit. The run this gate wrote last on that commit is
   * updated without a search when the decision changed; when it did not, the run is read first, since only the
   * forge can say nobody (another replica while this one did not lead) wrote something else since. A pull
   * request opened in this pass has no run yet: it is created without a search.
   */
  private async setCheckRun(
    repository: RepoName,
    headSha: string,
    output: CheckRunOutput,
    justOpened: boolean,
    evaluatedAt: Date,
  ): Promise<{ id: number; written: CheckRunWritten }> {
    const key = `${repository.toLowerCase()}@${headSha}#${this.checkName}`;
    const last = this.written.get(key);
    try {
      let write: CheckRunWrite;
      if (last && !sameOutput(last.output, output)) write = { kind: 'update', id: last.id };
      else if (!last && justOpened) write = { kind: 'create' };
      else {
        const existing: CheckRun | undefined = await this.forge.findCheckRun(
          repository,
          headSha,
          this.checkName,
        );
        write = checkRunWrite(existing, output);
      }
      const fields = {
        status: 'completed' as const,
        conclusion: output.conclusion,
        output: { title: output.title, summary: output.summary, text: output.text },
        completedAt: evaluatedAt.toISOString(),
      };
      let done: { id: number; written: CheckRunWritten };
      switch (write.kind) {
        case 'unchanged':
          done = { id: write.id, written: 'unchanged' };
          break;
        case 'update':
          done = {
            id: (await this.forge.updateCheckRun(repository, write.id, fields)).id,
            written: 'updated',
          };
          break;
        case 'create': {
          const run = await this.forge.createCheckRun(repository, {
            name: this.checkName,
            headSha,
            ...fields,
          });
          done = { id: run.id, written: 'created' };
          break;
        }
      }
      remember(this.written, key, { id: done.id, output });
      return done;
    } catch (error) {
      // Whatever the run holds now is unknown: search for it next time.
      this.written.delete(key);
      if (error instanceof ForgeUnavailableError) throw SignoffUnavailableError.from(error);
      throw error;
    }
  }

  /**
   * When the decision cannot be made (the pull request or a rate-limited input could not be read), withdraw the
   * success this gate last set on the pull request: `failure`, saying why, written without a read (a check run
   * write may spend the rate-limit reserve kept for it). A failure standing is left as it is. True when written.
   */
  async withdraw(
    repository: RepoName,
    number: number,
    error: ForgeUnavailableError,
    headSha?: string,
  ): Promise<boolean> {
    const standing = this.standing.get(repository, number);
    // Nothing remembered (a restart) but the head is known: whatever check stands there may be a success set
    // before, and finding it would take a read GitHub will not answer. A new run of the same name, written from
    // the reserve, takes its place on that commit.
    const fresh = standing === undefined && headSha !== undefined;
    if (!fresh && standing?.conclusion !== 'success') return false;
    const sha = standing?.headSha ?? headSha!;
    const now = new Date(this.clock.now());
    const output = withdrawnCheckRun(
      `${unavailableSentence(error.reason, error.retryAt)}; sign-off not evaluated`,
      now,
    );
    this.written.delete(`${repository.toLowerCase()}@${sha}#${this.checkName}`);
    let id = standing?.id;
    try {
      const completed = {
        status: 'completed' as const,
        conclusion: 'failure' as const,
        output: { title: output.title, summary: output.summary, text: output.text },
        completedAt: now.toISOString(),
      };
      if (id !== undefined) await this.forge.updateCheckRun(repository, id, completed);
      else
        id = (
          await this.forge.createCheckRun(repository, { name: this.checkName, headSha: sha, ...completed })
        ).id;
    } catch (writeError) {
      this.logger?.warn(
        { repository, pullRequest: number, err: writeError },
        'a sign-off that can no longer be confirmed could not be withdrawn',
      );
      return false;
    }
    this.standing.remember(repository, number, { headSha: sha, id, conclusion: 'failure' });
    this.logger?.warn(
      { repository, pullRequest: number, headSha: sha, reason: error.reason },
      'sign-off withdrawn: what the decision needs cannot be read',
    );
    return true;
  }

  /** Merge the head the decision was about; a head that moved since is left for the next evaluation. */
  private async mergeBreakGlass(
    repository: RepoName,
    pr: PullRequest,
    result: SignoffResult,
    log: Logger | undefined,
  ): Promise<{ sha: string } | undefined> {
    try {
      const merged = await this.forge.mergePullRequest(repository, pr.number, pr.head.sha);
      log?.warn(
        {
          by: result.breakGlass?.by.login,
          role: result.breakGlass?.role,
          due: result.breakGlass?.retrospectiveDue,
        },
        'break-glass rollback merged; retrospective sign-off owed',
      );
      return merged;
    } catch (error) {
      if (error instanceof ConflictError) {
        log?.info({ headSha: pr.head.sha }, 'break-glass merge skipped: the head moved; evaluating again');
        return undefined;
      }
      if (error instanceof ForgeUnavailableError) throw SignoffUnavailableError.from(error);
      throw error;
    }
  }
}

/** The teams of the roles the risk class requires, and of the break-glass roles when a rollback may use them. */
export function teamsToRead(
  request: Pick<SignoffRequest, 'riskClass' | 'signoffPolicy' | 'breakGlassEligible'>,
): string[] {
  const spec = request.signoffPolicy.spec;
  if (!spec) return [];
  const roles = new Set(spec.requirements.find((r) => r.riskClass === request.riskClass)?.roles ?? []);
  if (request.breakGlassEligible) for (const role of spec.breakGlass?.roles ?? []) roles.add(role);
  for (const role of spec.rules.objectionsDismissibleBy ?? []) roles.add(role);
  const teams = spec.roles.filter((r) => roles.has(r.name)).map((r) => r.team);
  return [...new Set(teams)].filter((t) => /^[^/]+\/[^/]+$/.test(t));
}

/**
 * When the head was last pushed, as near as the REST API tells: the head commit's committer date. GitHub does
 * not report push times on pull requests (only the timeline's force-push events and the `synchronize` webhook
 * do). A head sha differing from an approval's commit already makes it stale; this adds the case of a branch
 * reset to a commit reviewed earlier. A committer date set in the future makes approvals stale: that fails closed.
 */
export function headCommittedAt(
  commits: readonly PullRequestCommit[] | undefined,
  headSha: string,
): string | undefined {
  const head = commits?.find((c) => c.sha === headSha);
  return head?.committedAt ?? head?.authoredAt;
}

/** Whether any review is one a team's membership decides about: an approval, or an objection that may block. */
export function reviewsNeedMembership(reviews: readonly PullRequestReview[]): boolean {
  return reviews.some(
    (r) => r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED',
  );
}

function sameOutput(a: CheckRunOutput, b: CheckRunOutput): boolean {
  return sameCheckRunOutput(a, b);
}

/** The decision as `failure`, without a break-glass grant: some input was not read. */
function failedClosed(result: SignoffResult): SignoffResult {
  const { breakGlass: _unused, ...rest } = result;
  return { ...rest, conclusion: 'failure' };
}

function retryAtOf(unreadable: Gathered['unreadable'], now: Date): Date {
  const times = unreadable
    .map((u) => (u.error instanceof ForgeUnavailableError ? u.error.retryAt.getTime() : undefined))
    .filter((t): t is number => t !== undefined);
  // A failure that is not an outage (a permission, a bug) still gets another look, a minute on.
  return new Date(times.length > 0 ? Math.max(...times) : now.getTime() + 60_000);
}

function notEvaluatedReason(unreadable: Gathered['unreadable'], retryAt: Date): string {
  const outage = unreadable.map((u) => u.error).find((e) => e instanceof ForgeUnavailableError);
  if (outage) return `${unavailableSentence(outage.reason, retryAt)}; sign-off not evaluated`;
  const what = unreadable.map((u) => u.what).join(', ');
  return `${what} could not be read from GitHub; sign-off not evaluated`;
}
