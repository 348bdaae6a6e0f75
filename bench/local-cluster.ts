// Benchmark of the local cluster with 10,000 custom resources: create, get, list and watch latency and
// throughput over HTTP, memory per object beyond its JSON, and JSON.stringify of the same objects as a floor.
// Run after `npm run build`: node dist/bench/local-cluster.js
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'yaml';
import { crdType } from '../controller/src/local-cluster/builtins.js';
import { ClusterState } from '../controller/src/local-cluster/cluster.js';
import { startLocalCluster } from '../controller/src/local-cluster/index.js';

const N = Number(process.env.BENCH_OBJECTS ?? 10_000);
const CRD_PATH = new URL('../../test/fixtures/local-cluster/crds/usecases.yaml', import.meta.url);
const crd = parse(readFileSync(CRD_PATH, 'utf8')) as Record<string, unknown>;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function useCase(i: number): Record<string, unknown> {
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'UseCase',
    metadata: {
      name: `use-case-${i}`,
      namespace: `ns-${i % 10}`,
      labels: { team: `team-${i % 7}`, wave: 'pilot' },
    },
    spec: {
      title: `Use case ${i}: prior authorization summarization for outpatient imaging`,
      riskClass: i % 2 === 0 ? 'operational' : 'clinical-decision-support',
      replicas: i % 5,
      owner: 'northwind-health/um-data',
      annotations: {
        ticket: `CHG-${100000 + i}`,
        intendedUse: 'Summarise prior authorization requests for reviewers.',
      },
    },
  };
}

/** One HTTP request over a keep-alive agent; resolves with status and body. */
function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  accept = 'application/json',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${base}${path}`,
      { method, agent, headers: { 'content-type': 'application/json', accept } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Row {
  what: string;
  n: number;
  total: string;
  perSecond: string;
  p50: string;
  p99: string;
  goal: string;
}
const rows: Row[] = [];

function record(what: string, latencies: number[], totalMs: number, goal = ''): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  rows.push({
    what,
    n: latencies.length,
    total: `${totalMs.toFixed(0)} ms`,
    perSecond: latencies.length > 1 ? `${Math.round((latencies.length / totalMs) * 1000)}/s` : '',
    p50: `${percentile(sorted, 50).toFixed(3)} ms`,
    p99: `${percentile(sorted, 99).toFixed(3)} ms`,
    goal,
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

async function httpBench(dataDir?: string): Promise<void> {
  const label = dataDir ? ' (with --data)' : '';
  // Start-up time is measured here; the CLI test only checks the cluster starts and serves.
  const [cluster, startMs] = await timed(() =>
    startLocalCluster({
      dataDir,
      kubeconfigPath: join(mkdtempSync(join(tmpdir(), 'vigil-bench-')), 'kubeconfig'),
    }),
  );
  record(`start${label}`, [startMs], startMs, 'start < 2 s');
  const base = cluster.url;
  await call(base, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  for (let ns = 0; ns < 10; ns++)
    await call(base, 'POST', '/api/v1/namespaces', { metadata: { name: `ns-${ns}` } });

  // A watcher over all namespaces, to measure how long a write takes to reach it.
  const sentAt = new Map<string, number>();
  const delivery: number[] = [];
  let received = 0;
  const watchDone = new Promise<void>((resolve) => {
    const req = request(
      `${base}/apis/vigil.dev/v1alpha1/usecases?watch=true&resourceVersion=1`,
      { agent: false },
      (res) => {
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let nl = buffer.indexOf('\n');
          while (nl !== -1) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            const name = /"name":"(use-case-\d+)"/.exec(line)?.[1];
            const t = name ? sentAt.get(name) : undefined;
            if (t !== undefined && line.startsWith('{"type":"ADDED"')) {
              delivery.push(performance.now() - t);
              received++;
              if (received === N) {
                req.destroy();
                resolve();
              }
            }
            nl = buffer.indexOf('\n');
          }
        });
      },
    );
    req.end();
  });
  await new Promise((r) => setTimeout(r, 50));

  const createLatency: number[] = [];
  const [, createTotal] = await timed(async () => {
    for (let i = 0; i < N; i++) {
      const obj = useCase(i);
      const path = `/apis/vigil.dev/v1alpha1/namespaces/ns-${i % 10}/usecases`;
      const t0 = performance.now();
      sentAt.set(`use-case-${i}`, t0);
      const r = await call(base, 'POST', path, obj);
      createLatency.push(performance.now() - t0);
      if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${r.body}`);
    }
  });
  record(`create over HTTP${label}`, createLatency, createTotal, 'p99 < 5 ms');
  await watchDone;
  record(`watch delivery (write sent -> event received)${label}`, delivery, createTotal);

  const getLatency: number[] = [];
  const [, getTotal] = await timed(async () => {
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await call(
        base,
        'GET',
        `/apis/vigil.dev/v1alpha1/namespaces/ns-${i % 10}/usecases/use-case-${i}`,
      );
      getLatency.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`get ${i}: ${r.status}`);
    }
  });
  record(`get over HTTP${label}`, getLatency, getTotal);

  for (const [what, accept, goal] of [
    ['list all 10k (JSON)', 'application/json', '< 300 ms'],
    ['list all 10k (Table, as kubectl get)', 'application/json;as=Table;v=v1;g=meta.k8s.io', ''],
  ] as const) {
    const lat: number[] = [];
    let bytes = 0;
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      const r = await call(base, 'GET', '/apis/vigil.dev/v1alpha1/usecases', undefined, accept);
      lat.push(performance.now() - t0);
      bytes = r.body.length;
      if (r.status !== 200) throw new Error(`list: ${r.status}`);
    }
    record(
      `${what}${label}, ${(bytes / 1e6).toFixed(1)} MB`,
      lat,
      lat.reduce((a, b) => a + b, 0),
      goal,
    );
  }
  const selLat: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    await call(base, 'GET', '/apis/vigil.dev/v1alpha1/namespaces/ns-3/usecases?labelSelector=team%3Dteam-2');
    selLat.push(performance.now() - t0);
  }
  record(
    `list one namespace with a label selector${label}`,
    selLat,
    selLat.reduce((a, b) => a + b, 0),
  );
  await cluster.stop();
}

