// What a webhook or the poller has just told us about a pull request, kept for the one sign-off evaluation it
// triggers, so that evaluation does not read the same again. A `pull_request_review` delivery carries the pull
// request (head, base, state) but not the other reviews; a poll read both. Each entry is taken once: an
// evaluation triggered by anything else (a timer, a spec change) reads the forge afresh.
//
// Trade-off: a delivered pull request is as of its event. Should the head move after it, a `synchronize`
// delivery follows (and the poll, when deliveries are lost), and the evaluation it triggers uses the new head;
// meanwhile the check is set on the head the event named, never on a commit nobody approved, so a merge of the
// newer head stays blocked.
import type { Forge, PullRequest, PullRequestReview, RepoName } from '../forge/forge.js';

export interface InHand {
  pullRequest: PullRequest;
  /** Every review of the pull request, when they were read together with it (a poll). */
  reviews?: PullRequestReview[];
}

export interface PullRequestsInHandOptions {
  /** An entry older than this is not used: too old to stand for "just now" (default 2 minutes). */
  maxAgeMs?: number;
  /** Pull requests remembered at most; the oldest are forgotten first (default 1000). */
  capacity?: number;
  now?: () => number;
}

const keyOf = (repository: RepoName, number: number) => `${repository.toLowerCase()}#${number}`;

export class PullRequestsInHand {
  private readonly entries = new Map<string, InHand & { at: number }>();
  private readonly maxAgeMs: number;
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(options: PullRequestsInHandOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 120_000;
    this.capacity = options.capacity ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Keep what was delivered, unless a later state of the same pull request is already held (deliveries can
   * arrive out of order). A newer delivery replaces reviews read earlier: whatever it reports may have changed them.
   */
  offer(repository: RepoName, found: InHand): void {
    const key = keyOf(repository, found.pullRequest.number);
    const held = this.entries.get(key);
    if (held && Date.parse(held.pullRequest.updatedAt) > Date.parse(found.pullRequest.updatedAt)) return;
    this.entries.delete(key);
    this.entries.set(key, { ...found, at: this.now() });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** What was delivered about the pull request, once; undefined when nothing recent is held. */
  take(repository: RepoName, number: number): InHand | undefined {
    const key = keyOf(repository, number);
    const held = this.entries.get(key);
    if (!held) return undefined;
    this.entries.delete(key);
    if (this.now() - held.at > this.maxAgeMs) return undefined;
    const { at: _at, ...found } = held;
    return found;
  }

  get size(): number {
    return this.entries.size;
  }
}

const byForge = new WeakMap<Forge, PullRequestsInHand>();

/**
 * The one store per forge: the webhook receiver and the poller offer to it, the evaluations of the same forge's
 * pull requests take from it, without either side having to be handed the other.
 */
export function pullRequestsInHand(forge: Forge): PullRequestsInHand {
  let found = byForge.get(forge);
  if (!found) {
    found = new PullRequestsInHand();
    byForge.set(forge, found);
  }
  return found;
}
