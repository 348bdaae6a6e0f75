// Benchmark: what change control costs at the forge and at the webhook endpoint, on loopback.
//  (a) API calls per promotion, from the train's departure to the merge recorded on the Promotion, counted at the
//      local forge for the controller's account (vigil[bot]): writes and calls in all (304s included).
//  (b) An idle sign-off poll over open pull requests with nothing changing, the repository's open pull requests
//      listed first as change control does: calls not answered 304 (each of those would count against GitHub's
//      primary rate limit).
//  (c) Webhook acknowledgement latency at 50 signed deliveries/s for 10 s against startWebhookReceiver. Peer in the
//      same run: a bare node:http server that reads the body and answers 202, the floor of any receiver.
// Goals: (a) <= 8 writes and <= 15 calls; (b) 0 non-304 calls; (c) p99 < 100 ms.
// (a) prints its calls by route; BENCH_TRACE=1 also prints every call and webhook delivery in order, to see which
// step made each call.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Octokit } from 'octokit';
import pino from 'pino';
import { parse } from 'yaml';
import { applyObjects, installCrds, readCrds } from '../controller/src/apply/index.js';
import { startChangeControl } from '../controller/src/change-control.js';
import { createGitHubForge, tokenFromSecret } from '../controller/src/forge/github/index.js';
import { type LocalForge, startLocalForge } from '../controller/src/forge/local/index.js';
import { PullRequestDiscovery, SignoffPoller } from '../controller/src/gate/index.js';
import { RELEASE_TRAINS } from '../controller/src/kinds/resources.js';
import { startLocalCluster } from '../controller/src/local-cluster/index.js';
import { registerControllers } from '../controller/src/reconcilers.js';
import {
  type Clock,
  ClusterClient,
  loadKubeConfig,
  Manager,
  systemClock,
} from '../controller/src/runtime/index.js';
import { signBody, startWebhookReceiver } from '../controller/src/webhooks/index.js';
import { repositoryRoot } from '../specs/generate.js';

const ROOT = repositoryRoot();
const NS = 'revenue-cycle';
const OWNER = 'northwind-health';
const REPO = 'ai-deployments';
const PROMOTION = 'denials-triage-production-3-2-0';
const IDLE_PULLS = 5;
const IDLE_POLLS = 10;
const RATE_PER_S = Number(process.env.BENCH_WEBHOOK_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 10);

