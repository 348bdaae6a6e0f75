// GitHub webhooks: a signed, deduplicated endpoint that turns pull request, review and check events into the
// pull requests (and Promotions) to re-evaluate.
export {
  type DeliveryStore,
  FileDeliveryStore,
  SeenDeliveries,
  type SeenDeliveriesOptions,
} from './deliveries.js';
export { type DeliveryOutcome, WebhookMetrics } from './metrics.js';
export {
  startWebhookReceiver,
  type WebhookEvent,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from './receiver.js';
export { signBody, verifySignature } from './signature.js';
export {
  HANDLED_EVENTS,
  type HandledEvent,
  openPromotionPullRequests,
  type PullRequestRef,
  promotionKeysFor,
  pullRequestInPayload,
  repositoryInUrl,
  targetsOf,
} from './targets.js';
