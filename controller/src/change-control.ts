// Change control around a running manager: the webhook receiver and the poller that tell the Promotion
// reconciler a pull request changed. Shared by `vigil controller` (GitHub) and `vigil start` (the local forge).
// A green check must never outlive its facts: besides the pull request's own events, every open governed pull
// request is evaluated again when a team's members change (webhook, or the poll's read of the members).
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { signoffPolicySpec } from '../../specs/signoffpolicy.js';
import { type Forge, ForgeUnavailableError, NotFoundError, type PullRequest } from './forge/forge.js';
import { decisionsAtRest } from './gate/at-rest.js';
import {
  GovernanceChangeGate,
  GovernedPullRequestGate,
  governanceRepositories,
  governanceTargets,
  governedRepositories,
  isPromotionBranch,
  type PollSeen,
  PullRequestDiscovery,
  pullRequestsInHand,
  SignoffGate,
  SignoffPoller,
  SignoffUnavailableError,
  TeamMembershipWatch,
} from './gate/index.js';
import { PROMOTIONS, peekSpec, SIGNOFF_POLICIES, statusOf, USE_CASES } from './kinds/resources.js';
import { type CacheReader, type Disposition, type Manager, runWorkers, WorkQueue } from './runtime/index.js';
import {
  openPromotionPullRequests,
  type PullRequestRef,
  PushLedger,
  type PushRecord,
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
/** How long the poll waits for a deferred promotion's evaluation before it goes on regardless. */
const DEFERRED_WAIT_MS = 60_000;

export interface ChangeControlOptions {
  manager: Manager;
  forge: Forge;
  logger: Logger;
  /**
   * Receive GitHub webhooks; polling alone notices changes within `pollIntervalMs` when absent. With
   * `deliveriesFile`, the delivery ids already processed survive a restart, and so do the pushes recorded (in
   * `pushes.jsonl` beside it).
   */
  webhook?: { port: number; host?: string; path: string; secret: string; deliveriesFile?: string };
  pollIntervalMs?: number;
  /** Default WEBHOOK_BATCH_MS. */
  webhookBatchMs?: number;
  /** Who pushed which commit, fed by `push` webhooks; one is made (kept beside the deliveries file) when absent. */
  pushes?: PushLedger;
}

export interface ChangeControl {
  /** Where webhooks are received, when a receiver runs. */
  webhookUrl?: string;
  /** Who pushed which commit, as the `push` webhooks received told it. */
  pushes: PushLedger;
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
  // What the reconcilers decided and keep until due; whatever this side hears of makes them read again.
  const atRest = decisionsAtRest(forge);
  const policiesAgain = () => {
    atRest.policies.forgetAll();
    for (const policy of cache.list(SIGNOFF_POLICIES)) {
      manager
        .queueFor(SIGNOFF_POLICIES)
        ?.addAfter(`${policy.metadata.namespace}/${policy.metadata.name}`, batchMs);
    }
  };
  // Promotions whose sign-off GitHub did not answer for: evaluated again, and waited for, before the poll reads.
  const evaluateDeferredPromotions = async (): Promise<number> => {
    const queue = manager.queueFor(PROMOTIONS);
    const keys = atRest.deferred
      .list()
      .filter((key) => promotionExists(cache, key) && promotionInProgress(cache, key));
    if (!queue || keys.length === 0) return 0;
    await Promise.all(
      keys.map((key) => {
        const evaluated = atRest.deferred.next(key, DEFERRED_WAIT_MS);
        atRest.promotions.forget(key);
        queue.add(key);
        return evaluated;
      }),
    );
    return keys.length;
  };
  const pushes = options.pushes ?? new PushLedger(pushLedgerFile(options, logger));
  const governed = startGovernedGate(options, cache, pushes);
  // A Promotion's pull request goes to its reconciler; any other on a repository UseCases deploy from, to the
  // governed gate, which evaluates it when it changes a deployment file. So does one whose Promotion settled
  // (superseded, rejected) and that someone reopened: no reconciler gates it any more.
  // The head branch, when known, tells a Promotion's pull request before its status records the number.
  const requeue = (ref: PullRequestRef, afterMs: number, headRef?: string) => {
    const keys = promotionKeysFor(cache, ref);
    for (const key of keys) {
      // Something happened to it at the forge: its next pass reads again, whatever it decided before.
      atRest.promotions.forget(key);
      manager.queueFor(PROMOTIONS)?.addAfter(key, afterMs);
    }
    if (keys.some((key) => promotionInProgress(cache, key))) return;
    // Pull requests on the governance repository (where SignoffPolicies live) go to the same gate.
    const repo = ref.repository.toLowerCase();
    if (!governedRepositories(cache).has(repo) && !governanceRepositories(cache).has(repo)) return;
    if (headRef !== undefined && isPromotionBranch(cache, ref.repository, headRef)) return;
    governed.add(ref, afterMs);
  };
  // The head and base branch last seen of each pull request, so a push re-evaluates only those it concerns.
  const branches = new Map<string, { head: string; base: string }>();
  const seenBranches = (ref: PullRequestRef, pr: PullRequest) => {
    const key = `${ref.repository.toLowerCase()}#${ref.number}`;
    branches.delete(key);
    branches.set(key, { head: pr.head.ref, base: pr.base.ref });
    if (branches.size > 10_000) branches.delete(branches.keys().next().value!);
  };
  // Every open pull request that needs a sign-off decision; with a push, those whose head or base it moved (and
  // any whose branches are not known yet).
  const reevaluateOpen = (afterMs: number, push?: PushRecord) => {
    const branch = push?.ref.replace(/^refs\/heads\//, '');
    for (const ref of [...openPromotionPullRequests(cache), ...governed.open()]) {
      if (push) {
        if (ref.repository.toLowerCase() !== push.repository.toLowerCase()) continue;
        const known = branches.get(`${ref.repository.toLowerCase()}#${ref.number}`);
        if (known && known.head !== branch && known.base !== branch) continue;
      }
      requeue(ref, afterMs);
    }
  };
  const onDelivery = (event: WebhookEvent) => {
    // A team's members changed: an approval counts only from a member, so every decision is made again.
    if (event.membership) {
      reevaluateOpen(batchMs);
      policiesAgain();
    }
    // A push may change who contributed to a pull request: decide again, now that the ledger knows the pusher.
    if (event.push) reevaluateOpen(batchMs, event.push);
    const delivered = pullRequestInPayload(event.payload);
    for (const target of event.targets) {
      const carried = delivered?.number === target.number ? delivered : undefined;
      if (carried) {
        inHand.offer(target.repository, { pullRequest: carried });
        seenBranches(target, carried);
      }
      requeue(target, batchMs, carried?.head.ref);
    }
  };
  const onPolled = (target: PullRequestRef, seen: PollSeen) => {
    inHand.offer(target.repository, seen);
    seenBranches(target, seen.pullRequest);
    requeue(target, 0, seen.pullRequest.head.ref);
  };
  const receiver = options.webhook
    ? await startWebhookReceiver({
        ...options.webhook,
        registry: manager.metrics.registry,
        logger,
        pushes,
        onEvent: onDelivery,
      })
    : undefined;
  // A pull request whose webhooks never came (lost, or sent while the controller was down) is found by listing
  // each governed repository's open pull requests, and handed over as a delivery would be.
  const discovery = new PullRequestDiscovery({
    forge,
    repositories: () => [
      ...deploymentRepositories(cache),
      ...governanceTargets(cache).map((t) => t.repository),
    ],
    onFound: (target, pullRequest) => {
      seenBranches(target, pullRequest);
      if (governed.knows(target)) return;
      inHand.offer(target.repository, { pullRequest });
      requeue(target, 0, pullRequest.head.ref);
    },
    logger,
  });
  // Membership is read fresh by each evaluation; this read, every interval, tells when to evaluate again without
  // a webhook (organization webhooks are often not configured). An unchanged team costs one 304.
  const members = new TeamMembershipWatch({ forge, teams: () => signoffTeams(cache), logger });
  const poller = new SignoffPoller({
    forge,
    // Listing first: what it finds is evaluated at once, then polled with the rest from the next interval on.
    targets: async () => {
      // The pull requests whose events could not be acted on go first, before anything else is read: the
      // governed gate's, and the promotions' (evaluated by their reconciler; waited for here).
      const [governedFirst, promotionsFirst] = await Promise.all([
        governed.evaluateDeferred(),
        evaluateDeferredPromotions(),
      ]);
      const first = governedFirst + promotionsFirst;
      if (first > 0)
        logger.info({ pullRequests: first }, 'evaluated first: pull requests GitHub did not answer for');
      await discovery.poll();
      const { changed } = await members.poll();
      if (changed.length > 0) {
        logger.info({ teams: changed }, 'team members changed: evaluating every open pull request again');
        reevaluateOpen(0);
        policiesAgain();
      }
      return [...openPromotionPullRequests(cache), ...governed.open()];
    },
    onChange: onPolled,
    // Not readable while GitHub answers: evaluate it, so a success it can no longer confirm is withdrawn.
    onUnreadable: (target) => requeue(target, 0),
    logger,
    ...(options.pollIntervalMs !== undefined ? { intervalMs: options.pollIntervalMs } : {}),
  });
  poller.start();
  return {
    ...(receiver ? { webhookUrl: receiver.url } : {}),
    pushes,
    async stop() {
      atRest.deferred.release();
      await receiver?.stop();
      await poller.stop();
      await governed.stop();
    },
  };
}

/**
 * The governed gate's own work queue: one pull request at a time, re-evaluated when an outage ends or an
 * approval expires. The open governed pull requests it has seen are polled with the Promotions'. A pull request
 * whose evaluation GitHub did not answer (an outage, the rate limit) had its success withdrawn if it could be, and
 * is kept on a priority list: once GitHub answers again, it is evaluated before anything else is read.
 */
function startGovernedGate(options: ChangeControlOptions, cache: CacheReader, pushes: PushLedger) {
  const { forge, logger } = options;
  const inHand = pullRequestsInHand(forge);
  const signoff = new SignoffGate({ forge, logger, pushes });
  const gate = new GovernedPullRequestGate({ forge, gate: signoff, cache, logger });
  // A pull request on a repository SignoffPolicies live in changes governance: the policy in force signs it.
  const governance = new GovernanceChangeGate({ forge, gate: signoff, cache, logger });
  const queue = new WorkQueue();
  const open = new Map<string, PullRequestRef>();
  /** The priority list: pull requests whose last evaluation GitHub did not answer. */
  const deferred = new Map<string, PullRequestRef>();
  /** Told when a key's evaluation ends, whatever it ended in. */
  const settled = new Map<string, (() => void)[]>();
  const keyOf = (ref: PullRequestRef) => `${ref.repository}#${ref.number}`;
  const evaluate = async (key: string, ref: PullRequestRef): Promise<Disposition> => {
    try {
      const held = inHand.take(ref.repository, ref.number);
      const onGovernance = governanceRepositories(cache).has(ref.repository.toLowerCase());
      const changed = onGovernance ? await governance.evaluate(ref.repository, ref.number, held) : undefined;
      const verdict =
        changed && changed.kind !== 'not-governance'
          ? changed
          : await gate.evaluate(ref.repository, ref.number, held);
      deferred.delete(key);
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
        deferred.delete(key);
        open.delete(key);
        return { action: 'forget' };
      }
      if (error instanceof SignoffUnavailableError || error instanceof ForgeUnavailableError) {
        // The gate withdrew what it could not confirm itself; a read of the governed gate's own (the pull
        // request, its files) failed before the gate was asked.
        if (error instanceof ForgeUnavailableError) await signoff.withdraw(ref.repository, ref.number, error);
        deferred.set(key, ref);
        return { action: 'requeueAfter', ms: Math.max(1_000, error.retryAt.getTime() - Date.now()) };
      }
      logger.error({ pullRequest: key, err: error }, 'evaluating a hand-made pull request failed');
      return { action: 'retry' };
    }
  };
  const handle = async (key: string): Promise<Disposition> => {
    try {
      return await evaluate(key, open.get(key) ?? deferred.get(key) ?? refOf(key));
    } finally {
      for (const done of settled.get(key) ?? []) done();
      settled.delete(key);
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
    /** Evaluate the priority list now, and resolve once each has been evaluated (again deferred or not). */
    async evaluateDeferred(): Promise<number> {
      const keys = [...deferred.keys()];
      await Promise.all(
        keys.map(
          (key) =>
            new Promise<void>((resolve) => {
              settled.set(key, [...(settled.get(key) ?? []), resolve]);
              queue.add(key);
            }),
        ),
      );
      return keys.length;
    },
    async stop() {
      for (const waiters of settled.values()) for (const done of waiters) done();
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

/** Whether the Promotion `namespace/name` still awaits its pull request's sign-off or merge. */
function promotionInProgress(cache: CacheReader, key: string): boolean {
  const at = key.indexOf('/');
  const promotion = cache.get(PROMOTIONS, key.slice(0, at), key.slice(at + 1));
  const phase = statusOf<{ phase?: string }>(promotion)?.phase;
  return phase === undefined || PROMOTION_IN_PROGRESS.has(phase);
}

const PROMOTION_IN_PROGRESS = new Set(['Pending', 'Open', 'SignedOff']);

function promotionExists(cache: CacheReader, key: string): boolean {
  const at = key.indexOf('/');
  return cache.get(PROMOTIONS, key.slice(0, at), key.slice(at + 1)) !== undefined;
}

/** Every team a SignoffPolicy's roles name, `org/team`. */
function signoffTeams(cache: CacheReader): string[] {
  return cache
    .list(SIGNOFF_POLICIES)
    .flatMap((p) => peekSpec(signoffPolicySpec, p)?.roles.map((r) => r.team) ?? []);
}

/** The ledger's file, beside the deliveries file; in memory only without one. */
function pushLedgerFile(options: ChangeControlOptions, logger: Logger) {
  const deliveries = options.webhook?.deliveriesFile;
  return {
    ...(deliveries ? { file: join(dirname(deliveries), 'pushes.jsonl') } : {}),
    onStoreError: (error: unknown) =>
      logger.warn({ err: error }, 'the push ledger could not be read or written; it goes on in memory'),
  };
}

function refOf(key: string): PullRequestRef {
  const at = key.lastIndexOf('#');
  return { repository: key.slice(0, at), number: Number(key.slice(at + 1)) };
}
