// The reconcile skeleton end to end against the local cluster: idempotence (reliability 1), level-based
// recovery (2), condition rules (3), conflicts (4), backoff (6), readiness and metrics (13), plus suspend and
// finalizers.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, ManualClock } from '../../controller/src/runtime/clock.js';
import { ClusterClient } from '../../controller/src/runtime/cluster-client.js';
import { conditionViolations } from '../../controller/src/runtime/conditions.js';
import type { Controller } from '../../controller/src/runtime/controller.js';
import { StalledError } from '../../controller/src/runtime/errors.js';
import { Manager } from '../../controller/src/runtime/manager.js';
import {
  createNamespace,
  createUseCase,
  eventually,
  getUseCase,
  readyOf,
  startTestCluster,
  type TestCluster,
  testLogger,
  toyUseCaseController,
  USECASE,
  type UseCaseView,
} from './cluster-fixture.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

let tc: TestCluster;
const USECASES = 'usecases.vigil.dev';
const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const managers: Manager[] = [];

beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  await tc?.stop();
});

function startManager(
  controller: Controller<UseCaseView>,
  namespace: string,
  client: ClusterClient = tc.client(),
  probes = false,
  clock?: Clock,
): Manager {
  const manager = new Manager({
    client,
    namespace,
    ...(clock ? { clock } : {}),
    leaderElection: false,
    probes: probes ? { port: 0, host: '127.0.0.1' } : false,
    queue: { backoff: { initialMs: 100, maxMs: 400 } },
    informerBackoff: { initialMs: 50, maxMs: 400 },
    gracePeriodMs: 5_000,
    logger: testLogger(),
  });
  manager.register(controller as unknown as Controller);
  managers.push(manager);
  return manager;
}

/** Wait until the manager has nothing queued or running and the write count has stopped moving. */
async function settled(manager: Manager, client: ClusterClient): Promise<void> {
  let last = -1;
  await eventually(
    () => {
      const now = client.writes.count();
      const quiet = manager.isIdle() && now === last;
      last = now;
      if (!quiet) throw new Error('still working');
    },
    10_000,
    150,
  );
}

async function patchSpec(
  client: ClusterClient,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
) {
  await client.customObjects.patchNamespacedCustomObject(
    { ...USECASE, namespace, name, body: { spec } },
    mergePatch(),
  );
}