function memoryBench(): void {
  gc();
  const before = process.memoryUsage().heapUsed;
  const state = new ClusterState({ watchHistorySize: 0 });
  const crdObj = structuredClone(crd) as never;
  state.rest.create(crdType, undefined, crdObj, {});
  const type = state.catalogue.get('vigil.dev', 'v1alpha1', 'usecases')!;
  for (let ns = 0; ns < 10; ns++)
    state.rest.create(
      state.catalogue.get('', 'v1', 'namespaces')!,
      undefined,
      { metadata: { name: `ns-${ns}` } },
      {},
    );
  gc();
  const base = process.memoryUsage().heapUsed;
  let jsonBytes = 0;
  const writes: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const body = useCase(i) as never;
    const w0 = performance.now();
    state.rest.create(type, `ns-${i % 10}`, body, { fieldValidation: 'Strict' });
    writes.push(performance.now() - w0);
  }
  record(
    'create in process (validation, defaulting, store, no HTTP)',
    writes,
    performance.now() - t0,
    'p99 < 5 ms',
  );
  for (const o of state.store.objects(type.storageKey)) jsonBytes += o.json.length;
  gc();
  const after = process.memoryUsage().heapUsed;
  const perObject = (after - base) / N;
  const jsonPerObject = jsonBytes / N;
  rows.push({
    what: `memory per object (heap), stored JSON ${jsonPerObject.toFixed(0)} B`,
    n: N,
    total: `${((after - base) / 1e6).toFixed(1)} MB`,
    perSecond: '',
    p50: `${perObject.toFixed(0)} B/object`,
    p99: `overhead ${(perObject - jsonPerObject).toFixed(0)} B`,
    goal: 'overhead < 2 KB',
  });
  void before;
  state.stop();

  const objects = Array.from({ length: N }, (_, i) => useCase(i));
  const lat: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    JSON.stringify({ items: objects });
    lat.push(performance.now() - t0);
  }
  record(
    'floor: JSON.stringify of 10k objects',
    lat,
    lat.reduce((a, b) => a + b, 0),
  );
}

function printTable(): void {
  const headers = ['measure', 'n', 'total', 'throughput', 'p50', 'p99', 'goal'];
  const data = rows.map((r) => [r.what, String(r.n), r.total, r.perSecond, r.p50, r.p99, r.goal]);
  const widths = headers.map((h, i) => Math.max(h.length, ...data.map((d) => (d[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(headers)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const d of data) process.stdout.write(`${line(d)}\n`);
}

process.stdout.write(`Vigil local cluster benchmark: ${N} UseCase objects, Node ${process.version}\n\n`);
await httpBench();
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-data-'));
await httpBench(dir);
rmSync(dir, { recursive: true, force: true });
memoryBench();
printTable();
agent.destroy();