const example = (file: string) => parse(readFileSync(join(ROOT, 'examples', file), 'utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function actAs(forge: LocalForge, login: string): Octokit {
  return new Octokit({
    auth: forge.tokens[login],
    baseUrl: forge.url,
    throttle: { enabled: false },
    retry: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** The governance objects: the revenue-cycle policy, an every-minute train, and denials-triage on it. */
function governance(): KubernetesObject[] {
  const monthly = example('revenue-cycle/monthly-release.yaml');
  const production = monthly.spec.stages.find((s: { name: string }) => s.name === 'production');
  const { minSoak: _s, minLabelledOutcomes: _o, ...gates } = production.gates;
  const uc = example('revenue-cycle/denials-triage.yaml');
  const { surveillancePolicy: _sp, ...spec } = uc.spec;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    example('revenue-cycle/governance-signoff.yaml'),
    {
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'ReleaseTrain',
      metadata: { name: 'express', namespace: NS },
      spec: {
        schedule: { cron: '* * * * *', timeZone: 'UTC' },
        cutoff: '0s',
        stages: [{ name: 'staging' }, { ...production, gates }],
        changeTicketPattern: monthly.spec.changeTicketPattern,
      },
    },
    {
      ...uc,
      spec: {
        ...spec,
        releaseTrain: 'express',
        dataContracts: [],
        readiness: {
          ...spec.readiness,
          governanceApproval: { status: 'done', evidence: 'https://wiki.example/m' },
        },
      },
    },
  ] as KubernetesObject[];
}

interface PromotionCost {
  writes: number;
  calls: number;
  notModified: number;
  seconds: number;
  byRoute: string[];
  /** Every call and webhook delivery in order, for BENCH_TRACE=1: where each call came from. */
  trace: string[];
}

/** (a) and (b): one promotion through the controller, then idle polls over open pull requests. */
async function forgeCosts(): Promise<{ promotion: PromotionCost; idle: { calls: number; non304: number } }> {
  const cluster = await startLocalCluster({});
  const forge = await startLocalForge({ seed: join(ROOT, 'examples', 'forge', 'seed.yaml') });
  const logger = pino({ level: 'silent' });
  let offsetMs = 0;
  const clock: Clock = { now: () => Date.now() + offsetMs, schedule: systemClock.schedule };
  const client = new ClusterClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath }), {
    rate: { qps: 200, burst: 200 },
  });
  const botForge = () =>
    createGitHubForge({
      credentials: tokenFromSecret(Buffer.from(forge.appTokens.vigil!), 'bench'),
      baseUrl: forge.url,
    });
  const github = await botForge();
  const manager = new Manager({ client, leaderElection: false, probes: false, logger, clock });
  try {
    await installCrds(client, readCrds(join(ROOT, 'crd')));
    await applyObjects(client, governance());
    // Production intervals: webhooks drive the flow; the poller is only the fallback.
    registerControllers(manager, { forge: github, dataDir: join(ROOT, 'examples') });
    await manager.start();
    const secret = randomBytes(32).toString('hex');
    const changeControl = await startChangeControl({
      manager,
      forge: github,
      logger,
      webhook: { port: 0, host: '127.0.0.1', path: '/webhooks/github', secret },
    });
    forge.webhooks.add({ url: changeControl.webhookUrl!, secret });
    const get = (plural: string, name: string) =>
      client.customObjects.getNamespacedCustomObject({
        group: 'vigil.dev',
        version: 'v1alpha1',
        namespace: NS,
        plural,
        name,
      }) as Promise<{ status?: Record<string, unknown> }>;

    const departure = await until('the use case to board the train', async () => {
      const t = await get('releasetrains', 'express');
      const passengers = (t.status?.passengers ?? []) as { boarding?: boolean }[];
      return passengers[0]?.boarding ? (t.status?.nextDeparture as string) : undefined;
    });
    // Let start-up reads (deployed versions, branch protection) settle, then count from the departure on.
    await sleep(1_000);
    forge.calls.clear();
    const started = performance.now();
    offsetMs = Date.parse(departure) - Date.now() + 1_000;
    manager.queueFor(RELEASE_TRAINS)?.add(`${NS}/express`);

    const pr = await until('the pull request', async () => {
      const p = await get('promotions', PROMOTION);
      return p.status?.phase === 'Open' ? (p.status.pullRequest as { number: number }).number : undefined;
    });
    for (const login of ['ds-lead', 'clinical-safety-lead', 'compliance-1']) {
      await actAs(forge, login).rest.pulls.createReview({
        owner: OWNER,
        repo: REPO,
        pull_number: pr,
        event: 'APPROVE',
      });
    }
    await until('the sign-off', async () =>
      (await get('promotions', PROMOTION)).status?.phase === 'SignedOff' ? true : undefined,
    );
    await actAs(forge, 'platform-eng').rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pr });
    await until('the merge on the Promotion', async () =>
      (await get('promotions', PROMOTION)).status?.phase === 'Merged' ? true : undefined,
    );
    const seconds = (performance.now() - started) / 1000;
    const mine = forge.calls.filter({ user: 'vigil[bot]' });
    const since = mine[0]?.at ?? 0;
    const trace = [
      ...forge.calls.entries.map((c) => ({
        at: c.at,
        line: `${c.user ?? '-'} ${c.method} ${c.route ?? c.path} ${c.status}`,
      })),
      ...forge.webhooks
        .deliveries()
        .filter((d) => (d.attempts[0]?.at ?? 0) >= since)
        .map((d) => ({ at: d.attempts[0]!.at, line: `webhook ${d.event}.${d.action ?? ''}` })),
    ]
      .filter((e) => e.at >= since)
      .sort((a, b) => a.at - b.at)
      .map((e) => `+${String(e.at - since).padStart(5)} ms  ${e.line}`);
    const routes = new Map<string, number>();
    for (const c of mine) {
      const key = `${c.method} ${c.route ?? c.path}${c.notModified ? ' (304)' : ''}`;
      routes.set(key, (routes.get(key) ?? 0) + 1);
    }
    const promotion: PromotionCost = {
      writes: mine.filter((c) => c.method !== 'GET' && c.method !== 'HEAD').length,
      calls: mine.length,
      notModified: mine.filter((c) => c.notModified).length,
      seconds,
      byRoute: [...routes].map(([k, n]) => `${n} x ${k}`),
      trace,
    };
    await changeControl.stop();
    await manager.stop();

    // (b) Open pull requests nobody touches, polled by a fresh controller account client after one warm-up pass.
    const eng = actAs(forge, 'platform-eng');
    const { data: main } = await eng.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
    const targets: { repository: string; number: number }[] = [];
    for (let i = 0; i < IDLE_PULLS; i++) {
      const branch = `bench/idle-${i}`;
      await eng.rest.git.createRef({
        owner: OWNER,
        repo: REPO,
        ref: `refs/heads/${branch}`,
        sha: main.object.sha,
      });
      await eng.rest.repos.createOrUpdateFileContents({
        owner: OWNER,
        repo: REPO,
        path: `bench/idle-${i}.txt`,
        branch,
        message: `Idle change ${i}`,
        content: Buffer.from(`idle ${i}\n`).toString('base64'),
      });
      const { data } = await eng.rest.pulls.create({
        owner: OWNER,
        repo: REPO,
        head: branch,
        base: 'main',
        title: `Idle ${i}`,
      });
      targets.push({ repository: `${OWNER}/${REPO}`, number: data.number });
    }
    // As change control polls: the governed repository's open pull requests listed first, then each one read.
    const idleForge = await botForge();
    const discovery = new PullRequestDiscovery({
      forge: idleForge,
      repositories: () => [`${OWNER}/${REPO}`],
      onFound: () => {},
    });
    const poller = new SignoffPoller({
      forge: idleForge,
      targets: async () => {
        await discovery.poll();
        return targets;
      },
      onChange: () => {},
    });
    await poller.poll();
    forge.calls.clear();
    for (let i = 0; i < IDLE_POLLS; i++) await poller.poll();
    const polled = forge.calls.filter({ user: 'vigil[bot]' });
    return { promotion, idle: { calls: polled.length, non304: polled.filter((c) => !c.notModified).length } };
  } finally {
    await manager.stop().catch(() => undefined);
    await forge.stop();
    await cluster.stop();
  }
}