describe('reconcile skeleton', () => {
  it('a second pass over unchanged objects makes zero writes (reliability 1)', async () => {
    const ns = 'idempotent';
    const setup = tc.client();
    await createNamespace(setup, ns);
    for (const name of ['a', 'b', 'c']) await createUseCase(setup, ns, name, `Title ${name}`);
    let passes = 0;
    const client = tc.client();
    const manager = startManager(toyUseCaseController({ onReconcile: () => void passes++ }), ns, client);
    await manager.start();
    await eventually(async () => {
      for (const name of ['a', 'b', 'c'])
        expect(readyOf(await getUseCase(setup, ns, name))?.status).toBe('True');
    });
    await settled(manager, client);
    // The first pass wrote: one status patch per object, and its Events.
    expect(client.writes.count(USECASES, 'patch')).toBe(3);
    const before = client.writes.snapshot();
    const passesBefore = passes;
    manager.resync();
    await eventually(() => expect(passes).toBe(passesBefore + 3));
    await settled(manager, client);
    expect(client.writes.snapshot()).toEqual(before);
    await manager.stop();
  });

  it('reflects the last spec after changes made while it was down (reliability 2)', async () => {
    const ns = 'level-based';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'uc', 'A');
    const first = startManager(toyUseCaseController(), ns);
    await first.start();
    await eventually(async () =>
      expect(readyOf(await getUseCase(setup, ns, 'uc'))?.message).toBe('title: A'),
    );
    await first.stop();
    await patchSpec(setup, ns, 'uc', { title: 'B' });
    await patchSpec(setup, ns, 'uc', { title: 'C' });
    const down = await getUseCase(setup, ns, 'uc');
    expect(down.metadata.generation).toBe(3);
    expect(down.status?.observedGeneration).toBe(1);
    const titles: string[] = [];
    const second = startManager(
      toyUseCaseController({ onReconcile: (o) => void titles.push(o.spec.title) }),
      ns,
    );
    await second.start();
    await eventually(async () => {
      const uc = await getUseCase(setup, ns, 'uc');
      expect(readyOf(uc)?.message).toBe('title: C');
      expect(uc.status?.observedGeneration).toBe(uc.metadata.generation);
      expect(readyOf(uc)?.observedGeneration).toBe(3);
    });
    // B was never acted on: the controller saw only the state as it is.
    expect(titles).not.toContain('B');
    await second.stop();
  });

  it('keeps the condition rules through success, stall, transient failure and recovery (reliability 3)', async () => {
    const ns = 'conditions';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'uc', 'fine');
    const controller = toyUseCaseController({
      onReconcile: (obj) => {
        if (obj.spec.title === 'stall')
          throw new StalledError('InvalidTitle', 'the title "stall" cannot be used');
        if (obj.spec.title === 'flaky') throw new Error('upstream unavailable');
      },
    });
    const manager = startManager(controller, ns);
    await manager.start();
    const observe = async (expectReady: string, reason: string) =>
      eventually(async () => {
        const uc = await getUseCase(setup, ns, 'uc');
        expect(`${readyOf(uc)?.status}/${readyOf(uc)?.reason}`).toBe(`${expectReady}/${reason}`);
        expect(conditionViolations(uc.status as never, uc.metadata.generation)).toEqual([]);
        return uc;
      });
    const ok = await observe('True', 'TitleSeen');
    const firstTransition = readyOf(ok)!.lastTransitionTime;
    // Still True after a change: the transition time does not move (wait past a second boundary first).
    await new Promise((r) => setTimeout(r, 1_100));
    await patchSpec(setup, ns, 'uc', { title: 'fine again' });
    await eventually(async () =>
      expect(readyOf(await getUseCase(setup, ns, 'uc'))?.message).toBe('title: fine again'),
    );
    expect(readyOf(await getUseCase(setup, ns, 'uc'))!.lastTransitionTime).toBe(firstTransition);

    await patchSpec(setup, ns, 'uc', { title: 'stall' });
    const stalled = await observe('False', 'InvalidTitle');
    const kinds = (uc: UseCaseView) =>
      Object.fromEntries((uc.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(kinds(stalled)).toEqual({ Ready: 'False', Stalled: 'True' });
    expect(readyOf(stalled)!.lastTransitionTime).not.toBe(firstTransition);
    expect(stalled.status?.observedGeneration).toBe(stalled.metadata.generation);

    await patchSpec(setup, ns, 'uc', { title: 'flaky' });
    const failing = await observe('False', 'ReconciliationFailed');
    expect(kinds(failing)).toEqual({ Ready: 'False', Reconciling: 'True' });
    // A transient failure does not claim the new generation was observed.
    expect(failing.status!.observedGeneration!).toBeLessThan(failing.metadata.generation!);

    await patchSpec(setup, ns, 'uc', { title: 'recovered' });
    const recovered = await observe('True', 'TitleSeen');
    expect(kinds(recovered)).toEqual({ Ready: 'True' });
    await manager.stop();
  });

  it('on 409 re-reads and retries, and a concurrent writer change survives (reliability 4)', async () => {
    const ns = 'conflicts';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'uc', 'contended');
    const other = tc.client();
    let interfered = false;
    const controller = toyUseCaseController({
      // Between our read and our write, someone else writes the status: our patch carries a stale resourceVersion.
      onReconcile: async (obj) => {
        if (interfered) return;
        interfered = true;
        await other.customObjects.patchNamespacedCustomObjectStatus(
          {
            ...USECASE,
            namespace: ns,
            name: 'uc',
            body: {
              status: {
                conditions: [
                  {
                    type: 'Audited',
                    status: 'True',
                    reason: 'AuditRecorded',
                    message: 'by another writer',
                    lastTransitionTime: '2026-03-01T09:00:00Z',
                  },
                ],
              },
            },
          },
          mergePatch(),
        );
        expect(obj.metadata.resourceVersion).toBeDefined();
      },
    });
    const client = tc.client();
    const manager = startManager(controller, ns, client);
    await manager.start();
    await eventually(async () => {
      const uc = await getUseCase(setup, ns, 'uc');
      expect(readyOf(uc)?.status).toBe('True');
      expect(uc.status?.conditions?.find((c) => c.type === 'Audited')?.message).toBe('by another writer');
    });
    // One patch refused with 409, one that landed after re-reading.
    expect(client.writes.count(USECASES, 'patch')).toBe(2);
    expect(client.writes.refused(USECASES, 'patch')).toBe(1);
    await manager.stop();
  });

  it('retries a failing object with growing delays while the others are reconciled (reliability 6)', async () => {
    const ns = 'backoff';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'bad', 'bad');
    for (const name of ['good-1', 'good-2', 'good-3']) await createUseCase(setup, ns, name, name);
    // The manager's time moves only when the test moves it: each retry is due at a known instant.
    const clock = new ManualClock(Date.now());
    const attempts: number[] = [];
    const controller = toyUseCaseController({
      workers: 1,
      onReconcile: (obj) => {
        if (obj.metadata.name !== 'bad') return;
        attempts.push(clock.now());
        throw new Error('always fails');
      },
    });
    const manager = startManager(controller, ns, undefined, false, clock);
    await manager.start();
    // With a single worker, the good objects are done while the bad one waits out its backoff.
    await eventually(async () => {
      for (const name of ['good-1', 'good-2', 'good-3'])
        expect(readyOf(await getUseCase(setup, ns, name))?.status).toBe('True');
    });
    const queue = manager.queueFor(USECASE)!;
    await eventually(() => expect(queue.waiting).toBe(1));
    expect(attempts).toHaveLength(1);
    // Each delay doubles from 100 ms up to the 400 ms cap: not a millisecond early, and due exactly then.
    for (const delay of [100, 200, 400, 400, 400]) {
      const tried = attempts.length;
      await clock.advance(delay - 1);
      expect(queue.waiting).toBe(1);
      expect(attempts).toHaveLength(tried);
      await clock.advance(1);
      await eventually(() => expect(attempts).toHaveLength(tried + 1));
      await eventually(() => expect(queue.waiting).toBe(1));
    }
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps).toEqual([100, 200, 400, 400, 400]);
    expect(queue.retries('backoff/bad')).toBe(6);
    await manager.stop();
  });

  it('a suspended object is marked and not reconciled', async () => {
    const ns = 'suspend';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'uc', 'paused', { suspend: true });
    let passes = 0;
    const manager = startManager(toyUseCaseController({ onReconcile: () => void passes++ }), ns);
    await manager.start();
    await eventually(async () => {
      const uc = await getUseCase(setup, ns, 'uc');
      expect(`${readyOf(uc)?.status}/${readyOf(uc)?.reason}`).toBe('Unknown/Suspended');
    });
    expect(passes).toBe(0);
    await patchSpec(setup, ns, 'uc', { suspend: false });
    await eventually(async () => expect(readyOf(await getUseCase(setup, ns, 'uc'))?.status).toBe('True'));
    expect(passes).toBe(1);
    await manager.stop();
  });

  it('adds its finalizer, and on deletion finalizes then removes it', async () => {
    const ns = 'finalizers';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'uc', 'finalized');
    const finalized: string[] = [];
    const manager = startManager(
      toyUseCaseController({
        finalizer: 'vigil.dev/test-cleanup',
        onFinalize: (o) => void finalized.push(o.metadata.name),
      }),
      ns,
    );
    await manager.start();
    await eventually(async () => {
      const uc = await getUseCase(setup, ns, 'uc');
      expect(uc.metadata.finalizers).toEqual(['vigil.dev/test-cleanup']);
      expect(readyOf(uc)?.status).toBe('True');
    });
    await setup.customObjects.deleteNamespacedCustomObject({ ...USECASE, namespace: ns, name: 'uc' });
    await eventually(async () => {
      await expect(getUseCase(setup, ns, 'uc')).rejects.toMatchObject({ code: 404 });
    });
    expect(finalized).toEqual(['uc']);
    await manager.stop();
  });
});

