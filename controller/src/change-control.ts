// Change control around a running manager: the webhook receiver and the poller that tell the Promotion
// reconciler a pull request changed. Shared by `vigil controller` (GitHub) and `vigil start` (the local forge).
import type { Logger } from 'pino';
import { type Forge, ForgeUnavailableError, NotFoundError } from './forge/forge.js';
import {
  GovernedPullRequestGate,
  governedRepositories,
  isPromotionBranch,
  type PollSeen,
  PullRequestDiscovery,
  pullRequestsInHand,
  SignoffGate,
  SignoffPoller,
  SignoffUnavailableError,
} from './gate/index.js';
import { PROMOTIONS, USE_CASES } from './kinds/resources.js';
import { type CacheReader, type Disposition, type Manager, runWorkers, WorkQueue } from './runtime/index.js';
import {
  openPromotionPullRequests,
  type PullRequestRef,
  promotionKeysFor,
  pullRequestInPayload,
  startWebhookReceiver,
  type WebhookEvent,
} from './webhooks/index.js';

/**
 * How long a webhook-triggered evaluation waits for the deliveries that follow: reviewers approving one after
 * the other, or a push and its dismissed reviews, are evaluated once, not once each. The check turns this much
 * later at most.
 */
export const WEBHOOK_BATCH_MS = 1_000;

export interface ChangeControlOptions {
  manager: Manager;
  forge: Forge;
  logger: Logger;
  /**
   * Receive GitHub webhooks; polling alone notices changes within `pollIntervalMs` when absent. With
   * `deliveriesFile`, the delivery ids already processed survive a restart.
   */
  webhook?: { port: number; host?: string; path: string; secret: string; deliveriesFile?: string };
  pollIntervalMs?: number;
  /** Default WEBHOOK_BATCH_MS. */
  webhookBatchMs?: number;
}

export interface ChangeControl {
  /** Where webhooks are received, when a receiver runs. */
  webhookUrl?: string;
  stop(): Promise<void>;
}

/** Start after the manager: the receiver and the poller read its caches and feed its Promotion queue. */
export async function startChangeControl(options: ChangeControlOptions): Promise<ChangeControl> {
  const { manager, forge, logger } = options;
  const batchMs = options.webhookBatchMs ?? WEBHOOK_BATCH_MS;
  const cache: CacheReader = {
    get: (kind, namespace, name) => manager.informerFor(kind)?.get(namespace, name),
    list: (kind, namespace) => manager.informerFor(kind)?.list(namespace) ?? [],
  };
  // What a delivery or a poll read is handed to the evaluation it triggers, so that evaluation reads it no more.
  const inHand = pullRequestsInHand(forge);
  const governed = startGovernedGate(options, cache);
  // A Promotion's pull request goes to its reconciler; any other on a repository UseCases deploy from, to the
  // governed gate, which evaluates it when it changes a deployment file.
  // The head branch, when known, tells a Promotion's pull request before its status records the number.
  const requeue = (ref: PullRequestRef, afterMs: number, headRef?: string) => {
    const keys = promotionKeysFor(cache, ref);
    for (const key of keys) manager.queueFor(PROMOTIONS)?.addAfter(key, afterMs);
    if (keys.length > 0 || !governedRepositories(cache).has(ref.repository.toLowerCase())) return;
    if (headRef !== undefined && isPromotionBranch(cache, ref.repository, headRef)) return;
    governed.add(ref, afterMs);
  };
  const onDelivery = (event: WebhookEvent) => {
    const delivered = pullRequestInPayload(event.payload);
    for (const target of event.targets) {
      const carried = delivered?.number === target.number ? delivered : undefined;
      if (carried) inHand.offer(target.repository, { pullRequest: carried });
      requeue(target, batchMs, carried?.head.ref);
    }
  };
  const onPolled = (target: PullRequestRef, seen: PollSeen) => {
    inHand.offer(target.repository, seen);
    requeue(target, 0, seen.pullRequest.head.ref);
  };
  const receiver = options.webhook
    ? await startWebhookReceiver({
        ...options.webhook,
        registry: manager.metrics.registry,
        logger,
        onEvent: onDelivery,
      })
    : undefined;
  // A pull request whose webhooks never came (lost, or sent while the controller was down) is found by listing
  // each governed repository's open pull requests, and handed over as a delivery would be.
  const discovery = new PullRequestDiscovery({
    forge,
    repositories: () => deploymentRepositories(cache),
    onFound: (target, pullRequest) => {
      if (governed.knows(target)) return;
      inHand.offer(target.repository, { pullRequest });
      requeue(target, 0, pullRequest.head.ref);
    },
    logger,
  });
  const poller = new SignoffPoller({
    forge,
    // Listing first: what it finds is evaluated at once, then polled with the rest from the next interval on.
    targets: async () => {
      await discovery.poll();
      return [...openPromotionPullRequests(cache), ...governed.open()];
    },
    onChange: onPolled,
    logger,
    ...(options.pollIntervalMs !== undefined ? { intervalMs: options.pollIntervalMs } : {}),
  });
  poller.start();
  return {
    ...(receiver ? { webhookUrl: receiver.url } : {}),
    async stop() {
      await receiver?.stop();
      await poller.stop();
      await governed.stop();
    },
  };
}

