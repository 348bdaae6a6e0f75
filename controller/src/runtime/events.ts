// Core v1 Events about the objects the controller reconciles: what a person reads in `kubectl describe`.
// Repeats of the same event within a window bump its count instead of piling up new objects, a token bucket
// bounds how many are written, and messages are the controller's own words, screened once more for anything
// shaped like protected health information before they leave the process.
import { type CoreV1Event, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { DEFAULT_MRN_PATTERNS, findMrns, findSsns } from '../phi/patterns.js';
import { type Clock, systemClock } from './clock.js';
import type { ClusterClient } from './cluster-client.js';
import { MAX_MESSAGE_LENGTH, toReason, truncateMessage } from './conditions.js';
import type { KubeObject } from './informer.js';
import { type RateLimit, TokenBucket } from './token-bucket.js';

export interface EventSpec {
  type: 'Normal' | 'Warning';
  /** CamelCase, e.g. PromotionOpened. */
  reason: string;
  message: string;
}

export interface EventRecorderOptions {
  client: ClusterClient;
  component?: string;
  /** Who is reporting, e.g. the pod name. */
  instance?: string;
  /** Repeats within this window are counted on one Event (client-go: 10 minutes). */
  aggregationWindowMs?: number;
  rate?: RateLimit;
  clock?: Clock;
  logger?: Logger;
}

export const EVENT_SOURCE_COMPONENT = 'vigil-controller';

interface SeenEvent {
  name: string;
  namespace: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export type EventWrite = { action: 'create' } | { action: 'increment'; name: string; count: number };

/** Create a new Event, or count a repeat on the one already written within the window. */
export function decideEventWrite(seen: SeenEvent | undefined, now: number, windowMs: number): EventWrite {
  if (seen && now - seen.firstSeen < windowMs)
    return { action: 'increment', name: seen.name, count: seen.count + 1 };
  return { action: 'create' };
}

const PHI_WITHHELD = 'Message withheld: it contained text shaped like protected health information.';

/** The message as written to the cluster: bounded, and withheld entirely if it looks like PHI. */
export function eventMessage(message: string): string {
  if (
    findSsns(message).length > 0 ||
    findMrns(
      message,
      DEFAULT_MRN_PATTERNS.map((p) => new RegExp(p.source, 'gi')),
    ).length > 0
  ) {
    return PHI_WITHHELD;
  }
  return truncateMessage(message, MAX_MESSAGE_LENGTH);
}

export class EventRecorder {
  private readonly seen = new Map<string, SeenEvent>();
  private readonly bucket: TokenBucket;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly component: string;

  constructor(private readonly options: EventRecorderOptions) {
    this.clock = options.clock ?? systemClock;
    this.bucket = new TokenBucket(options.rate ?? { qps: 1, burst: 25 }, this.clock);
    this.windowMs = options.aggregationWindowMs ?? 10 * 60_000;
    this.component = options.component ?? EVENT_SOURCE_COMPONENT;
  }

  /** Record an event about `about`. Never throws: an event lost is logged, not a failed reconcile. */
  async record(about: KubeObject, event: EventSpec): Promise<void> {
    const namespace = about.metadata.namespace ?? 'default';
    const reason = toReason(event.reason);
    const message = eventMessage(event.message);
    const key = [
      about.metadata.uid ?? `${namespace}/${about.metadata.name}`,
      event.type,
      reason,
      message,
    ].join('\u0000');
    const now = this.clock.now();
    const log = this.options.logger;
    if (!this.bucket.tryTake()) {
      log?.debug({ reason }, 'event dropped: over the event rate');
      return;
    }
    const decision = decideEventWrite(this.seen.get(key), now, this.windowMs);
    try {
      if (decision.action === 'increment') {
        await this.options.client.core.patchNamespacedEvent(
          { namespace, name: decision.name, body: { count: decision.count, lastTimestamp: new Date(now) } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        const seen = this.seen.get(key)!;
        seen.count = decision.count;
        seen.lastSeen = now;
        return;
      }
      const name = `${about.metadata.name}.${(BigInt(now) * 1_000_000n + BigInt(this.seen.size % 1_000_000)).toString(16)}`;
      const body: CoreV1Event = {
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: about.apiVersion,
          kind: about.kind,
          name: about.metadata.name,
          namespace,
          uid: about.metadata.uid,
          resourceVersion: about.metadata.resourceVersion,
        },
        reason,
        message,
        type: event.type,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.options.instance ?? '',
        firstTimestamp: new Date(now),
        lastTimestamp: new Date(now),
        count: 1,
      };
      await this.options.client.core.createNamespacedEvent({ namespace, body });
      this.seen.set(key, { name, namespace, count: 1, firstSeen: now, lastSeen: now });
      this.forgetOld(now);
    } catch (error) {
      log?.warn({ reason, err: String(error) }, 'could not record event');
      // The Event may be gone (expired by the server): start a fresh one next time.
      this.seen.delete(key);
    }
  }

  private forgetOld(now: number): void {
    for (const [key, seen] of this.seen) if (now - seen.lastSeen >= this.windowMs) this.seen.delete(key);
  }
}
