// The Manager runs registered controllers: one resilient informer per kind (shared by the controllers that
// read it), a work queue and workers per controller, started only while this replica leads, probes and
// metrics, and a graceful shutdown in a fixed order: stop taking work, let in-flight reconciles finish (or
// abort them at the deadline), then release the Lease.
import pino, { type Logger } from 'pino';
import type { BackoffPolicy } from './backoff.js';
import { type Clock, sleep, systemClock } from './clock.js';
import type { ClusterClient } from './cluster-client.js';
import { type CacheReader, type Controller, ReconcileDriver, updateNeedsReconcile } from './controller.js';
import { EventRecorder } from './events.js';
import {
  type CacheTransform,
  type KubeObject,
  objectKey,
  ResilientInformer,
  type ResourceKind,
  splitKey,
} from './informer.js';
import { LeaderElector } from './leader-election.js';
import { ControllerMetrics } from './metrics.js';
import { resultLabel } from './outcome.js';
import { ProbeServer } from './probe-server.js';
import { type Disposition, runWorkers, WorkQueue, type WorkQueueOptions } from './work-queue.js';

export interface LeaderElectionConfig {
  /** Where the Lease lives. */
  namespace: string;
  /** The Lease's name, the same for every replica. */
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  client: ClusterClient;
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  /** Off (`false`) only where a single replica is guaranteed, such as tests and local runs. */
  leaderElection: LeaderElectionConfig | false;
  /** Where /healthz, /readyz and /metrics listen; `false` for none. Port 0 picks a free one. */
  probes?: { port: number; host?: string } | false;
  /** How long shutdown waits for in-flight reconciles before aborting them. */
  gracePeriodMs?: number;
  queue?: Omit<WorkQueueOptions, 'clock'>;
  /** Concurrent reconciles per kind, for controllers that do not fix their own (default 2). */
  workers?: number;
  /** How long a controller with `startAfter` waits at most for those kinds' first pass (default 10 s). */
  startAfterWaitMs?: number;
  informerBackoff?: BackoffPolicy;
  /** Record core Events (on by default). */
  events?: boolean;
  /** Export the process's own metrics (memory, heap, event loop) beside the controller's: once per process. */
  processMetrics?: boolean;
  logger?: Logger;
  clock?: Clock;
}

interface ControllerRun {
  controller: Controller;
  driver: ReconcileDriver;
  queue: WorkQueue | undefined;
  workers: Promise<void> | undefined;
}

const kindKey = (kind: ResourceKind) => `${kind.plural}.${kind.group}`;

export class Manager {
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
  private readonly clock: Clock;
  private readonly informers = new Map<string, ResilientInformer>();
  private readonly runs: ControllerRun[] = [];
  private readonly elector: LeaderElector | undefined;
  private readonly events: EventRecorder | undefined;
  private probeServer: ProbeServer | undefined;
  private probeBase: string | undefined;
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** Workers are running (or about to): this replica leads and is not shutting down. */
  private leading = false;
  /** Shutdown has passed the point where in-flight work may still write. */
  private released = false;
  /** Aborts every in-flight reconcile: at the shutdown deadline, or when leadership is lost. */
  private work = new AbortController();
  private readonly cache: CacheReader;

