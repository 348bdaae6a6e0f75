// Change control around a running manager: the webhook receiver and the poller that tell the Promotion
// reconciler a pull request changed. Shared by `vigil controller` (GitHub) and `vigil start` (the local forge).
import type { Logger } from 'pino';
import type { Forge } from './forge/forge.js';
import { SignoffPoller } from './gate/index.js';
import { PROMOTIONS } from './kinds/resources.js';
import type { CacheReader, Manager } from './runtime/index.js';
import {
  openPromotionPullRequests,
  type PullRequestRef,
  promotionKeysFor,
  startWebhookReceiver,
} from './webhooks/index.js';

export interface ChangeControlOptions {
  manager: Manager;
  forge: Forge;
  logger: Logger;
  /** Receive GitHub webhooks; polling alone notices changes within `pollIntervalMs` when absent. */
  webhook?: { port: number; host?: string; path: string; secret: string };
  pollIntervalMs?: number;
}

export interface ChangeControl {
  /** Where webhooks are received, when a receiver runs. */
  webhookUrl?: string;
  stop(): Promise<void>;
}

/** Start after the manager: the receiver and the poller read its caches and feed its Promotion queue. */
export async function startChangeControl(options: ChangeControlOptions): Promise<ChangeControl> {
  const { manager, forge, logger } = options;
  const cache: CacheReader = {
    get: (kind, namespace, name) => manager.informerFor(kind)?.get(namespace, name),
    list: (kind, namespace) => manager.informerFor(kind)?.list(namespace) ?? [],
  };
  const requeue = (ref: PullRequestRef) => {
    for (const key of promotionKeysFor(cache, ref)) manager.queueFor(PROMOTIONS)?.add(key);
  };
  const receiver = options.webhook
    ? await startWebhookReceiver({
        ...options.webhook,
        registry: manager.metrics.registry,
        logger,
        onEvent: (event) => event.targets.forEach(requeue),
      })
    : undefined;
  const poller = new SignoffPoller({
    forge,
    targets: () => openPromotionPullRequests(cache),
    onChange: requeue,
    logger,
    ...(options.pollIntervalMs !== undefined ? { intervalMs: options.pollIntervalMs } : {}),
  });
  poller.start();
  return {
    ...(receiver ? { webhookUrl: receiver.url } : {}),
    async stop() {
      await receiver?.stop();
      await poller.stop();
    },
  };
}
