// The controller's Prometheus metrics, on a registry of its own so several managers can share a process.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ControllerMetrics {
  readonly registry = new Registry();

  readonly reconciles = new Counter({
    name: 'vigil_reconcile_total',
    help: 'Reconciles by kind and result (success, suspended, stalled, waiting, error).',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'vigil_reconcile_duration_seconds',
    help: 'How long a reconcile took, by kind.',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'vigil_workqueue_depth',
    help: 'Keys waiting to be reconciled now, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly retries = new Counter({
    name: 'vigil_workqueue_retries_total',
    help: 'Keys put back on the queue with backoff after a failure, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'vigil_leader_is_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [this.registry],
  });

  readonly apiWrites = new Counter({
    name: 'vigil_api_writes_total',
    help: 'Writes sent to the Kubernetes API, by resource and verb.',
    labelNames: ['resource', 'verb'] as const,
    registers: [this.registry],
  });

  readonly apiWritesRefused = new Counter({
    name: 'vigil_api_writes_refused_total',
    help: 'Writes the Kubernetes API refused (a 409 Conflict on a stale resourceVersion), by resource, verb and code; counted in vigil_api_writes_total too.',
    labelNames: ['resource', 'verb', 'code'] as const,
    registers: [this.registry],
  });

  /**
   * Add the process metrics every Node service exports (resident memory, heap, event-loop lag, GC). Once per
   * process: they observe the process, not a manager.
   */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }
}