/** A pull_request_review delivery of GitHub's size (~16 KB: the pull request object carries the evidence body). */
function reviewPayload(i: number): string {
  return JSON.stringify({
    action: 'submitted',
    review: { id: 1000 + i, state: 'approved', user: { login: 'ds-lead' }, commit_id: 'c'.repeat(40) },
    pull_request: {
      number: 1 + (i % 20),
      html_url: `https://github.com/${OWNER}/${REPO}/pull/${1 + (i % 20)}`,
      head: { ref: 'vigil/promote/x', sha: 'c'.repeat(40) },
      base: { ref: 'main' },
      body: 'Evidence bundle: evaluation results against thresholds. '.repeat(280),
    },
    repository: { full_name: `${OWNER}/${REPO}` },
    sender: { login: 'ds-lead' },
  });
}

interface Latency {
  sent: number;
  status: Record<number, number>;
  p50: number;
  p99: number;
  max: number;
}

/** Open-loop load: one delivery every 1000/rate ms whatever the answers do, so a slow server shows as latency. */
async function load(url: string, secret: string): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  const total = RATE_PER_S * SECONDS;
  const bodies = Array.from({ length: 20 }, (_, i) => {
    const body = reviewPayload(i);
    return { body, signature: signBody(secret, body) };
  });
  const times: number[] = [];
  const status: Record<number, number> = {};
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const { body, signature } = bodies[i % bodies.length]!;
      const t0 = performance.now();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-github-event': 'pull_request_review',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            times.push(performance.now() - t0);
            status[res.statusCode ?? 0] = (status[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        status[0] = (status[0] ?? 0) + 1;
        resolve();
      });
      req.end(body);
    });
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE_PER_S;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(one(i));
  }
  await Promise.all(inflight);
  agent.destroy();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? Number.NaN;
  return { sent: total, status, p50: q(0.5), p99: q(0.99), max: times.at(-1) ?? Number.NaN };
}

