// GitHub webhooks: a signed, deduplicated endpoint that turns pull request, review and check events into the
// pull requests (and Promotions) to re-evaluate, team changes into re-evaluating them all, and pushes into a
// ledger of who pushed which commit.
export {
  type DeliveryStore,
  FileDeliveryStore,
  SeenDeliveries,
  type SeenDeliveriesOptions,
} from './deliveries.js';
export { type DeliveryOutcome, WebhookMetrics } from './metrics.js';
export { PushLedger, type PushLedgerOptions, type PushRecord, pushInPayload } from './pushes.js';
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
  type MembershipChange,
  membershipChangeOf,
  openPromotionPullRequests,
  type PullRequestRef,
  promotionKeysFor,
  pullRequestInPayload,
  repositoryInUrl,
  targetsOf,
} from './targets.js';
