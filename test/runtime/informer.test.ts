// Watch recovery (CHECKLISTS reliability 5): 410 Gone relists; any other failure restarts with backoff.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../controller/src/runtime/clock.js';
import { ClusterClient } from '../../controller/src/runtime/cluster-client.js';
import { ResilientInformer } from '../../controller/src/runtime/informer.js';
import {
  createNamespace,
  createUseCase,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
  USECASE,
} from './cluster-fixture.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

let tc: TestCluster;
let proxy: FaultProxy;
const NS = 'informer-tests';

beforeAll(async () => {
  tc = await startTestCluster();
  proxy = await startFaultProxy(tc.cluster.url);
  await createNamespace(tc.client(), NS);
});
afterAll(async () => {
  await proxy?.close();
  await tc?.stop();
});

describe('ResilientInformer', () => {
  it('syncs, then follows adds, updates and deletes', async () => {
    const client = tc.client();
    await createUseCase(client, NS, 'before-start', 'Before');
    const informer = new ResilientInformer({
      client,
      resource: USECASE,
      namespace: NS,
      logger: testLogger(),
    });
    const seen: string[] = [];
    informer.on({
      add: (o) => seen.push(`add ${o.metadata.name}`),
      update: (o) => seen.push(`update ${o.metadata.name}`),
      delete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.get(NS, 'before-start')?.metadata.name).toBe('before-start');
    await createUseCase(client, NS, 'after-start', 'After');
    await client.customObjects.deleteNamespacedCustomObject({
      ...USECASE,
      namespace: NS,
      name: 'before-start',
    });
    await eventually(() => {
      expect(informer.list(NS).map((o) => o.metadata.name)).toEqual(['after-start']);
    });
    expect(seen).toEqual(['add before-start', 'add after-start', 'delete before-start']);
    await informer.stop();
    await client.customObjects.deleteNamespacedCustomObject({
      ...USECASE,
      namespace: NS,
      name: 'after-start',
    });
  });

  it('relists on 410 Gone and misses nothing that changed meanwhile', async () => {
    const client = tc.client();
    const informer = new ResilientInformer({
      client,
      resource: USECASE,
      namespace: NS,
      logger: testLogger(),
    });
    informer.start();
    await informer.waitForSync();
    const listsBefore = informer.stats.lists;
    tc.cluster.expireWatches();
    await createUseCase(client, NS, 'during-expiry', 'During');
    await eventually(() => {
      expect(informer.get(NS, 'during-expiry')).toBeDefined();
      expect(informer.stats.expired).toBeGreaterThanOrEqual(1);
      expect(informer.stats.lists).toBeGreaterThan(listsBefore);
    });
    // Relisting is not a failure: no backoff was taken.
    expect(informer.stats.failures).toBe(0);
    await informer.stop();
  });

  it('restarts a dropped or failing watch with growing backoff, then recovers', async () => {
    const client = new ClusterClient(proxy.kubeConfig, { rate: { qps: 500, burst: 500 } });
    // The informer's time moves only when the test moves it: each restart is due at a known instant.
    const clock = new ManualClock(Date.now());
    const informer = new ResilientInformer({
      client,
      resource: USECASE,
      namespace: NS,
      backoff: { initialMs: 100, maxMs: 800 },
      logger: testLogger(),
      clock,
    });
    informer.start();
    await informer.waitForSync();
    proxy.failWatches = true;
    const attempts = () => proxy.watchAttempts.length;
    proxy.dropWatches();
    // Each wait doubles from 100 ms up to the 800 ms cap: no restart a millisecond early, one when it is due.
    for (const delay of [100, 200, 400, 800, 800]) {
      await eventually(() => expect(clock.pendingCount).toBe(1), 10_000, 10);
      const tried = attempts();
      await clock.advance(delay - 1);
      expect(attempts()).toBe(tried);
      expect(clock.pendingCount).toBe(1);
      await clock.advance(1);
      await eventually(() => expect(attempts()).toBe(tried + 1), 10_000, 10);
    }
    expect(informer.stats.failures).toBeGreaterThanOrEqual(4);
    // Something changes while the watch is down; after recovery the cache has it.
    await createUseCase(tc.client(), NS, 'while-down', 'While down');
    proxy.failWatches = false;
    await eventually(async () => {
      // The restart after this one is due on the informer's clock.
      await clock.advance(800);
      expect(informer.get(NS, 'while-down')).toBeDefined();
    }, 10_000);
    await informer.stop();
  });
});
