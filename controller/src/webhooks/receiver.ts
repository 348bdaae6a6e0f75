// The GitHub webhook endpoint: checks each delivery's signature over the raw body, answers at once (202) and
// queues the work, so a slow re-evaluation never makes GitHub time out and redeliver. Each X-GitHub-Delivery is
// processed once; a push is recorded in the push ledger (who pushed which commit) before it is answered. Nothing is processed from a delivery whose signature fails, and neither the secret nor a
// payload is ever logged.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { guardedHandler, listenGuarded } from '../runtime/http-listener.js';
import { inSpan } from '../tracing.js';
import { FileDeliveryStore, SeenDeliveries } from './deliveries.js';
import { type DeliveryOutcome, WebhookMetrics } from './metrics.js';
import { type PushLedger, type PushRecord, pushInPayload } from './pushes.js';
import { verifySignature } from './signature.js';
import {
  HANDLED_EVENTS,
  type HandledEvent,
  type MembershipChange,
  membershipChangeOf,
  type PullRequestRef,
  targetsOf,
} from './targets.js';

/** A verified, first-seen delivery of an event the controller acts on. */
export interface WebhookEvent {
  deliveryId: string;
  name: HandledEvent;
  action?: string;
  /** `org/repo`. */
  repository?: string;
  /** The pull requests to re-evaluate. */
  targets: PullRequestRef[];
  /** A team's members changed: every open governed pull request is to be evaluated again. */
  membership?: MembershipChange;
  /** A push, as recorded in the push ledger: the pull requests from its branch are to be evaluated again. */
  push?: PushRecord;
  payload: Record<string, unknown>;
}

export interface WebhookReceiverOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Default `/webhooks/github`. */
  path?: string;
  /** The webhook secret configured on GitHub, read from a file; never logged. */
  secret: string | Buffer;
  /** Called after the response, one delivery at a time, in arrival order. */
  onEvent: (event: WebhookEvent) => void | Promise<void>;
  logger?: Logger;
  /** Bodies over this are refused with 413 (default 1 MiB; GitHub caps payloads at 25 MB, PR events are small). */
  maxBodyBytes?: number;
  /** Delivery ids remembered for deduplication (default 10,000). */
  rememberDeliveries?: number;
  /**
   * A file that keeps the accepted delivery ids across restarts, so a redelivery after one is still processed
   * once (in memory only when absent). Its directory is created if need be.
   */
  deliveriesFile?: string;
  /** Deliveries waiting to be processed before new ones get 503 (default 10,000). */
  maxQueued?: number;
  /** Our check's name: its own check_run events are ignored. */
  checkName?: string;
  /** Where the metrics go: the controller's registry, so /metrics shows them. A private one when absent. */
  registry?: Registry;
  /** Records who pushed which commit, from `push` deliveries, before they are answered. */
  pushes?: PushLedger;
}

export interface WebhookReceiver {
  /** e.g. http://127.0.0.1:PORT/webhooks/github */
  url: string;
  metrics: WebhookMetrics;
  /** Resolves when every accepted delivery has been processed. */
  idle(): Promise<void>;
  /** Stop accepting, finish what is queued, close. */
  stop(): Promise<void>;
}