/**
 * The governed gate's own work queue: one pull request at a time, re-evaluated when an outage ends or an
 * approval expires. The open governed pull requests it has seen are polled with the Promotions'.
 */
function startGovernedGate(options: ChangeControlOptions, cache: CacheReader) {
  const { forge, logger } = options;
  const inHand = pullRequestsInHand(forge);
  const gate = new GovernedPullRequestGate({
    forge,
    gate: new SignoffGate({ forge, logger }),
    cache,
    logger,
  });
  const queue = new WorkQueue();
  const open = new Map<string, PullRequestRef>();
  const keyOf = (ref: PullRequestRef) => `${ref.repository}#${ref.number}`;
  const handle = async (key: string): Promise<Disposition> => {
    const ref = open.get(key) ?? refOf(key);
    try {
      const verdict = await gate.evaluate(
        ref.repository,
        ref.number,
        inHand.take(ref.repository, ref.number),
      );
      if (verdict.kind !== 'evaluated') {
        open.delete(key);
        return { action: 'forget' };
      }
      open.set(key, ref);
      const { outcome } = verdict;
      const next = outcome.retryAt ?? outcome.result.reevaluateAt;
      return next
        ? { action: 'requeueAfter', ms: Math.max(1_000, new Date(next).getTime() - Date.now()) }
        : { action: 'forget' };
    } catch (error) {
      if (error instanceof NotFoundError) {
        open.delete(key);
        return { action: 'forget' };
      }
      const unavailable =
        error instanceof SignoffUnavailableError || error instanceof ForgeUnavailableError
          ? error
          : undefined;
      if (unavailable) {
        return { action: 'requeueAfter', ms: Math.max(1_000, unavailable.retryAt.getTime() - Date.now()) };
      }
      logger.error({ pullRequest: key, err: error }, 'evaluating a hand-made pull request failed');
      return { action: 'retry' };
    }
  };
  const workers = runWorkers(queue, 1, handle);
  return {
    add(ref: PullRequestRef, afterMs: number) {
      queue.addAfter(keyOf(ref), afterMs);
    },
    open: () => [...open.values()],
    /** Whether it is tracked as open and governed: the poller already reads it every interval. */
    knows: (ref: PullRequestRef) => open.has(keyOf(ref)),
    async stop() {
      await queue.shutdown();
      await workers;
    },
  };
}

/** The repositories UseCases deploy from, as the UseCases spell them (the listing dedupes by case). */
function deploymentRepositories(cache: CacheReader): string[] {
  return cache.list(USE_CASES).flatMap((uc) => {
    const repo = (uc.spec as { deployment?: { repository?: unknown } } | undefined)?.deployment?.repository;
    return typeof repo === 'string' ? [repo] : [];
  });
}

function refOf(key: string): PullRequestRef {
  const at = key.lastIndexOf('#');
  return { repository: key.slice(0, at), number: Number(key.slice(at + 1)) };
}
