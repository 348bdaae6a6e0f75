// Benchmark: the controller cold-starting on 10,000 UseCases and what they reference, on the local cluster.
// Measures time until all are Ready, the controller's peak RSS (a child process, so its memory is its own),
// status writes per object, a steady-state pass (a restart over unchanged objects), and the time from a spec
// change to its condition showing. Peer in the same run: a bare client-node loop that lists the use cases and
// writes each one's status once, the floor any controller pays.
// Goals: all Ready < 60 s, controller RSS < 300 MB, 0 writes in steady state, <= 1 status write per object per
// change, apply-to-visible p95 < 1 s.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { applyObjects, installCrds, readCrds } from '../controller/src/apply/index.js';
import { startLocalCluster } from '../controller/src/local-cluster/index.js';
import { ClusterClient, loadKubeConfig } from '../controller/src/runtime/index.js';
import { repositoryRoot } from '../specs/generate.js';

const USE_CASES = Number(process.env.BENCH_USE_CASES ?? 10_000);
const PER_NAMESPACE = 100;
const ROOT = repositoryRoot();
const GROUP = { group: 'vigil.dev', version: 'v1alpha1' };

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: unknown;
};

/** The revenue-cycle example, as the template for each namespace's train, policies and contract. */
function exampleObjects(): Obj[] {
  const dir = join(ROOT, 'examples', 'revenue-cycle');
  const files = [
    'monthly-release.yaml',
    'governance-signoff.yaml',
    'denials-triage-surveillance.yaml',
    'claims-remittance.yaml',
    'denials-triage.yaml',
  ];
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Obj),
  );
}

function objectsFor(namespaces: number): { shared: Obj[]; useCases: Obj[] } {
  const template = exampleObjects();
  const useCaseTemplate = template.find((o) => o.kind === 'UseCase')!;
  const shared: Obj[] = [];
  const useCases: Obj[] = [];
  for (let n = 0; n < namespaces; n++) {
    const ns = `bench-${n}`;
    shared.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const o of template.filter((t) => t.kind !== 'UseCase')) {
      shared.push({ ...structuredClone(o), metadata: { ...o.metadata, namespace: ns } });
    }
    for (let i = 0; i < PER_NAMESPACE && useCases.length < USE_CASES; i++) {
      useCases.push({
        ...structuredClone(useCaseTemplate),
        metadata: { name: `use-case-${i}`, namespace: ns },
      });
    }
  }
  return { shared, useCases };
}

// Sized for this many objects: a status write per use case plus its Event is 20,000 requests, which the
// default client-side limit of 100 a second would stretch to over three minutes on its own.
// The controller's heap limits: as the chart deploys it (charts/vigil/values.yaml, controller.nodeOptions);
// BENCH_NODE_FLAGS overrides them ("" for Node's own defaults).
const CHART_NODE_OPTIONS = (
  parse(readFileSync(join(ROOT, 'charts/vigil/values.yaml'), 'utf8')) as {
    controller: { nodeOptions?: string };
  }
).controller.nodeOptions;
const CONTROLLER_NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? CHART_NODE_OPTIONS ?? '')
  .split(' ')
  .filter(Boolean);
const CONTROLLER_FLAGS = ['--kube-api-qps', '1000', '--kube-api-burst', '2000', '--workers', '16'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readyCount(items: { status?: { conditions?: { type: string; status: string }[] } }[]): number {
  return items.filter((o) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .length;
}

/**
 * Count Ready use cases from a watch, as `kubectl get -w` would see them: the time the last one turns Ready is
 * when its event arrives, and the watch costs the API server nothing between events (a poll of 10,000
 * objects every half second would cost it more than the controller's writes).
 */
async function readyByWatch(kc: KubeConfig, total: number, start: number, limitMs: number): Promise<number> {
  const ready = new Set<string>();
  let lastLog = 0;
  return new Promise<number>((resolve, reject) => {
    let request: AbortController | undefined;
    const done = () => {
      clearTimeout(timer);
      request?.abort();
      resolve(ready.size);
    };
    const timer = setTimeout(done, limitMs);
    new Watch(kc)
      .watch(
        `/apis/${GROUP.group}/${GROUP.version}/usecases`,
        {},
        (_type: string, obj: { metadata: { namespace: string; name: string } }) => {
          const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
          if (readyCount([obj as never]) === 1) ready.add(key);
          else ready.delete(key);
          if (process.env.BENCH_TRACE && performance.now() - lastLog > 2_000) {
            lastLog = performance.now();
            process.stdout.write(
              `  ... ${ready.size} ready after ${((lastLog - start) / 1000).toFixed(1)} s\n`,
            );
          }
          if (ready.size >= total) done();
        },
        (error) => {
          if (ready.size < total)
            reject(error ?? new Error('the watch ended before every use case was Ready'));
        },
      )
      .then((c) => {
        request = c;
      }, reject);
  });
}

async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m =
      /^(vigil_api_writes_total\{[^}]*\}|vigil_api_writes_refused_total\{[^}]*\}|vigil_reconcile_total\{[^}]*\}|vigil_workqueue_depth\{[^}]*\}|nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes)\s+(\S+)$/.exec(
        line,
      );
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** `usecases.vigil.dev 10000, events 10012, ...`: the writes, by the resource written. */
function writesByResource(metrics: Map<string, number>): string {
  const by = new Map<string, number>();
  for (const [k, v] of metrics) {
    const resource = /resource="([^"]+)"/.exec(k)?.[1];
    if (k.startsWith('vigil_api_writes_total') && resource) by.set(resource, (by.get(resource) ?? 0) + v);
  }
  return [...by].map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
}

