// Leader election (reliability 8) and graceful shutdown (reliability 9) against the local cluster.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../controller/src/runtime/cluster-client.js';
import type { Controller } from '../../controller/src/runtime/controller.js';
import { LeaderElector } from '../../controller/src/runtime/leader-election.js';
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
} from './cluster-fixture.js';
import { startFaultProxy } from './fault-proxy.js';

let tc: TestCluster;
const LEASE_NS = 'kube-system';
// Short timings keep the suite fast; the ratios are client-go's (15 s / 10 s / 2 s).
const TIMING = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 200 };

beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => tc?.stop());

async function readLease(name: string) {
  return tc.client().coordination.readNamespacedLease({ namespace: LEASE_NS, name });
}

/** Sample `check` every few milliseconds for `ms`, failing at the first sample where it is false. */
async function always(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    expect(check()).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('LeaderElector', () => {
  it('two electors never both lead; when the leader stops renewing the other takes over within the lease time', async () => {
    const events: string[] = [];
    const elector = (identity: string) =>
      new LeaderElector({
        client: tc.client(),
        namespace: LEASE_NS,
        name: 'two-electors',
        identity,
        ...TIMING,
        logger: testLogger(),
        onStartedLeading: () => events.push(`${identity} started`),
        onStoppedLeading: () => events.push(`${identity} stopped`),
      });
    const a = elector('replica-a');
    const b = elector('replica-b');
    a.start();
    await eventually(() => expect(a.isLeader()).toBe(true));
    b.start();
    await always(() => !(a.isLeader() && b.isLeader()) && a.isLeader(), 2 * TIMING.leaseDurationMs);
    expect((await readLease('two-electors')).spec?.holderIdentity).toBe('replica-a');

    // The leader dies without releasing: its renewals stop.
    const killedAt = Date.now();
    await a.stop();
    await eventually(() => expect(b.isLeader()).toBe(true), 5_000, 10);
    const takeover = Date.now() - killedAt;
    // Not before the lease ran out as b saw it, and not much after: lease + one jittered retry period + slack.
    expect(takeover).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs * 1.2 - 50);
    expect(takeover).toBeLessThan(TIMING.leaseDurationMs + TIMING.retryPeriodMs * 1.2 + 1_000);
    expect(a.isLeader()).toBe(false);
    const lease = await readLease('two-electors');
    expect(lease.spec?.holderIdentity).toBe('replica-b');
    expect(lease.spec?.leaseTransitions).toBe(1);

    // A graceful exit hands the Lease back at once.
    await b.release();
    const released = await readLease('two-electors');
    expect(released.spec?.holderIdentity).toBeFalsy();
    expect(released.spec?.leaseDurationSeconds).toBe(1);
    expect(events).toEqual([
      'replica-a started',
      'replica-a stopped',
      'replica-b started',
      'replica-b stopped',
    ]);
  });

  it('a leader that cannot renew steps down within the renew deadline', async () => {
    const proxy = await startFaultProxy(tc.cluster.url);
    try {
      let stoppedAt = 0;
      const a = new LeaderElector({
        client: new ClusterClient(proxy.kubeConfig),
        namespace: LEASE_NS,
        name: 'renew-deadline',
        identity: 'partitioned',
        ...TIMING,
        logger: testLogger(),
        onStoppedLeading: () => {
          stoppedAt = Date.now();
        },
      });
      a.start();
      await eventually(() => expect(a.isLeader()).toBe(true));
      const cutAt = Date.now();
      proxy.cutOff = true;
      await eventually(() => expect(stoppedAt).toBeGreaterThan(0), 5_000, 10);
      // It stops believing it leads before anyone else may take the Lease.
      expect(stoppedAt - cutAt).toBeLessThan(TIMING.leaseDurationMs);
      await a.stop();
    } finally {
      await proxy.close();
    }
  });
});

