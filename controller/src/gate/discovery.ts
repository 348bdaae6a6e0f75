// Finding the pull requests no webhook told us about: a person's pull request whose `opened` delivery was lost, or
// arrived while the controller was down, would otherwise never be gated. Every poll interval, list each governed
// repository's open pull requests and hand over any not seen before, or whose head or base branch moved since.
// The listing is conditional (ETags): while nothing opens or moves, each repository costs one 304.
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
