// Polling, for when webhooks are missed or not configured: every interval, read each open pull request that needs
// a sign-off decision and its reviews, and ask for re-evaluation only where something moved. The forge's reads
// are conditional (ETags), so an idle poll is answered 304 throughout and costs nothing against the rate limit.
import type { Logger } from 'pino';
import {
  type Forge,
  ForgeUnavailableError,
  NotFoundError,
  type PullRequest,
  type PullRequestReview,
  type RepoName,
} from '../forge/forge.js';
import { type Clock, systemClock, type Timer } from '../runtime/clock.js';

export interface PollTarget {
  repository: RepoName;
  number: number;
}

export interface SignoffPollerOptions {
  forge: Forge;
  /** What needs re-evaluation now: the open promotion pull requests (and any governed one the caller tracks). */
  targets: () => readonly PollTarget[] | Promise<readonly PollTarget[]>;
  /**
   * Re-evaluate one pull request; called once per change seen, with the pull request and reviews the poll read
   * (the evaluation need not read them again). Errors are logged, not retried here.
   */
  onChange: (target: PollTarget, seen: PollSeen) => void | Promise<void>;
  /**
   * Told of a pull request the poll could not read while GitHub still answers others (a 5xx after retries): its
   * decision cannot be confirmed, so the caller evaluates it, which fails the check closed, saying why.
   */
  onUnreadable?: (target: PollTarget, error: ForgeUnavailableError) => void | Promise<void>;
  /** Default 60 s: an approval is noticed within this long. */
  intervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** What one poll read of a pull request. */
export interface PollSeen {
  pullRequest: PullRequest;
  reviews: PullRequestReview[];
}

export interface PollResult {
  polled: number;
  changed: PollTarget[];
  /** Pull requests that could not be read (an outage, not a rate limit). */
  unreadable?: PollTarget[];
  /** Set when the forge refused calls: no poll before this time. */
  pausedUntil?: Date;
}

const targetKey = (t: PollTarget) => `${t.repository.toLowerCase()}#${t.number}`;

export class SignoffPoller {
  readonly intervalMs: number;
  private readonly clock: Clock;
  /** What each pull request looked like at the last poll. */
  private readonly seen = new Map<string, string>();
  private timer: Timer | undefined;
  private running: Promise<PollResult> | undefined;
  private stopped = true;

  constructor(private readonly options: SignoffPollerOptions) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every target. A pull request seen for the first time counts as changed. */
  async poll(): Promise<PollResult> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.schedule(ms, () => {
      void this.poll().then(
        (r) =>
          this.schedule(
            r.pausedUntil
              ? Math.max(this.intervalMs, r.pausedUntil.getTime() - this.clock.now())
              : this.intervalMs,
          ),
        (error: unknown) => {
          this.options.logger?.error({ err: error }, 'sign-off poll failed');
          this.schedule(this.intervalMs);
        },
      );
    });
  }

  private async pass(): Promise<PollResult> {
    const targets = dedupe(await this.options.targets());
    const live = new Set(targets.map(targetKey));
    for (const key of this.seen.keys()) if (!live.has(key)) this.seen.delete(key);

    const changed: PollTarget[] = [];
    const unreadable: { target: PollTarget; error: ForgeUnavailableError }[] = [];
    const seenNow = new Map<PollTarget, PollSeen>();
    let polled = 0;
    let pausedUntil: Date | undefined;
    for (const target of targets) {
      let fingerprint: string | undefined;
      try {
        const read = await this.read(target);
        fingerprint = read.fingerprint;
        seenNow.set(target, read.seen);
      } catch (error) {
        // Down for this pull request (a 5xx after retries): its decision cannot be confirmed; go on with the rest,
        // and read it afresh next time.
        if (error instanceof ForgeUnavailableError && error.reason === 'unavailable') {
          this.seen.delete(targetKey(target));
          unreadable.push({ target, error });
          continue;
        }
        if (error instanceof ForgeUnavailableError) {
          // Rate limited: stop this pass; the next one waits for the reset.
          this.options.logger?.warn(
            { reason: error.reason, retryAt: error.retryAt.toISOString() },
            'sign-off poll paused: GitHub is not taking calls',
          );
          pausedUntil = error.retryAt;
          break;
        }
        if (error instanceof NotFoundError) {
          this.seen.delete(targetKey(target));
          continue;
        }
        throw error;
      }
      polled += 1;
      const key = targetKey(target);
      if (this.seen.get(key) === fingerprint) continue;
      this.seen.set(key, fingerprint);
      changed.push(target);
    }
    for (const target of changed) {
      try {
        await this.options.onChange(target, seenNow.get(target)!);
      } catch (error) {
        this.options.logger?.error(
          { repository: target.repository, pullRequest: target.number, err: error },
          're-evaluation after a poll failed',
        );
      }
    }
    for (const { target, error } of unreadable) {
      this.options.logger?.warn(
        { repository: target.repository, pullRequest: target.number, retryAt: error.retryAt.toISOString() },
        'a pull request could not be read: evaluating it, so its check fails closed',
      );
      try {
        await this.options.onUnreadable?.(target, error);
      } catch (failure) {
        this.options.logger?.error(
          { repository: target.repository, pullRequest: target.number, err: failure },
          're-evaluation of an unreadable pull request failed',
        );
      }
    }
    return {
      polled,
      changed,
      ...(unreadable.length > 0 ? { unreadable: unreadable.map((u) => u.target) } : {}),
      ...(pausedUntil ? { pausedUntil } : {}),
    };
  }

  /** Everything that can change a sign-off decision without a new spec: head, state, and every review. */
  private async read(target: PollTarget): Promise<{ fingerprint: string; seen: PollSeen }> {
    const pr = await this.options.forge.getPullRequest(target.repository, target.number);
    const reviews = await this.options.forge.listReviews(target.repository, target.number);
    const fingerprint = JSON.stringify([
      pr.head.sha,
      pr.base.ref,
      pr.state,
      pr.merged,
      reviews.map((r) => [r.id, r.login, r.state, r.commitId, r.submittedAt ?? '']),
    ]);
    return { fingerprint, seen: { pullRequest: pr, reviews } };
  }
}

function dedupe(targets: readonly PollTarget[]): PollTarget[] {
  const byKey = new Map<string, PollTarget>();
  for (const t of targets) byKey.set(targetKey(t), t);
  return [...byKey.values()];
}
