// Benchmark: the controller cold-starting on 10,000 UseCases and what they reference, on the local cluster.
// Measures time until all are Ready, the controller's peak RSS (a child process, so its memory is its own),
// status writes per object, a steady-state pass (a restart over unchanged objects), and the time from a spec
// change to its condition showing. Peer in the same run: a bare client-node loop that lists the use cases and
// writes each one's status once, the floor any controller pays.
// Goals: all Ready < 60 s, controller RSS < 300 MB, 0 writes in steady state, <= 1 status write per object per
// change, apply-to-visible p95 < 1 s.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readyCount(items: { status?: { conditions?: { type: string; status: string }[] } }[]): number {
  return items.filter((o) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .length;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(vigil_api_writes_total\{[^}]*\}|vigil_reconcile_total\{[^}]*\})\s+(\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const writesTo = (metrics: Map<string, number>, resource: string) =>
  [...metrics]
    .filter(([k]) => k.startsWith('vigil_api_writes_total') && k.includes(`resource="${resource}"`))
    .reduce((a, [, v]) => a + v, 0);

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
      join(ROOT, 'bin/vigil.js'),
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--metrics-port',
      '0',
      '--log-level',
      'info',
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
  child.stdout!.resume();
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
    let ready = 0;
    while (ready < useCases.length) {
      const list = (await api.listClusterCustomObject({ ...GROUP, plural: 'usecases' })) as { items: Obj[] };
      ready = readyCount(list.items as never);
      if (process.env.BENCH_TRACE)
        process.stdout.write(
          `  ... ${ready} ready after ${((performance.now() - start) / 1000).toFixed(1)} s\n`,
        );
      if (performance.now() - start > 300_000) break;
      if (ready < useCases.length) await sleep(500);
    }
    const coldMs = performance.now() - start;
    await sleep(2_000);
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
    rows.push([
      'status writes per use case on cold start',
      `${(usecaseWrites / useCases.length).toFixed(2)} (goal <= 1)`,
    ]);
    rows.push([
      'controller peak RSS after cold start',
      `${peakRssMiB(controller.child.pid!).toFixed(0)} MiB (goal < 300 MB)`,
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
    rows.push(['status writes per change (20 changes)', `${(changeWrites / 20).toFixed(2)} (goal <= 1)`]);

    // Steady state: a restarted controller over unchanged objects makes no write.
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
    await controller.stop();
  } finally {
    await cluster.stop();
  }
  for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(58)} ${value}\n`);
}

await main();