  constructor(private readonly options: ManagerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ name: 'vigil-controller' });
    this.metrics = new ControllerMetrics();
    if (options.processMetrics) this.metrics.withProcessMetrics();
    options.client.writes.onWrite((resource, verb) => this.metrics.apiWrites.inc({ resource, verb }));
    options.client.writes.onRefused((resource, verb, code) =>
      this.metrics.apiWritesRefused.inc({ resource, verb, code: String(code) }),
    );
    const le = options.leaderElection;
    if (le) {
      this.elector = new LeaderElector({
        client: options.client,
        ...le,
        clock: this.clock,
        logger: this.logger.child({ component: 'leader-election' }),
        onStartedLeading: () => {
          void this.startWork();
        },
        onStoppedLeading: () => {
          void this.stopWork('lost leadership');
        },
      });
    }
    if (options.events !== false) {
      this.events = new EventRecorder({
        client: options.client,
        instance: this.elector?.identity,
        clock: this.clock,
        logger: this.logger.child({ component: 'events' }),
      });
    }
    this.cache = {
      get: (kind, namespace, name) => this.informers.get(kindKey(kind))?.get(namespace, name),
      list: (kind, namespace) => this.informers.get(kindKey(kind))?.list(namespace) ?? [],
    };
  }

  get identity(): string | undefined {
    return this.elector?.identity;
  }

  /** The base URL of the probe server, once started. */
  get probeUrl(): string | undefined {
    return this.probeBase;
  }

  register<T extends KubeObject>(controller: Controller<T>): this {
    if (this.started) throw new Error('register controllers before start()');
    const run: ControllerRun = {
      controller: controller as unknown as Controller,
      driver: new ReconcileDriver(controller as unknown as Controller, {
        client: this.options.client,
        cache: this.cache,
        events: this.events,
        clock: this.clock,
        logger: this.logger,
        isLeader: () => this.isLeader(),
      }),
      queue: undefined,
      workers: undefined,
    };
    this.runs.push(run);
    const keyOf = (obj: KubeObject) => objectKey(obj.metadata.namespace, obj.metadata.name);
    this.informerFor(controller.kind).on({
      add: (obj) => {
        run.driver.observed(keyOf(obj), obj.metadata.resourceVersion);
        this.enqueue(run, keyOf(obj));
      },
      update: (obj, old) => {
        run.driver.observed(keyOf(obj), obj.metadata.resourceVersion);
        if (updateNeedsReconcile(old, obj)) this.enqueue(run, keyOf(obj));
      },
      delete: (obj) => {
        run.driver.observed(keyOf(obj), undefined);
        this.enqueue(run, keyOf(obj));
      },
    });
    for (const watch of controller.watches ?? []) {
      const dependents = (obj: KubeObject) => {
        const keys = watch.map(obj, this.cache);
        for (const key of keys) this.enqueue(run, key);
        if (keys.length > 0 && this.logger.isLevelEnabled('trace')) {
          const { namespace, name, resourceVersion } = obj.metadata ?? {};
          this.logger.trace(
            {
              kind: controller.kind.kind,
              changed: { kind: watch.kind.kind, namespace, name, resourceVersion },
              keys,
            },
            'queued dependents',
          );
        }
      };
      this.informerFor(watch.kind).on({ add: dependents, update: dependents, delete: dependents });
    }
    return this;
  }

  /** The informer (and cache) for a kind; created on first use. */
  informerFor(kind: ResourceKind): ResilientInformer {
    const key = kindKey(kind);
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new ResilientInformer({
        client: this.options.client,
        resource: kind,
        namespace: this.options.namespace,
        backoff: this.options.informerBackoff,
        clock: this.clock,
        logger: this.logger.child({ component: 'informer', resource: key }),
      });
      this.informers.set(key, informer);
    }
    return informer;
  }

  /** Cache objects of `kind` as `transform` returns them (before start). */
  transformCache(kind: ResourceKind, transform: CacheTransform<KubeObject>): this {
    if (this.started) throw new Error('set cache transforms before start()');
    this.informerFor(kind).setTransform(transform);
    return this;
  }

  /** Queue every cached object of every controller, as a periodic resync would (no-op when not leading). */
  resync(): void {
    for (const run of this.runs) {
      for (const key of this.informerFor(run.controller.kind).keys()) run.queue?.add(key);
    }
  }

  /** The work queue of a controller (by kind), while this replica leads. */
  queueFor(kind: ResourceKind): WorkQueue | undefined {
    return this.runs.find((r) => kindKey(r.controller.kind) === kindKey(kind))?.queue;
  }

  /** May write: holds the Lease (or, without leader election, has started and not finished shutting down). */
  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.started && !this.released;
  }

  /** Ready, or why not: caches synced and not shutting down. A standby replica with synced caches is ready. */
  readiness(): true | string {
    if (this.stopping) return 'shutting down';
    if (!this.started) return 'not started';
    const unsynced = [...this.informers].filter(([, i]) => !i.hasSynced()).map(([k]) => k);
    if (unsynced.length > 0) return `caches not synced: ${unsynced.join(', ')}`;
    return true;
  }

  /** No key queued, waiting or in flight (true when not leading). */
  isIdle(): boolean {
    return this.runs.every(
      (r) => !r.queue || (r.queue.depth === 0 && r.queue.inFlight === 0 && r.queue.waiting === 0),
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.metrics.leader.set(0);
    if (this.options.probes) {
      this.probeServer = new ProbeServer({
        port: this.options.probes.port,
        host: this.options.probes.host,
        live: () => true,
        ready: () => this.readiness(),
        registry: this.metrics.registry,
      });
      this.probeBase = await this.probeServer.listen();
    }
    for (const informer of this.informers.values()) informer.start();
    if (this.elector) this.elector.start();
    else void this.startWork();
    this.logger.info(
      {
        controllers: this.runs.map((r) => r.controller.name),
        identity: this.identity,
        probes: this.probeBase,
      },
      'manager started',
    );
  }

  /**
   * Graceful shutdown: stop taking work; wait for in-flight reconciles up to the grace period, then abort
   * them; then release the Lease (so a successor starts at once); then close watches and probes.
   */
  stop(): Promise<void> {
    if (!this.stopped) this.stopped = this.shutdown();
    return this.stopped;
  }

  /** Shut down gracefully on SIGTERM or SIGINT; returns a function that removes the handlers. */
  stopOnSignals(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const handler = (signal: NodeJS.Signals) => {
      this.logger.info({ signal }, 'shutting down');
      void this.stop();
    };
    for (const s of signals) process.once(s, handler);
    return () => {
      for (const s of signals) process.off(s, handler);
    };
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    const grace = this.options.gracePeriodMs ?? 25_000;
    const began = this.clock.now();
    const drained = this.stopWork('shutting down');
    const deadline = new AbortController();
    const inTime = await Promise.race([
      drained.then(() => true),
      sleep(this.clock, grace, deadline.signal).then(() => false),
    ]);
    deadline.abort();
    if (!inTime) {
      this.logger.warn({ gracePeriodMs: grace }, 'grace period over: aborting in-flight reconciles');
      this.work.abort();
      // Give aborted reconciles a moment to unwind; their writes are refused from here on anyway.
      await Promise.race([drained, sleep(this.clock, 1_000)]);
    }
    this.released = true;
    if (this.elector) await this.elector.release();
    this.metrics.leader.set(0);
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.probeServer?.close();
    this.logger.info({ durationMs: this.clock.now() - began, drained: inTime }, 'manager stopped');
  }

  private enqueue(run: ControllerRun, key: string): void {
    run.queue?.add(key);
  }

  /** Leading: wait for the caches, then queue every object and start the workers. */
  private async startWork(): Promise<void> {
    if (this.stopping || this.leading) return;
    this.leading = true;
    this.metrics.leader.set(1);
    this.work = new AbortController();
    const signal = this.work.signal;
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    if (signal.aborted || !this.leading) return;
    for (const run of this.runs) {
      const queue = new WorkQueue({ ...this.options.queue, clock: this.clock });
      run.queue = queue;
      run.workers = runWorkers(queue, run.controller.workers ?? this.options.workers ?? 2, (key) =>
        this.process(run, queue, key, signal),
      );
    }
    const first = (run: ControllerRun) => {
      for (const key of this.informerFor(run.controller.kind).keys()) run.queue?.add(key);
    };
    const later = this.runs.filter((r) => this.runsBefore(r).length > 0);
    for (const run of this.runs) if (!later.includes(run)) first(run);
    this.logger.info({ identity: this.identity }, 'started work');
    for (const run of later) {
      await this.firstPassesDone(this.runsBefore(run), signal);
      if (signal.aborted || !this.leading) return;
      first(run);
    }
  }

  /** The registered controllers of the kinds `run` starts after. */
  private runsBefore(run: ControllerRun): ControllerRun[] {
    const kinds = new Set((run.controller.startAfter ?? []).map(kindKey));
    return this.runs.filter((r) => r !== run && kinds.has(kindKey(r.controller.kind)));
  }

  /**
   * Until `runs` have nothing queued or in flight, or the start-up wait has passed. Wall-clock time on
   * purpose: an ordering heuristic at start, never a decision, so a test's manual clock must not stall it.
   */
  private async firstPassesDone(runs: ControllerRun[], signal: AbortSignal): Promise<void> {
    const deadline = performance.now() + (this.options.startAfterWaitMs ?? 10_000);
    const busy = () => runs.some((r) => r.queue && (r.queue.depth > 0 || r.queue.inFlight > 0));
    while (busy() && !signal.aborted && performance.now() < deadline) {
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stop handing out keys; resolves when in-flight reconciles have finished. */
  private async stopWork(why: string): Promise<void> {
    const wasLeading = this.leading;
    this.leading = false;
    this.metrics.leader.set(0);
    if (why === 'lost leadership') this.work.abort();
    const draining = this.runs.flatMap((run) =>
      run.queue ? [{ run, queue: run.queue, workers: run.workers }] : [],
    );
    await Promise.all(draining.map((d) => d.queue.shutdown()));
    await Promise.all(draining.map((d) => d.workers));
    // Leadership may have come back meanwhile with fresh queues: clear only the ones drained here.
    for (const { run, queue } of draining) {
      if (run.queue === queue) {
        run.queue = undefined;
        run.workers = undefined;
      }
    }
    if (wasLeading) this.logger.info({ why }, 'stopped work');
  }

  private async process(
    run: ControllerRun,
    queue: WorkQueue,
    key: string,
    signal: AbortSignal,
  ): Promise<Disposition> {
    const { namespace, name } = splitKey(key);
    const kind = run.controller.kind.kind;
    const started = this.clock.now();
    const log = run.driver.passLogger(namespace, name);
    const pass = await run.driver.reconcile(namespace, name, signal, log);
    const seconds = (this.clock.now() - started) / 1000;
    const result = typeof pass.outcome === 'string' ? pass.outcome : resultLabel(pass.outcome);
    this.metrics.reconciles.inc({ kind, result });
    this.metrics.reconcileDuration.observe({ kind }, seconds);
    if (pass.disposition.action === 'retry') this.metrics.retries.inc({ kind });
    this.metrics.queueDepth.set({ kind }, queue.depth);
    // When it runs next: after a delay, after backoff (at least this long), or when something changes.
    const nextRunInMs =
      pass.disposition.action === 'requeueAfter'
        ? pass.disposition.ms
        : pass.disposition.action === 'retry'
          ? queue.nextRetryDelay(key)
          : null;
    log.info(
      {
        result,
        durationMs: Math.round(seconds * 1000),
        statusWritten: pass.statusWritten,
        nextRunInMs,
      },
      'reconciled',
    );
    return pass.disposition;
  }
}
