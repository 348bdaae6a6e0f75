// The sign-off gate: gathers what a pull request's sign-off depends on through the forge, lets evaluateSignoff
// decide, and sets the `vigil/sign-off` check run on the head commit, the check branch protection requires. It
// fails closed: whatever could not be read makes the check `failure` (or, while the forge takes no calls at all,
// leaves it as it is and throws SignoffUnavailableError). Break-glass rollbacks are the one merge it makes.
import type { Logger } from 'pino';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import {
  type CheckRun,
  ConflictError,
  type Forge,
  ForgeUnavailableError,
  NotFoundError,
  type PullRequest,
  type PullRequestCommit,
  type RepoName,
} from '../forge/forge.js';
import { type Clock, systemClock } from '../runtime/index.js';
import {
  type CheckRunOutput,
  evaluateSignoff,
  type Review,
  renderCheckRun,
  type SignoffResult,
  type TeamMembership,
} from '../signoff/index.js';
import { checkRunWrite, notEvaluatedCheckRun } from './check-run.js';
import { isRateLimited, SignoffUnavailableError, unavailableSentence } from './errors.js';

export const SIGNOFF_CHECK = 'vigil/sign-off';

export interface SignoffGateOptions {
  forge: Forge;
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
  now: Date;
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
  teams: Record<string, TeamMembership | undefined>;
  unreadable: { what: string; error: unknown }[];
}

export class SignoffGate {
  readonly checkName: string;
  private readonly forge: Forge;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;

  constructor(options: SignoffGateOptions) {
    this.forge = options.forge;
    this.checkName = options.checkName ?? SIGNOFF_CHECK;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
  }

  async evaluate(request: SignoffRequest): Promise<SignoffOutcome> {
    const started = this.clock.now();
    const { repository, number } = request;
    const log = this.logger?.child({ repository, pullRequest: number });

    // The pull request first, alone: without its head commit there is nothing to set a check on, and if the
    // forge is rate limited this is the only call made before the reset.
    let pr: PullRequest;
    try {
      pr = await this.forge.getPullRequest(repository, number);
    } catch (error) {
      if (error instanceof ForgeUnavailableError) throw SignoffUnavailableError.from(error);
      throw error;
    }

    const gathered = await this.gather(request);
    const rateLimit = gathered.unreadable.map((u) => u.error).find(isRateLimited);
    // Rate limited: the forge takes no write either, so leave the check as it stands and come back at the reset.
    if (rateLimit) throw SignoffUnavailableError.from(rateLimit);

    const lastPushAt = headCommittedAt(gathered.commits, pr.head.sha);
    const evaluated = evaluateSignoff({
      policy: request.signoffPolicy.spec,
      riskClass: request.riskClass,
      pullRequest: {
        author: pr.author,
        headSha: pr.head.sha,
        commits: gathered.commits ?? [],
        ...(lastPushAt ? { lastPushAt } : {}),
      },
      reviews: gathered.reviews,
      teams: gathered.teams,
      breakGlass: { eligibleRollback: request.breakGlassEligible },
      now: request.now,
    });
    const complete = gathered.unreadable.length === 0;
    const retryAt = complete ? undefined : retryAtOf(gathered.unreadable, request.now);
    // Never `success` on incomplete inputs, whatever the rules made of what was read.
    const result: SignoffResult = complete ? evaluated : failedClosed(evaluated);

    const context = {
      policy: request.signoffPolicy.name ?? request.signoffPolicy.spec?.enforcement.repository ?? 'unknown',
      ...(request.signoffPolicy.revision ? { policyRevision: request.signoffPolicy.revision } : {}),
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

    const { id, written } = await this.setCheckRun(repository, pr.head.sha, output);
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

  /** Reviews, commits and the members of every team that may sign, read side by side. */
  private async gather(request: SignoffRequest): Promise<Gathered> {
    const { repository, number } = request;
    const teams = teamsToRead(request);
    const unreadable: Gathered['unreadable'] = [];
    const [reviews, commits, ...members] = await Promise.allSettled([
      this.forge.listReviews(repository, number),
      this.forge.listCommits(repository, number),
      ...teams.map((team) => {
        const [org, slug] = team.split('/') as [string, string];
        return this.forge.teamMembers(org, slug);
      }),
    ]);
    const gathered: Gathered = { teams: {}, unreadable };
    if (reviews.status === 'fulfilled') gathered.reviews = reviews.value;
    else unreadable.push({ what: 'the reviews', error: reviews.reason });
    if (commits.status === 'fulfilled') gathered.commits = commits.value;
    else unreadable.push({ what: 'the commits', error: commits.reason });
    teams.forEach((team, i) => {
      const found = members[i]!;
      if (found.status === 'fulfilled') gathered.teams[team] = { active: found.value as string[] };
      // An unknown team is an answer (nobody can fill the role), not an outage.
      else if (found.reason instanceof NotFoundError) gathered.teams[team] = undefined;
      else unreadable.push({ what: `the members of ${team}`, error: found.reason });
    });
    return gathered;
  }

  private async setCheckRun(
    repository: RepoName,
    headSha: string,
    output: CheckRunOutput,
  ): Promise<{ id: number; written: CheckRunWritten }> {
    try {
      const existing: CheckRun | undefined = await this.forge.findCheckRun(
        repository,
        headSha,
        this.checkName,
      );
      const write = checkRunWrite(existing, output);
      const fields = {
        status: 'completed' as const,
        conclusion: output.conclusion,
        output: { title: output.title, summary: output.summary, text: output.text },
      };
      switch (write.kind) {
        case 'unchanged':
          return { id: write.id, written: 'unchanged' };
        case 'update':
          return {
            id: (await this.forge.updateCheckRun(repository, write.id, fields)).id,
            written: 'updated',
          };
        case 'create': {
          const run = await this.forge.createCheckRun(repository, {
            name: this.checkName,
            headSha,
            ...fields,
          });
          return { id: run.id, written: 'created' };
        }
      }
    } catch (error) {
      if (error instanceof ForgeUnavailableError) throw SignoffUnavailableError.from(error);
      throw error;
    }
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