const MIB = 1024 * 1024;

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const path = options.path ?? '/webhooks/github';
  const maxBody = options.maxBodyBytes ?? MIB;
  const maxQueued = options.maxQueued ?? 10_000;
  const checkName = options.checkName ?? 'vigil/sign-off';
  const secret = options.secret;
  if (secret.length === 0) throw new TypeError('the webhook secret is empty');
  const log = options.logger?.child({ component: 'webhooks' });
  const metrics = new WebhookMetrics(options.registry ?? new Registry());
  const seen = new SeenDeliveries(options.rememberDeliveries ?? 10_000, {
    ...(options.deliveriesFile ? { store: new FileDeliveryStore(options.deliveriesFile) } : {}),
    onStoreError: (error) =>
      log?.warn({ err: error }, 'delivery ids could not be written; a redelivery after a restart runs again'),
  });

  // The work queue: deliveries are acknowledged first and processed here, one at a time.
  const queue: { event: WebhookEvent; acceptedAt: number }[] = [];
  let draining: Promise<void> | undefined;
  const drain = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { event, acceptedAt } = next;
      try {
        await inSpan(`webhook ${event.name}`, deliveryAttributes(event), async () => {
          await options.onEvent(event);
        });
      } catch (error) {
        metrics.deliveries.inc({ event: event.name, outcome: 'failed' });
        log?.error(
          { deliveryId: event.deliveryId, event: event.name, err: error },
          'processing a webhook delivery failed',
        );
      }
      metrics.processing.observe({ event: event.name }, (performance.now() - acceptedAt) / 1000);
    }
  };
  const kick = () => {
    if (draining) return;
    // After the response is on its way: setImmediate runs once this request's I/O callbacks are done.
    draining = new Promise<void>((resolve) => setImmediate(resolve)).then(drain).finally(() => {
      draining = undefined;
      if (queue.length > 0) kick();
    });
  };
  const enqueue = (event: WebhookEvent) => {
    queue.push({ event, acceptedAt: performance.now() });
    kick();
  };

  const answer = (
    res: ServerResponse,
    status: number,
    message: string,
    event: string,
    outcome: DeliveryOutcome | undefined,
    fields: Record<string, unknown> = {},
  ) => {
    if (outcome) metrics.deliveries.inc({ event, outcome });
    if (!res.headersSent) {
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        ...(status === 413 ? { connection: 'close' } : {}),
      });
    }
    res.end(`${message}\n`);
    log?.[status >= 400 ? 'warn' : 'debug']({ status, event, outcome, ...fields }, message);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (url.pathname !== path) return answer(res, 404, 'not found', 'unknown', undefined);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return answer(res, 405, 'only POST is accepted', 'unknown', undefined);
    }
    const event = header(req, 'x-github-event') ?? 'unknown';
    const deliveryId = header(req, 'x-github-delivery');
    const fields = { deliveryId, event };
    // GitHub can also send form-encoded payloads; Vigil's webhooks are configured for JSON only.
    const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return answer(res, 415, 'the body must be application/json', event, 'unsupported-media-type', fields);
    }
    const body = await readBody(req, maxBody);
    if (body === 'too-large') {
      return answer(res, 413, `the body is over ${maxBody} bytes`, event, 'too-large', fields);
    }
    if (!verifySignature(secret, body, header(req, 'x-hub-signature-256'))) {
      return answer(
        res,
        401,
        'the X-Hub-Signature-256 signature is missing or wrong',
        event,
        'bad-signature',
        fields,
      );
    }
    if (!deliveryId || event === 'unknown') {
      return answer(
        res,
        400,
        'X-GitHub-Event and X-GitHub-Delivery are required',
        event,
        'malformed',
        fields,
      );
    }
    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
      payload = parsed as Record<string, unknown>;
    } catch {
      return answer(res, 400, 'the body is not a JSON object', event, 'malformed', fields);
    }
    if (event === 'ping') return answer(res, 200, 'pong', event, 'accepted', fields);
    if (!(HANDLED_EVENTS as readonly string[]).includes(event)) {
      return answer(res, 200, `event ${event} is not used`, event, 'ignored', fields);
    }
    if (seen.has(deliveryId)) return answer(res, 200, 'already processed', event, 'duplicate', fields);
    if (queue.length >= maxQueued)
      return answer(res, 503, 'too many deliveries queued', event, 'overloaded', fields);
    seen.add(deliveryId);

    const name = event as HandledEvent;
    const action = typeof payload.action === 'string' ? payload.action : undefined;
    const repo = (payload.repository as { full_name?: unknown } | undefined)?.full_name;
    const targets = targetsOf(name, payload, checkName);
    const membership = membershipChangeOf(name, payload);
    const push = name === 'push' ? pushInPayload(payload, new Date()) : undefined;
    // Recorded before the answer, like the delivery id: once GitHub has its 202, the ledger knows the push.
    if (push) options.pushes?.record(push);
    const acted = targets.length > 0 || membership !== undefined || push !== undefined;
    answer(res, 202, 'accepted', event, acted ? 'accepted' : 'ignored', {
      ...fields,
      action,
      targets: targets.map((t) => `${t.repository}#${t.number}`),
      ...(membership ? { membership } : {}),
      ...(push ? { ref: push.ref, after: push.after } : {}),
    });
    if (!acted) return;
    enqueue({
      deliveryId,
      name,
      ...(action ? { action } : {}),
      ...(typeof repo === 'string' ? { repository: repo } : {}),
      targets,
      ...(membership ? { membership } : {}),
      ...(push ? { push } : {}),
      payload,
    });
  };

  const server = createServer(guardedHandler(handle, log, 'webhook request'));
  const address = await listenGuarded(server, options.port, options.host);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}${path}`;
  log?.info({ url }, 'webhook receiver listening');

  const idle = async () => {
    while (draining) await draining;
  };
  return {
    url,
    metrics,
    idle,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await idle();
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The raw bytes, or 'too-large' as soon as they pass the cap (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** A delivery's span: its event, action, id and repository, and the pull requests it names. */
function deliveryAttributes(event: WebhookEvent): Attributes {
  return {
    'github.event': event.name,
    'github.delivery': event.deliveryId,
    ...(event.action ? { 'github.action': event.action } : {}),
    ...(event.repository ? { 'vigil.repository': event.repository } : {}),
    ...(event.targets.length > 0 ? { 'vigil.pull_request': event.targets.map((t) => t.number) } : {}),
  };
}
