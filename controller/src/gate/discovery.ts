// Finding the pull requests no webhook told us about: a person's pull request whose `opened` delivery was lost, or
// arrived while the controller was down, would otherwise never be gated. Every poll interval, list each governed
// repository's open pull requests and hand over any not seen before, or whose head or base branch moved since.
// The listing is conditional (ETags): while nothing opens or moves, each repository costs one 304. Likewise, a
// change to a team's members that no webhook reported is found by reading the members every interval.
import type { Logger } from 'pino';
import {
  type Forge,
  ForgeUnavailableError,
  NotFoundError,
  type PullRequest,
  type RepoName,
} from '../forge/forge.js';
import type { PollTarget } from './poller.js';

export interface PullRequestDiscoveryOptions {
  forge: Forge;
  /** The repositories to list: those UseCases deploy from. */
  repositories: () => Iterable<RepoName>;
  /**
   * Told of each open pull request new since the last listing, or whose head or base branch moved, with the
   * pull request as listed. The caller decides whether it is already in hand (a Promotion's, or one it tracks).
   */
  onFound: (target: PollTarget, pullRequest: PullRequest) => void | Promise<void>;
  logger?: Logger;
}

export interface DiscoveryResult {
  /** Repositories listed. */
  listed: number;
  found: PollTarget[];
  /** Set when the forge refused calls: no listing before this time. */
  pausedUntil?: Date;
}

/** What about a listed pull request makes it worth handing over again. */
const fingerprint = (pr: PullRequest) => `${pr.head.sha} ${pr.base.ref}`;

export class PullRequestDiscovery {
  /** By repository (lower case): each open pull request's fingerprint at the last listing. */
  private readonly seen = new Map<string, Map<number, string>>();

  constructor(private readonly options: PullRequestDiscoveryOptions) {}

  /** One listing of every repository; the first one hands over every open pull request. */
  async poll(): Promise<DiscoveryResult> {
    // Named as given (the case a webhook would carry), listed once however it is spelled.
    const repositories = new Map<string, RepoName>();
    for (const r of this.options.repositories()) {
      if (!repositories.has(r.toLowerCase())) repositories.set(r.toLowerCase(), r);
    }
    for (const key of this.seen.keys()) if (!repositories.has(key)) this.seen.delete(key);

    const found: { target: PollTarget; pullRequest: PullRequest }[] = [];
    let listed = 0;
    let pausedUntil: Date | undefined;
    for (const [key, repository] of repositories) {
      let open: PullRequest[];
      try {
        open = await this.options.forge.listOpenPullRequests(repository);
      } catch (error) {
        if (error instanceof ForgeUnavailableError) {
          this.options.logger?.warn(
            { reason: error.reason, retryAt: error.retryAt.toISOString() },
            'listing open pull requests paused: GitHub is not taking calls',
          );
          pausedUntil = error.retryAt;
          break;
        }
        if (error instanceof NotFoundError) {
          this.seen.delete(key);
          continue;
        }
        throw error;
      }
      listed += 1;
      const before = this.seen.get(key) ?? new Map<number, string>();
      const now = new Map<number, string>();
      for (const pr of open) {
        const print = fingerprint(pr);
        now.set(pr.number, print);
        if (before.get(pr.number) !== print) {
          found.push({ target: { repository, number: pr.number }, pullRequest: pr });
        }
      }
      this.seen.set(key, now);
    }
    for (const { target, pullRequest } of found) {
      try {
        await this.options.onFound(target, pullRequest);
      } catch (error) {
        this.options.logger?.error(
          { repository: target.repository, pullRequest: target.number, err: error },
          'handing over a listed pull request failed',
        );
      }
    }
    return { listed, found: found.map((f) => f.target), ...(pausedUntil ? { pausedUntil } : {}) };
  }
}

export interface TeamMembershipWatchOptions {
  forge: Forge;
  /** The teams sign-off roles name, `org/team`. */
  teams: () => Iterable<string>;
  logger?: Logger;
}

export interface MembershipResult {
  /** Teams whose members differ from the last look (none on the first look: there was nothing to differ from). */
  changed: string[];
  /** Set when the forge refused calls: the rest were not read. */
  pausedUntil?: Date;
}

/**
 * Who is in each team a sign-off role names, read every poll interval: an approval counts only from a member, and
 * without organization webhooks nothing else says a member left. The reads are conditional: while nobody joins or
 * leaves, each team costs one 304.
 */
export class TeamMembershipWatch {
  /** By team (lower case): its active members, sorted, at the last look; `missing` for a team that is not there. */
  private readonly seen = new Map<string, string>();

  constructor(private readonly options: TeamMembershipWatchOptions) {}

  async poll(): Promise<MembershipResult> {
    const teams = new Map<string, string>();
    for (const t of this.options.teams()) {
      if (/^[^/]+\/[^/]+$/.test(t) && !teams.has(t.toLowerCase())) teams.set(t.toLowerCase(), t);
    }
    for (const key of this.seen.keys()) if (!teams.has(key)) this.seen.delete(key);
    const changed: string[] = [];
    for (const [key, team] of teams) {
      const [org, slug] = team.split('/') as [string, string];
      let members: string;
      try {
        members = JSON.stringify([...(await this.options.forge.teamMembers(org, slug))].sort());
      } catch (error) {
        if (error instanceof NotFoundError) members = 'missing';
        else if (error instanceof ForgeUnavailableError) {
          this.options.logger?.warn(
            { reason: error.reason, retryAt: error.retryAt.toISOString() },
            'reading team members paused: GitHub is not taking calls',
          );
          return { changed, pausedUntil: error.retryAt };
        } else {
          // One team that does not read is no reason to stop watching the others; its evaluations fail closed.
          this.options.logger?.warn({ team, err: error }, 'reading team members failed');
          continue;
        }
      }
      const before = this.seen.get(key);
      this.seen.set(key, members);
      if (before !== undefined && before !== members) changed.push(team);
    }
    return { changed };
  }
}
