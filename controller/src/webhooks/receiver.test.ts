// The webhook endpoint as GitHub (and an attacker) meets it: signed deliveries accepted at once and processed
// once, everything else refused before anything is processed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PushLedger } from './pushes.js';
import { startWebhookReceiver, type WebhookEvent, type WebhookReceiver } from './receiver.js';
import { signBody } from './signature.js';

const SECRET = 'receiver-test-secret-5f1c';
const payload = {
  action: 'submitted',
  review: { id: 7, state: 'approved' },
  pull_request: { number: 12 },
  repository: { full_name: 'northwind-health/ai-deployments' },
};
const body = JSON.stringify(payload);

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

async function start(
  onEvent: (e: WebhookEvent) => void | Promise<void> = () => {},
  registry = new Registry(),
) {
  const seen: WebhookEvent[] = [];
  receiver = await startWebhookReceiver({
    port: 0,
    host: '127.0.0.1',
    secret: SECRET,
    maxBodyBytes: 64 * 1024,
    registry,
    onEvent: async (e) => {
      seen.push(e);
      await onEvent(e);
    },
  });
  return { receiver, seen, registry };
}

function deliver(
  url: string,
  options: {
    body?: string;
    signature?: string | null;
    event?: string;
    delivery?: string;
    contentType?: string;
  } = {},
) {
  const text = options.body ?? body;
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'x-github-event': options.event ?? 'pull_request_review',
    'x-github-delivery': options.delivery ?? crypto.randomUUID(),
  };
  const signature = options.signature === undefined ? signBody(SECRET, text) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return fetch(url, { method: 'POST', headers, body: text });
}