describe('probes and metrics (reliability 13)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(tc.cluster.url);
  });
  afterAll(async () => proxy?.close());

  it('/readyz is false until the caches sync; /metrics counts reconciles by result', async () => {
    const ns = 'probes';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'ok', 'ok');
    await createUseCase(setup, ns, 'broken', 'broken');
    proxy.failLists = true;
    const client = new ClusterClient(proxy.kubeConfig, { rate: { qps: 500, burst: 500 } });
    const controller = toyUseCaseController({
      onReconcile: (obj) => {
        if (obj.metadata.name === 'broken') throw new StalledError('Broken', 'broken on purpose');
      },
    });
    const manager = startManager(controller, ns, client, true);
    await manager.start();
    const base = manager.probeUrl!;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('caches not synced: usecases.vigil.dev');
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    proxy.failLists = false;
    await eventually(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), 10_000);
    await eventually(async () => {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('vigil_reconcile_total{kind="UseCase",result="success"} 1');
      expect(metrics).toContain('vigil_reconcile_total{kind="UseCase",result="stalled"} 1');
      expect(metrics).toMatch(/vigil_reconcile_duration_seconds_count\{kind="UseCase"\} 2/);
      expect(metrics).toMatch(/vigil_api_writes_total\{resource="usecases.vigil.dev",verb="patch"\} 2/);
      expect(metrics).toContain('vigil_leader_is_leader 1');
      expect(metrics).toContain('vigil_workqueue_depth{kind="UseCase"}');
    });
    const stopping = manager.stop();
    await stopping;
    await expect(fetch(`${base}/readyz`)).rejects.toThrow();
  });
});
