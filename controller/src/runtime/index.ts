// The controller runtime: what a kind's reconciler is written against.
export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, KeyedBackoff } from './backoff.js';
export { type Clock, ManualClock, sleep, systemClock } from './clock.js';
export {
  ClusterClient,
  type ClusterClientOptions,
  isConflict,
  isGone,
  isNotFound,
  KubeConfigError,
  type KubeConfigSource,
  loadKubeConfig,
  statusCodeOf,
  WriteCounter,
} from './cluster-client.js';
export {
  type Condition,
  type ConditionUpdate,
  conditionViolations,
  findCondition,
  READY,
  RECONCILING,
  removeCondition,
  STALLED,
  setCondition,
  toReason,
  truncateMessage,
} from './conditions.js';
export {
  type CacheReader,
  type Controller,
  type ControllerDefinition,
  type DependentWatch,
  defineController,
  desiredStatus,
  type ReconcileContext,
  ReconcileDriver,
  type ReconcileResult,
} from './controller.js';
export { StalledError, WaitingError } from './errors.js';
export { EventRecorder, type EventSpec } from './events.js';
export {
  type CacheTransform,
  type KubeObject,
  objectKey,
  ResilientInformer,
  type ResourceKind,
  splitKey,
} from './informer.js';
export { type LeaderElectionOptions, LeaderElector } from './leader-election.js';
export { type LeaderElectionConfig, Manager, type ManagerOptions } from './manager.js';
export { ControllerMetrics } from './metrics.js';
export { type ReconcileOutcome, resolveOutcome } from './outcome.js';
export { type RateLimit, TokenBucket } from './token-bucket.js';
export { type Disposition, runWorkers, WorkQueue, type WorkQueueOptions } from './work-queue.js';