async function webhookLatency(): Promise<{ vigil: Latency; peer: Latency }> {
  const secret = randomBytes(32).toString('hex');
  let processed = 0;
  const receiver = await startWebhookReceiver({
    port: 0,
    host: '127.0.0.1',
    secret,
    // What the controller does with an event: requeue a key; cheap, as in production.
    onEvent: () => {
      processed++;
    },
  });
  const vigil = await load(receiver.url, secret);
  await receiver.idle();
  await receiver.stop();
  if (processed === 0) throw new Error('the receiver processed no delivery');

  const peerServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.end('accepted\n');
    });
  });
  await new Promise<void>((r) => peerServer.listen(0, '127.0.0.1', r));
  const port = (peerServer.address() as AddressInfo).port;
  const peer = await load(`http://127.0.0.1:${port}/webhooks/github`, secret);
  await new Promise<void>((r) => peerServer.close(() => r()));
  return { vigil, peer };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
function table(rows: [string, string, string, string][]): string {
  const head: [string, string, string, string] = ['measure', 'figure', 'goal', 'met'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const costs = await forgeCosts();
const hooks = await webhookLatency();
const ok = (b: boolean) => (b ? 'yes' : 'NO');
const p = costs.promotion;
process.stdout.write(
  `${table([
    ['(a) forge writes per promotion (vigil[bot])', String(p.writes), '<= 8', ok(p.writes <= 8)],
    [
      '(a) forge calls per promotion (vigil[bot])',
      `${p.calls} (${p.notModified} were 304)`,
      '<= 15',
      ok(p.calls <= 15),
    ],
    ['(a) departure to merge recorded', `${p.seconds.toFixed(1)} s`, '-', '-'],
    [
      `(b) idle poll: non-304 calls over ${IDLE_POLLS} polls x ${IDLE_PULLS} PRs + listing`,
      `${costs.idle.non304} of ${costs.idle.calls}`,
      '0',
      ok(costs.idle.non304 === 0),
    ],
    [
      `(c) webhook ack p99, ${RATE_PER_S}/s x ${SECONDS} s (startWebhookReceiver)`,
      `${ms(hooks.vigil.p99)} (p50 ${ms(hooks.vigil.p50)}, max ${ms(hooks.vigil.max)})`,
      '< 100 ms',
      ok(hooks.vigil.p99 < 100),
    ],
    [
      '(c) peer: bare node:http answering 202',
      `${ms(hooks.peer.p99)} (p50 ${ms(hooks.peer.p50)}, max ${ms(hooks.peer.max)})`,
      '-',
      '-',
    ],
  ])}\n\n(a) vigil[bot] calls by route, departure to merge:\n${p.byRoute.map((l) => `  ${l}`).join('\n')}\n` +
    `(c) answers: vigil ${JSON.stringify(hooks.vigil.status)}, peer ${JSON.stringify(hooks.peer.status)}\n` +
    (process.env.BENCH_TRACE
      ? `\n(a) every call and webhook, in order:\n${p.trace.map((l) => `  ${l}`).join('\n')}\n`
      : ''),
);
