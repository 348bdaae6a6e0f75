// Leader election on a coordination.k8s.io/v1 Lease, in the shape of client-go's leaderelection: try to acquire
// every retryPeriod; once leading, renew every retryPeriod and step down if no renewal succeeded within
// renewDeadline; on a graceful exit, release the Lease so a successor need not wait out the lease duration.
// Every write carries the resourceVersion read, so two replicas racing for the Lease cannot both win.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, sleep, systemClock } from './clock.js';
import { type ClusterClient, isConflict, isNotFound } from './cluster-client.js';
import { decideLease, heldRecord, type LeaseRecord, releasedRecord } from './lease-decision.js';

export interface LeaderElectionOptions {
  client: ClusterClient;
  namespace: string;
  /** The Lease's name, shared by all replicas of one controller. */
  name: string;
  /** Who this replica is: the pod name in a cluster, hostname plus a random suffix elsewhere. */
  identity?: string;
  /** How long others wait after the last renewal they saw before taking over (client-go: 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (client-go: 10 s). */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew (client-go: 2 s). */
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading?(signal: AbortSignal): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
}

export function defaultIdentity(): string {
  return process.env.POD_NAME || `${hostname()}-${randomBytes(4).toString('hex')}`;
}

function timeText(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : undefined;
}

function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? undefined,
    leaseDurationSeconds: spec.leaseDurationSeconds ?? undefined,
    acquireTime: timeText(spec.acquireTime),
    renewTime: timeText(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? undefined,
  };
}

function specOf(record: LeaseRecord): NonNullable<V1Lease['spec']> {
  const micro = (t: string | undefined) => (t ? new V1MicroTime(Date.parse(t)) : undefined);
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: micro(record.acquireTime),
    renewTime: micro(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  };
}

export class LeaderElector {
  readonly identity: string;
  private readonly clock: Clock;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  /** The Lease as last read, and when this replica first saw it in that state. */
  private observed: { lease: V1Lease; at: number } | undefined;
  private leading = false;
  /** When the last successful renewal was sent: leadership is never assumed past this plus the lease duration. */
  private renewedAt = 0;
  private leadership: AbortController | undefined;
  private stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private lastLeader: string | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    this.identity = options.identity ?? defaultIdentity();
    this.clock = options.clock ?? systemClock;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
  }

  /** Leading now: renewed recently enough that no other replica can have taken the Lease. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.renewedAt + this.leaseDurationMs;
  }

  /** The holder as last seen. */
  get leader(): string | undefined {
    return this.observed?.lease.spec?.holderIdentity ?? undefined;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = new AbortController();
    this.loop = this.run();
  }

  /** Stop campaigning and renewing without touching the Lease (as a crashed replica would). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.loop = undefined;
    this.stepDown('stopped');
  }

  /** Stop, and if leading, hand the Lease back: no holder, a one-second duration. */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    await this.stop();
    if (!wasLeading) return;
    try {
      const lease = await this.read();
      if (!lease || lease.spec?.holderIdentity !== this.identity) return;
      await this.options.client.coordination.replaceNamespacedLease({
        namespace: this.options.namespace,
        name: this.options.name,
        body: { ...lease, spec: specOf(releasedRecord(recordOf(lease), this.clock.now())) },
      });
      this.options.logger?.info({ lease: this.options.name }, 'released the lease');
    } catch (error) {
      // Not fatal: the Lease expires on its own.
      this.options.logger?.warn({ err: String(error) }, 'could not release the lease');
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await sleep(this.clock, this.retryPeriodMs * (1 + Math.random() * 0.2), signal);
        continue;
      }
      this.becomeLeader();
      while (!signal.aborted && (await this.renewWithinDeadline(signal))) {
        await sleep(this.clock, this.retryPeriodMs, signal);
      }
      if (!signal.aborted) this.stepDown('renewal failed past the deadline');
    }
  }

  /** Keep trying to renew until one succeeds or renewDeadline has passed since the last success. */
  private async renewWithinDeadline(signal: AbortSignal): Promise<boolean> {
    const deadline = this.renewedAt + this.renewDeadlineMs;
    while (!signal.aborted && this.clock.now() < deadline) {
      if (await this.tryAcquireOrRenew(deadline - this.clock.now())) return true;
      await sleep(this.clock, Math.min(this.retryPeriodMs, Math.max(0, deadline - this.clock.now())), signal);
    }
    return signal.aborted;
  }

  /** One attempt; true when this replica holds the Lease afterwards. */
  private async tryAcquireOrRenew(timeoutMs = this.renewDeadlineMs): Promise<boolean> {
    const startedAt = this.clock.now();
    try {
      const held = await withTimeout(this.attempt(startedAt), timeoutMs);
      if (held) this.renewedAt = startedAt;
      return held;
    } catch (error) {
      if (!isConflict(error)) this.options.logger?.debug({ err: String(error) }, 'lease attempt failed');
      return false;
    }
  }

  private async attempt(now: number): Promise<boolean> {
    const { namespace, name, client } = this.options;
    const lease = await this.read();
    const decision = decideLease(lease && recordOf(lease), this.observed?.at ?? now, this.identity, now);
    this.noticeLeader();
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    switch (decision.action) {
      case 'wait':
        return false;
      case 'create': {
        const created = await client.coordination.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: specOf(heldRecord(undefined, this.identity, durationSeconds, now)),
          },
        });
        this.observe(created, now);
        return true;
      }
      case 'take':
      case 'renew': {
        const updated = await client.coordination.replaceNamespacedLease({
          namespace,
          name,
          // The resourceVersion read makes this a compare-and-swap: a 409 means someone else wrote first.
          body: {
            ...lease!,
            spec: specOf(heldRecord(recordOf(lease!), this.identity, durationSeconds, now)),
          },
        });
        this.observe(updated, now);
        return true;
      }
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      const lease = await this.options.client.coordination.readNamespacedLease({
        namespace: this.options.namespace,
        name: this.options.name,
      });
      this.observe(lease, this.clock.now());
      return lease;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Remember the Lease; the observation time moves only when the Lease changed. */
  private observe(lease: V1Lease, now: number): void {
    const previous = this.observed;
    if (previous && previous.lease.metadata?.resourceVersion === lease.metadata?.resourceVersion) {
      this.observed = { lease, at: previous.at };
      return;
    }
    this.observed = { lease, at: now };
  }

  private noticeLeader(): void {
    const leader = this.leader;
    if (leader && leader !== this.lastLeader) {
      this.lastLeader = leader;
      this.options.onNewLeader?.(leader);
    }
  }

  private becomeLeader(): void {
    if (this.leading) return;
    this.leading = true;
    this.leadership = new AbortController();
    this.options.logger?.info({ identity: this.identity, lease: this.options.name }, 'became leader');
    this.options.onStartedLeading?.(this.leadership.signal);
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.leadership?.abort();
    this.leadership = undefined;
    this.options.logger?.info({ identity: this.identity, why }, 'stopped leading');
    this.options.onStoppedLeading?.();
  }
}

/** The promise's result, or a rejection once `ms` has passed. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${Math.round(ms)} ms`)), Math.max(1, ms));
    t.unref();
    timer = t;
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