describe('Manager with leader election', () => {
  const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  function manager(
    client: ClusterClient,
    ns: string,
    identity: string,
    lease: string,
    controller: Controller,
    gracePeriodMs = 5_000,
  ) {
    const m = new Manager({
      client,
      namespace: ns,
      leaderElection: { namespace: LEASE_NS, name: lease, identity, ...TIMING },
      probes: false,
      gracePeriodMs,
      logger: testLogger(),
    });
    m.register(controller);
    return m;
  }

  it('only the leader writes; when it is killed the other takes over and reconciles (reliability 8)', async () => {
    const ns = 'two-managers';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'uc', 'first');
    const proxy = await startFaultProxy(tc.cluster.url);
    const clientA = new ClusterClient(proxy.kubeConfig, { rate: { qps: 500, burst: 500 } });
    const clientB = tc.client();
    const a = manager(
      clientA,
      ns,
      'manager-a',
      'two-managers',
      toyUseCaseController() as unknown as Controller,
    );
    const b = manager(
      clientB,
      ns,
      'manager-b',
      'two-managers',
      toyUseCaseController() as unknown as Controller,
    );
    await a.start();
    await eventually(() => expect(a.isLeader()).toBe(true));
    await b.start();
    await eventually(async () =>
      expect(readyOf(await getUseCase(setup, ns, 'uc'))?.message).toBe('title: first'),
    );
    await always(() => a.isLeader() && !b.isLeader(), 500);
    expect(clientA.writes.count('usecases.vigil.dev')).toBeGreaterThan(0);
    expect(clientB.writes.count('usecases.vigil.dev')).toBe(0);

    // Kill a: every request it makes fails from now on, as for a crashed or partitioned replica.
    let bothLed = false;
    const sampler = setInterval(() => {
      if (a.isLeader() && b.isLeader()) bothLed = true;
    }, 5);
    const killedAt = Date.now();
    proxy.cutOff = true;
    await eventually(() => expect(b.isLeader()).toBe(true), 5_000, 20);
    clearInterval(sampler);
    expect(bothLed).toBe(false);
    expect(Date.now() - killedAt).toBeLessThan(TIMING.leaseDurationMs + TIMING.renewDeadlineMs + 1_000);
    expect(a.isLeader()).toBe(false);
    await setup.customObjects.patchNamespacedCustomObject(
      { ...USECASE, namespace: ns, name: 'uc', body: { spec: { title: 'second' } } },
      mergePatch(),
    );
    await eventually(async () =>
      expect(readyOf(await getUseCase(setup, ns, 'uc'))?.message).toBe('title: second'),
    );
    expect(clientB.writes.count('usecases.vigil.dev')).toBeGreaterThan(0);
    await b.stop();
    await a.stop();
    await proxy.close();
  });

  it('on SIGTERM finishes in-flight work within the grace period, then releases the Lease (reliability 9)', async () => {
    const ns = 'shutdown';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'slow', 'slow');
    let started = 0;
    let holderAtEndOfWork: string | undefined | null;
    const controller = toyUseCaseController({
      onReconcile: async () => {
        started = Date.now();
        await new Promise((r) => setTimeout(r, 800));
        holderAtEndOfWork = (await readLease('shutdown')).spec?.holderIdentity;
      },
    });
    const m = manager(tc.client(), ns, 'graceful', 'shutdown', controller as unknown as Controller, 5_000);
    const removeHandlers = m.stopOnSignals(['SIGTERM']);
    await m.start();
    await eventually(() => expect(started).toBeGreaterThan(0));
    const signalledAt = Date.now();
    process.emit('SIGTERM', 'SIGTERM');
    await m.stop();
    removeHandlers();
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    // The reconcile in flight finished and wrote its status while the Lease was still held...
    expect(holderAtEndOfWork).toBe('graceful');
    expect(readyOf(await getUseCase(setup, ns, 'slow'))?.status).toBe('True');
    // ...and only then was the Lease released.
    const lease = await readLease('shutdown');
    expect(lease.spec?.holderIdentity).toBeFalsy();
    expect(lease.spec?.leaseDurationSeconds).toBe(1);
  });

  it('aborts work still running at the end of the grace period, then releases the Lease', async () => {
    const ns = 'shutdown-deadline';
    const setup = tc.client();
    await createNamespace(setup, ns);
    await createUseCase(setup, ns, 'stuck', 'stuck');
    let started = false;
    let aborted = false;
    const controller = toyUseCaseController({
      onReconcile: (_obj, signal) =>
        new Promise<void>((_, reject) => {
          started = true;
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted by shutdown'));
          });
        }),
    });
    const m = manager(
      tc.client(),
      ns,
      'deadline',
      'shutdown-deadline',
      controller as unknown as Controller,
      500,
    );
    await m.start();
    await eventually(() => expect(started).toBe(true));
    const stopAt = Date.now();
    await m.stop();
    const took = Date.now() - stopAt;
    expect(aborted).toBe(true);
    expect(took).toBeGreaterThanOrEqual(490);
    expect(took).toBeLessThan(500 + 1_000 + 1_000);
    expect((await readLease('shutdown-deadline')).spec?.holderIdentity).toBeFalsy();
  });
});
