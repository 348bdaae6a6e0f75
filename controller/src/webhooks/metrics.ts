// The webhook receiver's Prometheus metrics: deliveries by event and what became of them.
import { Counter, Histogram, type Registry } from 'prom-client';

export type DeliveryOutcome =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'bad-signature'
  | 'too-large'
  | 'unsupported-media-type'
  | 'malformed'
  | 'overloaded'
  | 'failed';

export class WebhookMetrics {
  readonly deliveries: Counter<'event' | 'outcome'>;
  readonly processing: Histogram<'event'>;

  constructor(registry: Registry) {
    this.deliveries = new Counter({
      name: 'vigil_webhook_deliveries_total',
      help: 'GitHub webhook deliveries by event and outcome (accepted, duplicate, ignored, bad-signature, ...).',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    });
    this.processing = new Histogram({
      name: 'vigil_webhook_processing_seconds',
      help: 'Time from accepting a delivery to the end of its processing, by event.',
      labelNames: ['event'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }
}
