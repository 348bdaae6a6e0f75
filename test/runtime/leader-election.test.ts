// Leader election (reliability 8) and graceful shutdown (reliability 9) against the local cluster. Where a test
// says "within" a time, the time is the electors' or the manager's clock, moved by the test: the Lease and the
// cluster are real, and no assertion depends on how fast two busy cores answer.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../controller/src/runtime/clock.js';
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

/** How far the test moves a manual clock at a time. */
const STEP_MS = 20;

/**
 * Move `clock` by `ms` in steps; after each, wait until `sleepers` timers are pending again (every attempt due on
 * the way has finished and its elector sleeps), then call `each`.
 */
async function advanceInSteps(clock: ManualClock, ms: number, sleepers: number, each: () => void = () => {}) {
  for (let moved = 0; moved < ms; moved += STEP_MS) {
    await clock.advance(STEP_MS);
    await eventually(() => expect(clock.pendingCount).toBe(sleepers), 10_000, 5);
    each();
  }
}

/** When the Lease was last renewed, on its holder's clock, and for how long it holds (whole seconds, as written). */
async function lastRenewal(name: string): Promise<{ at: number; holdsMs: number }> {
  const { spec } = await readLease(name);
  return { at: new Date(spec!.renewTime!).getTime(), holdsMs: spec!.leaseDurationSeconds! * 1000 };
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
    const clock = new ManualClock(Date.now());
    const events: string[] = [];
    const elector = (identity: string) =>
      new LeaderElector({
        client: tc.client(),
        namespace: LEASE_NS,
        name: 'two-electors',
        identity,
        ...TIMING,
        clock,
        logger: testLogger(),
        onStartedLeading: () => events.push(`${identity} started`),
        onStoppedLeading: () => events.push(`${identity} stopped`),
      });
    const a = elector('replica-a');
    const b = elector('replica-b');
    a.start();
    await eventually(() => expect(a.isLeader()).toBe(true));
    await eventually(() => expect(clock.pendingCount).toBe(1));
    b.start();
    await eventually(() => expect(clock.pendingCount).toBe(2));
    // Two lease times: a renews, b waits, and they never both lead.
    await advanceInSteps(clock, 2 * TIMING.leaseDurationMs, 2, () => {
      expect(a.isLeader()).toBe(true);
      expect(b.isLeader()).toBe(false);
    });
    expect((await readLease('two-electors')).spec?.holderIdentity).toBe('replica-a');

    // The leader dies without releasing: its renewals stop.
    await a.stop();
    const renewed = await lastRenewal('two-electors');
    let tookOverAt = 0;
    await advanceInSteps(clock, 2 * TIMING.leaseDurationMs, 1, () => {
      if (!tookOverAt && b.isLeader()) tookOverAt = clock.now();
    });
    // Not before the Lease a last renewed ran out (its duration as written: whole seconds); at the latest, b's
    // first look after it did (b looks every jittered retry period, and may have seen that renewal one such
    // period late).
    expect(tookOverAt).toBeGreaterThanOrEqual(renewed.at + renewed.holdsMs);
    expect(tookOverAt).toBeLessThanOrEqual(
      renewed.at + renewed.holdsMs + 2 * TIMING.retryPeriodMs * 1.2 + STEP_MS,
    );
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
      const clock = new ManualClock(Date.now());
      let stoppedAt = 0;
      const a = new LeaderElector({
        client: new ClusterClient(proxy.kubeConfig),
        namespace: LEASE_NS,
        name: 'renew-deadline',
        identity: 'partitioned',
        ...TIMING,
        clock,
        logger: testLogger(),
        onStoppedLeading: () => {
          stoppedAt = clock.now();
        },
      });
      a.start();
      await eventually(() => expect(a.isLeader()).toBe(true));
      await eventually(() => expect(clock.pendingCount).toBe(1));
      await advanceInSteps(clock, TIMING.leaseDurationMs, 1);
      proxy.cutOff = true;
      const renewed = await lastRenewal('renew-deadline');
      await advanceInSteps(clock, TIMING.leaseDurationMs, 1);
      // It kept trying until its renew deadline, and stopped believing it leads before anyone else may take the Lease.
      expect(stoppedAt).toBeGreaterThanOrEqual(renewed.at + TIMING.renewDeadlineMs);
      expect(stoppedAt).toBeLessThanOrEqual(renewed.at + TIMING.renewDeadlineMs + STEP_MS);
      expect(stoppedAt).toBeLessThan(renewed.at + renewed.holdsMs);
      expect(a.isLeader()).toBe(false);
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
    clock?: ManualClock,
  ) {
    const m = new Manager({
      client,
      namespace: ns,
      ...(clock ? { clock } : {}),
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
    proxy.cutOff = true;
    await eventually(() => expect(b.isLeader()).toBe(true), 5_000, 20);
    clearInterval(sampler);
    // How soon b took over is the electors' test above, on their clock; here, that they never overlapped.
    expect(bothLed).toBe(false);
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
    let started = false;
    let holderAtEndOfWork: string | undefined | null;
    let abortedDuringWork: boolean | undefined;
    const controller = toyUseCaseController({
      onReconcile: async (_obj, signal) => {
        started = true;
        await new Promise((r) => setTimeout(r, 800));
        abortedDuringWork = signal.aborted;
        holderAtEndOfWork = (await readLease('shutdown')).spec?.holderIdentity;
      },
    });
    const m = manager(tc.client(), ns, 'graceful', 'shutdown', controller as unknown as Controller, 5_000);
    const removeHandlers = m.stopOnSignals(['SIGTERM']);
    await m.start();
    await eventually(() => expect(started).toBe(true));
    process.emit('SIGTERM', 'SIGTERM');
    await m.stop();
    removeHandlers();
    // The reconcile in flight ran to its end within the grace period (it was not aborted), wrote its status
    // while the Lease was still held...
    expect(abortedDuringWork).toBe(false);
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
    // The grace period runs on the manager's clock, which the test moves.
    const clock = new ManualClock(Date.now());
    const m = manager(
      tc.client(),
      ns,
      'deadline',
      'shutdown-deadline',
      controller as unknown as Controller,
      500,
      clock,
    );
    await m.start();
    await eventually(() => expect(started).toBe(true));
    let stopped = false;
    const stopping = m.stop().then(() => {
      stopped = true;
    });
    // Not a millisecond before the grace period is over ...
    await clock.advance(499);
    expect(aborted).toBe(false);
    expect(stopped).toBe(false);
    expect((await readLease('shutdown-deadline')).spec?.holderIdentity).toBe('deadline');
    // ... then the work is aborted, and only after that is the Lease released.
    await clock.advance(1);
    await eventually(() => expect(aborted).toBe(true));
    await stopping;
    expect((await readLease('shutdown-deadline')).spec?.holderIdentity).toBeFalsy();
  });
});