describe('startWebhookReceiver', () => {
  it('accepts a signed delivery with 202 and hands over the pull request to re-evaluate', async () => {
    const { receiver, seen } = await start();
    const res = await deliver(receiver.url, { delivery: 'd-1' });
    expect(res.status).toBe(202);
    await receiver.idle();
    expect(seen).toEqual([
      {
        deliveryId: 'd-1',
        name: 'pull_request_review',
        action: 'submitted',
        repository: 'northwind-health/ai-deployments',
        targets: [{ repository: 'northwind-health/ai-deployments', number: 12 }],
        payload,
      },
    ]);
  });

  // Bad input 10: nothing is processed from a delivery whose signature does not hold.
  it.each([
    ['missing', null, body],
    ['wrong', signBody('another-secret', body), body],
    ['malformed', 'sha256=zz', body],
    ['over a re-serialized body', signBody(SECRET, JSON.stringify(payload, null, 2)), body],
    ['of the original body, sent re-serialized', signBody(SECRET, body), JSON.stringify(payload, null, 2)],
  ])('refuses a signature %s with 401 and processes nothing', async (_, signature, sent) => {
    const { receiver, seen, registry } = await start();
    const res = await deliver(receiver.url, { signature, body: sent, delivery: 'd-bad' });
    expect(res.status).toBe(401);
    await receiver.idle();
    expect(seen).toEqual([]);
    // The id of a refused delivery is not burnt: the genuine one still gets through.
    expect((await deliver(receiver.url, { delivery: 'd-bad' })).status).toBe(202);
    await receiver.idle();
    expect(seen).toHaveLength(1);
    expect(await registry.metrics()).toContain(
      'vigil_webhook_deliveries_total{event="pull_request_review",outcome="bad-signature"} 1',
    );
  });

  // Reliability 11: a replayed delivery is processed once.
  it('processes a redelivered X-GitHub-Delivery once and answers the replay 200 "already processed"', async () => {
    const { receiver, seen } = await start();
    expect((await deliver(receiver.url, { delivery: 'd-2' })).status).toBe(202);
    const again = await deliver(receiver.url, { delivery: 'd-2' });
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('already processed\n');
    await receiver.idle();
    expect(seen).toHaveLength(1);
  });

  // Reliability 11 across a restart: the ids already processed are kept in a file.
  it('processes a delivery redelivered after a restart once, when the ids are kept in a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-receiver-'));
    const deliveriesFile = join(dir, 'webhook-deliveries.log');
    const seen: WebhookEvent[] = [];
    const run = () =>
      startWebhookReceiver({
        port: 0,
        host: '127.0.0.1',
        secret: SECRET,
        deliveriesFile,
        onEvent: (e) => {
          seen.push(e);
        },
      });
    try {
      const first = await run();
      expect((await deliver(first.url, { delivery: 'd-restart' })).status).toBe(202);
      await first.stop();
      receiver = await run();
      const again = await deliver(receiver.url, { delivery: 'd-restart' });
      expect(again.status).toBe(200);
      expect(await again.text()).toBe('already processed\n');
      expect((await deliver(receiver.url, { delivery: 'd-new' })).status).toBe(202);
      await receiver.idle();
      expect(seen.map((e) => e.deliveryId)).toEqual(['d-restart', 'd-new']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers before the work is done: a slow re-evaluation does not hold the response', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { receiver, seen } = await start(() => gate);
    // Every answer arrives while the work is still held at the gate: answering did not wait for it.
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) => deliver(receiver.url, { delivery: `slow-${i}` })),
    );
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(seen.length).toBeLessThanOrEqual(1);
    release();
    await receiver.idle();
    expect(seen.map((e) => e.deliveryId)).toEqual(['slow-0', 'slow-1', 'slow-2', 'slow-3', 'slow-4']);
  });

  it('refuses bodies over the cap (413) and bodies that are not JSON (415), processing nothing', async () => {
    const { receiver, seen } = await start();
    const huge = JSON.stringify({ ...payload, padding: 'x'.repeat(70 * 1024) });
    expect((await deliver(receiver.url, { body: huge })).status).toBe(413);
    expect(
      (
        await deliver(receiver.url, {
          contentType: 'application/x-www-form-urlencoded',
          body: 'payload=%7B%7D',
        })
      ).status,
    ).toBe(415);
    const notJson = 'not json';
    expect(
      (await deliver(receiver.url, { body: notJson, signature: signBody(SECRET, notJson) })).status,
    ).toBe(400);
    await receiver.idle();
    expect(seen).toEqual([]);
  });

  it('answers ping, ignores events it does not use and our own check runs, and refuses other paths and methods', async () => {
    const { receiver, seen } = await start();
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    expect((await deliver(receiver.url, { event: 'ping', body: ping })).status).toBe(200);
    expect((await deliver(receiver.url, { event: 'issues' })).status).toBe(200);
    const ours = JSON.stringify({
      action: 'completed',
      check_run: { name: 'vigil/sign-off', pull_requests: [{ number: 12 }] },
      repository: payload.repository,
    });
    expect((await deliver(receiver.url, { event: 'check_run', body: ours })).status).toBe(202);
    const rerun = JSON.stringify({
      action: 'rerequested',
      check_run: { name: 'vigil/sign-off', pull_requests: [{ number: 12 }] },
      repository: payload.repository,
    });
    expect((await deliver(receiver.url, { event: 'check_run', body: rerun, delivery: 'rerun' })).status).toBe(
      202,
    );
    expect((await fetch(receiver.url, { method: 'GET' })).status).toBe(405);
    expect((await fetch(new URL('/other', receiver.url), { method: 'POST', body: body })).status).toBe(404);
    await receiver.idle();
    expect(seen.map((e) => e.deliveryId)).toEqual(['rerun']);
  });

  it('records who pushed each commit before answering, and hands the push over', async () => {
    const pushes = new PushLedger();
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secret: SECRET,
      pushes,
      onEvent: () => {},
    });
    const head = 'b'.repeat(40);
    const push = JSON.stringify({
      ref: 'refs/heads/edit',
      before: 'a'.repeat(40),
      after: head,
      forced: false,
      commits: [{ id: head }],
      pusher: { name: 'Somebody', email: 'somebody@example.org' },
      sender: { login: 'ds-3' },
      repository: payload.repository,
    });
    const res = await deliver(receiver.url, { event: 'push', body: push });
    expect(res.status).toBe(202);
    // Known as soon as the delivery is answered, not once it is processed.
    expect(pushes.pushersOf('northwind-health/ai-deployments', head)).toEqual(['ds-3']);
  });

  it('hands over a change of team membership, and ignores team events that change no membership', async () => {
    const { receiver, seen } = await start();
    const organization = { login: 'northwind-health' };
    const removed = JSON.stringify({
      action: 'removed',
      scope: 'team',
      member: { login: 'ds-lead' },
      team: { slug: 'data-science-leads', name: 'Data science leads' },
      organization,
      sender: { login: 'platform-eng' },
    });
    const repoAccess = JSON.stringify({
      action: 'added_to_repository',
      team: { slug: 'data-science-leads' },
      organization,
      repository: payload.repository,
    });
    const deleted = JSON.stringify({ action: 'deleted', team: { slug: 'compliance' }, organization });
    const left = JSON.stringify({ action: 'member_removed', membership: {}, organization });
    expect(
      (await deliver(receiver.url, { event: 'membership', body: removed, delivery: 'm-1' })).status,
    ).toBe(202);
    expect((await deliver(receiver.url, { event: 'team', body: repoAccess, delivery: 't-1' })).status).toBe(
      202,
    );
    expect((await deliver(receiver.url, { event: 'team', body: deleted, delivery: 't-2' })).status).toBe(202);
    expect((await deliver(receiver.url, { event: 'organization', body: left, delivery: 'o-1' })).status).toBe(
      202,
    );
    await receiver.idle();
    expect(seen.map((e) => [e.deliveryId, e.membership])).toEqual([
      ['m-1', { organization: 'northwind-health', team: 'data-science-leads' }],
      ['t-2', { organization: 'northwind-health', team: 'compliance' }],
      ['o-1', { organization: 'northwind-health' }],
    ]);
  });

  it('never logs the secret or the payload', async () => {
    const lines: string[] = [];
    const { default: pino } = await import('pino');
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(l) });
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secret: SECRET,
      logger,
      onEvent: () => {},
    });
    await deliver(receiver.url, { delivery: 'logged' });
    await deliver(receiver.url, { signature: signBody('nope', body) });
    await receiver.idle();
    const all = lines.join('\n');
    expect(all).toContain('logged');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('"review"');
    expect(all).not.toContain(signBody(SECRET, body).slice(7));
  });
});
