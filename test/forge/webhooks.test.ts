// Webhooks from the local forge as a receiver sees them: signed with HMAC-SHA256 over the raw body, one
// unique X-GitHub-Delivery per delivery, the events and fields Vigil reads, a retry when the receiver
// fails, and a redelivery that repeats the same delivery id (which a receiver must process once).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import { as, asApp, branchWithChange, OWNER, REPO, readFile, startForge } from './harness.js';

const SECRET = 'receiver-test-secret';
const repo = { owner: OWNER, repo: REPO };

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  payload: { action?: string; [field: string]: unknown };
  signatureValid: boolean;
}

/** A webhook receiver that checks the signature over the raw bytes, and can be told to fail. */
class Receiver {
  readonly received: Received[] = [];
  failNext = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        if (this.failNext > 0) {
          this.failNext -= 1;
          res.writeHead(500).end();
          return;
        }
        const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
        const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
        const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
        this.received.push({
          headers: req.headers,
          raw,
          payload: JSON.parse(raw.toString('utf8')),
          signatureValid,
        });
        res.writeHead(signatureValid ? 204 : 401).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/github`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  events(): string[] {
    return this.received.map((d) => `${d.headers['x-github-event']}.${d.payload.action}`);
  }
}

let forge: LocalForge;
let bot: Octokit;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  forge = await startForge({ webhooks: [{ url: receiver.url, secret: SECRET }] });
  bot = asApp(forge, 'vigil');
});
afterAll(async () => {
  await forge?.stop();
  await receiver.stop();
});
afterEach(() => {
  expect(forge.violations.splice(0)).toEqual([]);
});

describe('webhook deliveries', () => {
  let number: number;
  const branch = 'vigil/promote/ambient-documentation/hospital-medicine/1.0.0';

  it('delivers pull_request.opened, signed over the raw body, with the fields Vigil reads', async () => {
    const path = 'clinical-documentation/ambient-documentation/hospital-medicine.yaml';
    const head = await branchWithChange(bot, branch, path, (t) =>
      t.replace('  enabled: false\n', '  enabled: true\n  pipelineVersion: "1.0.0"\n'),
    );
    const { data: pr } = await bot.rest.pulls.create({
      ...repo,
      title: 'Promote ambient-documentation 1.0.0 to hospital-medicine',
      head: branch,
      base: 'main',
    });
    number = pr.number;
    await forge.webhooks.idle();
    const opened = receiver.received.find(
      (d) => d.headers['x-github-event'] === 'pull_request' && d.payload.action === 'opened',
    );
    expect(opened).toBeDefined();
    const d = opened!;
    expect(d.signatureValid).toBe(true);
    expect(d.headers['x-github-delivery']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(d.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    expect(d.headers['content-type']).toBe('application/json');
    expect(d.payload).toMatchObject({
      action: 'opened',
      number,
      pull_request: {
        number,
        head: { sha: head, ref: branch },
        base: { ref: 'main' },
        user: { login: 'vigil[bot]' },
        merged: false,
      },
      repository: { full_name: 'northwind-health/ai-deployments' },
      sender: { login: 'vigil[bot]' },
    });
  });

  it('delivers the events of a promotion in the order they happened', async () => {
    receiver.received.length = 0;
    await bot.rest.pulls.requestReviewers({
      ...repo,
      pull_number: number,
      team_reviewers: ['clinical-safety'],
    });
    await bot.rest.issues.addLabels({ ...repo, issue_number: number, labels: ['promotion'] });
    await bot.rest.pulls.update({ ...repo, pull_number: number, body: 'Evidence attached.' });
    const { data: review } = await as(forge, 'clinical-safety-lead').rest.pulls.createReview({
      ...repo,
      pull_number: number,
      event: 'APPROVE',
    });
    const { data: pr } = await bot.rest.pulls.get({ ...repo, pull_number: number });
    const { data: run } = await bot.rest.checks.create({
      ...repo,
      name: 'vigil/sign-off',
      head_sha: pr.head.sha,
      status: 'in_progress',
    });
    await bot.rest.checks.update({
      ...repo,
      check_run_id: run.id,
      conclusion: 'failure',
      output: { title: 'Missing', summary: 'data-science' },
    });
    const file = await readFile(
      bot,
      'clinical-documentation/ambient-documentation/hospital-medicine.yaml',
      branch,
    );
    const { data: pushed } = await as(forge, 'ds-3').rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'clinical-documentation/ambient-documentation/hospital-medicine.yaml',
      branch,
      sha: file.sha,
      message: 'Comment on retention',
      content: Buffer.from(`${file.text}# Retention reviewed with the privacy office.\n`).toString('base64'),
    });
    await as(forge, 'platform-eng').rest.pulls.dismissReview({
      ...repo,
      pull_number: number,
      review_id: review.id,
      message: 'Re-review after the push',
    });
    await bot.rest.checks.create({
      ...repo,
      name: 'vigil/sign-off',
      head_sha: pushed.commit.sha!,
      status: 'completed',
      conclusion: 'success',
    });
    await bot.rest.pulls.merge({ ...repo, pull_number: number });
    await forge.webhooks.idle();

    expect(receiver.events()).toEqual([
      'pull_request.review_requested',
      'pull_request.labeled',
      'pull_request.edited',
      'pull_request_review.submitted',
      'check_run.created',
      'check_run.completed',
      'push.undefined',
      'pull_request.synchronize',
      'pull_request_review.dismissed',
      'check_run.created',
      'push.undefined',
      'pull_request.closed',
    ]);
    const by = (event: string) =>
      receiver.received.find((d) => `${d.headers['x-github-event']}.${d.payload.action}` === event)!.payload;
    expect(by('pull_request.review_requested')).toMatchObject({
      requested_team: { slug: 'clinical-safety' },
    });
    expect(by('pull_request.labeled')).toMatchObject({ label: { name: 'promotion' } });
    expect(by('pull_request.edited')).toMatchObject({ changes: { body: { from: null } } });
    expect(by('pull_request_review.submitted')).toMatchObject({
      review: {
        id: review.id,
        user: { login: 'clinical-safety-lead' },
        state: 'APPROVED',
        commit_id: pr.head.sha,
      },
    });
    expect(by('pull_request_review.submitted')).toMatchObject({
      review: { submitted_at: expect.any(String) },
    });
    expect(by('pull_request.synchronize')).toMatchObject({
      before: pr.head.sha,
      after: pushed.commit.sha,
      pull_request: { head: { sha: pushed.commit.sha } },
    });
    expect(by('pull_request_review.dismissed')).toMatchObject({ review: { state: 'dismissed' } });
    expect(by('check_run.completed')).toMatchObject({
      check_run: {
        name: 'vigil/sign-off',
        conclusion: 'failure',
        head_sha: pr.head.sha,
      },
    });
    expect(by('pull_request.closed')).toMatchObject({ pull_request: { merged: true, number } });
    expect(receiver.received.every((d) => d.signatureValid)).toBe(true);
    const ids = receiver.received.map((d) => d.headers['x-github-delivery']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('retries a failed delivery with the same delivery id, and logs each attempt', async () => {
    receiver.received.length = 0;
    receiver.failNext = 1;
    const { data: issue } = await bot.rest.issues.create({ ...repo, title: 'Review: ambient override rate' });
    await bot.rest.issues.createComment({
      ...repo,
      issue_number: issue.number,
      body: 'Opened by surveillance.',
    });
    await forge.webhooks.idle();
    expect(receiver.events()).toEqual(['issues.opened', 'issue_comment.created']);
    const delivery = forge.webhooks
      .deliveries()
      .find((d) => d.guid === receiver.received[0]?.headers['x-github-delivery']);
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 204]);
    expect(delivery?.state).toBe('delivered');
  });

  it('redelivers a delivery with the same X-GitHub-Delivery and the same signed body', async () => {
    receiver.received.length = 0;
    await bot.rest.issues.addLabels({ ...repo, issue_number: number, labels: ['audited'] });
    await forge.webhooks.idle();
    const original = receiver.received[0]!;
    const guid = String(original.headers['x-github-delivery']);
    const again = forge.webhooks.redeliver(guid);
    expect(again.redelivery).toBe(true);
    await forge.webhooks.idle();
    const replay = receiver.received[1]!;
    expect(replay.headers['x-github-delivery']).toBe(guid);
    expect(replay.raw.equals(original.raw)).toBe(true);
    expect(replay.signatureValid).toBe(true);
  });
});