const sumOf = (metrics: Map<string, number>, metric: string, resource: string) =>
  [...metrics]
    .filter(([k]) => k.startsWith(`${metric}{`) && k.includes(`resource="${resource}"`))
    .reduce((a, [, v]) => a + v, 0);

/** Writes to `resource` that changed it: those sent, less those refused with a 409 and sent again. */
const writesTo = (metrics: Map<string, number>, resource: string) =>
  sumOf(metrics, 'vigil_api_writes_total', resource) -
  sumOf(metrics, 'vigil_api_writes_refused_total', resource);
const refusedTo = (metrics: Map<string, number>, resource: string) =>
  sumOf(metrics, 'vigil_api_writes_refused_total', resource);

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

interface Controller {
  child: ChildProcess;
  probeUrl: string;
  stop(): Promise<void>;
}

async function startController(kubeconfig: string): Promise<Controller> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      ...(process.env.BENCH_HEAP_SNAPSHOT ? ['--heapsnapshot-signal=SIGUSR2'] : []),
      ...CONTROLLER_NODE_FLAGS,
      join(ROOT, 'bin/vigil.js'),
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--metrics-port',
      '0',
      '--log-level',
      process.env.BENCH_LOG_LEVEL ?? 'info',
      ...CONTROLLER_FLAGS,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 30_000;
  let probeUrl: string | undefined;
  while (!probeUrl) {
    probeUrl = /"probes":"(http[^"]+)"/.exec(out)?.[1];
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`controller did not start:\n${out}`);
    await sleep(50);
  }
  // Keep the pipe drained: the controller logs one line per reconcile at info.
  child.stdout!.removeAllListeners('data');
  if (process.env.BENCH_LOG) child.stdout!.pipe(createWriteStream(process.env.BENCH_LOG, { flags: 'a' }));
  else child.stdout!.resume();
  return {
    child,
    probeUrl,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Wait until every work queue has been empty for a second (or 30 s have passed). */
async function settled(probeUrl: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  let emptySince: number | undefined;
  while (performance.now() < deadline) {
    const m = await scrape(probeUrl);
    const depth = [...m]
      .filter(([k]) => k.startsWith('vigil_workqueue_depth'))
      .reduce((a, [, v]) => a + v, 0);
    if (depth > 0) emptySince = undefined;
    else if (emptySince === undefined) emptySince = performance.now();
    else if (performance.now() - emptySince >= 1_000) return;
    await sleep(100);
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const cluster = await startLocalCluster({});
  const client = new ClusterClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath }), {
    rate: { qps: 5_000, burst: 5_000 },
  });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const api = kc.makeApiClient(CustomObjectsApi);
  const namespaces = Math.ceil(USE_CASES / PER_NAMESPACE);
  const rows: [string, string][] = [];
  try {
    await installCrds(client, readCrds(join(ROOT, 'crd')));
    const { shared, useCases } = objectsFor(namespaces);
    const t0 = performance.now();
    await applyObjects(client, shared as never);
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < useCases.length; i += 8) {
          const o = useCases[i]!;
          await api.createNamespacedCustomObject({
            ...GROUP,
            plural: 'usecases',
            namespace: o.metadata.namespace!,
            body: o,
          });
        }
      }),
    );
    process.stdout.write(
      `controller benchmark: ${useCases.length} UseCases in ${namespaces} namespaces, with ${shared.length} referenced objects and namespaces (created in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );

    // Peer: list every use case and write each one's status once: the floor of one status write per object.
    const peerStart = performance.now();
    const listed = (await api.listClusterCustomObject({ ...GROUP, plural: 'usecases' })) as { items: Obj[] };
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < listed.items.length; i += 8) {
          const o = listed.items[i]!;
          await api.patchNamespacedCustomObjectStatus(
            {
              ...GROUP,
              plural: 'usecases',
              namespace: o.metadata.namespace!,
              name: o.metadata.name,
              body: { status: { readiness: 'peer' } },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
        }
      }),
    );
    const peerMs = performance.now() - peerStart;
    // Clear the peer's mark so the controller starts from objects it has never reconciled.
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < listed.items.length; i += 8) {
          const o = listed.items[i]!;
          await api.patchNamespacedCustomObjectStatus(
            {
              ...GROUP,
              plural: 'usecases',
              namespace: o.metadata.namespace!,
              name: o.metadata.name,
              body: { status: null },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
        }
      }),
    );

    // Cold start.
    const start = performance.now();
    let controller = await startController(cluster.kubeconfigPath);
    const ready = await readyByWatch(kc, useCases.length, start, 300_000);
    const coldMs = performance.now() - start;
    await settled(controller.probeUrl);
    // BENCH_HEAP_SNAPSHOT=1: the controller writes a heap snapshot into its working directory.
    if (process.env.BENCH_HEAP_SNAPSHOT) {
      controller.child.kill('SIGUSR2');
      await sleep(15_000);
    }
    const afterCold = await scrape(controller.probeUrl);
    const usecaseWrites = writesTo(afterCold, 'usecases.vigil.dev');
    rows.push([
      'peer: list + one status write per use case (client-node)',
      `${(peerMs / 1000).toFixed(1)} s`,
    ]);
    rows.push([
      `cold start: ${ready}/${useCases.length} use cases Ready`,
      `${(coldMs / 1000).toFixed(1)} s (goal < 60 s)`,
    ]);
    rows.push(['writes on cold start, by resource', writesByResource(afterCold)]);
    rows.push([
      'status writes per use case on cold start',
      `${(usecaseWrites / useCases.length).toFixed(2)} (goal <= 1)`,
    ]);
    rows.push([
      'controller peak RSS after cold start',
      `${peakRssMiB(controller.child.pid!).toFixed(0)} MiB (goal < 300 MB)`,
    ]);
    const mib = (k: string) => ((afterCold.get(k) ?? 0) / 1048576).toFixed(0);
    rows.push([
      'controller heap used / heap total / external, settled',
      `${mib('nodejs_heap_size_used_bytes')} / ${mib('nodejs_heap_size_total_bytes')} / ${mib('nodejs_external_memory_bytes')} MiB`,
    ]);

    // Apply-to-visible: change a spec, time until the controller has reconciled that generation.
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ns = `bench-${i % namespaces}`;
      const name = `use-case-${i}`;
      const sent = performance.now();
      const patched = (await api.patchNamespacedCustomObject(
        { ...GROUP, plural: 'usecases', namespace: ns, name, body: { spec: { title: `Retitled ${i}` } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as { metadata: { generation: number } };
      for (;;) {
        const o = (await api.getNamespacedCustomObject({
          ...GROUP,
          plural: 'usecases',
          namespace: ns,
          name,
        })) as {
          status?: { observedGeneration?: number };
        };
        if ((o.status?.observedGeneration ?? 0) >= patched.metadata.generation) break;
        await sleep(5);
      }
      latencies.push(performance.now() - sent);
    }
    rows.push([
      'apply -> status shows it: p50 / p95 over 20 changes',
      `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 95).toFixed(0)} ms (goal p95 < 1 s)`,
    ]);
    const afterChanges = await scrape(controller.probeUrl);
    const changeWrites = writesTo(afterChanges, 'usecases.vigil.dev') - usecaseWrites;
    const refused = refusedTo(afterChanges, 'usecases.vigil.dev');
    rows.push([
      'status writes per change (20 changes)',
      `${(changeWrites / 20).toFixed(2)} (goal <= 1); ${refused} use case writes refused with 409 and retried in all`,
    ]);

    // Steady state: a restarted controller over unchanged objects makes no write. Stop it only once its queues
    // are empty, so that no work the changes caused is left for the restart to do.
    await settled(controller.probeUrl);
    await controller.stop();
    controller = await startController(cluster.kubeconfigPath);
    const steadyStart = performance.now();
    for (;;) {
      const m = await scrape(controller.probeUrl);
      const reconciled = [...m]
        .filter(([k]) => k.startsWith('vigil_reconcile_total') && k.includes('kind="UseCase"'))
        .reduce((a, [, v]) => a + v, 0);
      if (reconciled >= useCases.length || performance.now() - steadyStart > 120_000) break;
      await sleep(500);
    }
    const steady = await scrape(controller.probeUrl);
    const steadyWrites = [...steady]
      .filter(([k]) => k.startsWith('vigil_api_writes_total'))
      .reduce((a, [, v]) => a + v, 0);
    rows.push([
      `steady state: a restart reconciling all ${useCases.length} again`,
      `${((performance.now() - steadyStart) / 1000).toFixed(1)} s, ${steadyWrites} writes (goal 0)`,
    ]);
    rows.push(['writes in steady state, by resource', writesByResource(steady)]);
    await controller.stop();
  } finally {
    await cluster.stop();
  }
  process.stdout.write(`  controller flags: ${[...CONTROLLER_NODE_FLAGS, ...CONTROLLER_FLAGS].join(' ')}\n`);
  for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(58)} ${value}\n`);
}

await main();
