// What the Manager does around the reconcile: a change to one kind reconciles the objects of another that
// depend on it; Events are recorded and repeats counted; the client holds to its request rate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CoreV1Event, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ManualClock } from '../../controller/src/runtime/clock.js';
import type { ClusterClient } from '../../controller/src/runtime/cluster-client.js';
import { type Controller, defineController } from '../../controller/src/runtime/controller.js';
import { EventRecorder } from '../../controller/src/runtime/events.js';
import { type KubeObject, objectKey } from '../../controller/src/runtime/informer.js';
import { Manager } from '../../controller/src/runtime/manager.js';
import {
  createNamespace,
  createUseCase,
  DATACONTRACT,
  eventually,
  getUseCase,
  readyOf,
  startTestCluster,
  type TestCluster,
  testLogger,
  USECASE,
  type UseCaseView,
} from './cluster-fixture.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => tc?.stop());

function exampleContract(namespace: string): KubeObject {
  const docs = parseAllDocuments(
    readFileSync(join(import.meta.dirname, '../../examples/revenue-cycle/claims-remittance.yaml'), 'utf8'),
  );
  const contract = docs.map((d) => d.toJS()).find((d) => d?.kind === 'DataContract');
  return { ...contract, metadata: { name: contract.metadata.name, namespace } };
}

async function events(client: ClusterClient, namespace: string): Promise<CoreV1Event[]> {
  return (await client.core.listNamespacedEvent({ namespace })).items;
}

describe('dependent watches', () => {
  it('a DataContract change reconciles the UseCases that reference it', async () => {
    const ns = 'dependents';
    const setup = tc.client();
    await createNamespace(setup, ns);
    const contract = exampleContract(ns);
    await setup.customObjects.createNamespacedCustomObject({
      ...DATACONTRACT,
      namespace: ns,
      body: contract,
    });
    // denials-triage consumes claims-remittance; the other consumes nothing.
    await createUseCase(setup, ns, 'consumer', 'consumer');
    await createUseCase(setup, ns, 'bystander', 'bystander', { dataContracts: [] });
    const passes: string[] = [];
    const controller = defineController<UseCaseView>({
      kind: USECASE,
      watches: [
        {
          kind: DATACONTRACT,
          map: (contract, cache) =>
            cache
              .list(USECASE, contract.metadata.namespace)
              .filter((uc) =>
                ((uc.spec as { dataContracts?: Array<{ name: string }> }).dataContracts ?? []).some(
                  (c) => c.name === contract.metadata.name,
                ),
              )
              .map((uc) => objectKey(uc.metadata.namespace, uc.metadata.name)),
        },
      ],
      async reconcile(ctx, obj) {
        passes.push(obj.metadata.name);
        const refs = (obj.spec as { dataContracts?: Array<{ name: string }> }).dataContracts ?? [];
        const versions = refs.map(
          (r) =>
            (
              ctx.cache.get(DATACONTRACT, obj.metadata.namespace, r.name)?.spec as
                | { version?: string }
                | undefined
            )?.version,
        );
        return {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'ContractsRead',
                message: `contracts: ${versions.join(',') || 'none'}`,
              },
            ],
          },
        };
      },
    });
    const manager = new Manager({
      client: tc.client(),
      namespace: ns,
      leaderElection: false,
      logger: testLogger(),
    });
    manager.register(controller as unknown as Controller);
    await manager.start();
    const version = (contract.spec as { version: string }).version;
    await eventually(async () =>
      expect(readyOf(await getUseCase(setup, ns, 'consumer'))?.message).toBe(`contracts: ${version}`),
    );
    await eventually(() => expect(manager.isIdle()).toBe(true));
    passes.length = 0;
    await setup.customObjects.patchNamespacedCustomObject(
      { ...DATACONTRACT, namespace: ns, name: contract.metadata.name, body: { spec: { version: '9.9.9' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(async () =>
      expect(readyOf(await getUseCase(setup, ns, 'consumer'))?.message).toBe('contracts: 9.9.9'),
    );
    expect(passes).toEqual(['consumer']);
    await manager.stop();
  });
});

describe('EventRecorder', () => {
  it('records an Event with its source and counts a repeat on the same Event', async () => {
    const ns = 'events';
    const client = tc.client();
    await createNamespace(client, ns);
    const uc = await createUseCase(client, ns, 'uc', 'events');
    const recorder = new EventRecorder({ client, logger: testLogger() });
    await recorder.record(uc, { type: 'Warning', reason: 'GateFailed', message: 'soak time not met' });
    await recorder.record(uc, { type: 'Warning', reason: 'GateFailed', message: 'soak time not met' });
    await recorder.record(uc, { type: 'Normal', reason: 'PromotionOpened', message: 'pull request opened' });
    const list = await events(client, ns);
    expect(list).toHaveLength(2);
    const gate = list.find((e) => e.reason === 'GateFailed')!;
    expect(gate).toMatchObject({
      type: 'Warning',
      count: 2,
      message: 'soak time not met',
      source: { component: 'vigil-controller' },
      involvedObject: { kind: 'UseCase', name: 'uc', namespace: ns, uid: uc.metadata.uid },
    });
    expect(client.writes.count('events', 'create')).toBe(2);
    expect(client.writes.count('events', 'patch')).toBe(1);
  });

  it('drops events over its rate instead of flooding the cluster', async () => {
    const ns = 'event-rate';
    const client = tc.client();
    await createNamespace(client, ns);
    const uc = await createUseCase(client, ns, 'uc', 'rate');
    const recorder = new EventRecorder({ client, rate: { qps: 0.001, burst: 3 }, logger: testLogger() });
    for (let i = 0; i < 10; i++)
      await recorder.record(uc, { type: 'Normal', reason: 'Tick', message: `tick ${i}` });
    expect(await events(client, ns)).toHaveLength(3);
  });
});

describe('client rate limit', () => {
  it('spaces requests to the configured QPS after the burst', async () => {
    // The client's time moves only when the test moves it: each request's token is due at a known instant.
    const clock = new ManualClock(Date.now());
    const client = tc.client({ rate: { qps: 10, burst: 2 }, clock });
    let answered = 0;
    const all = Promise.all(
      Array.from({ length: 7 }, () => client.core.listNamespace().then(() => void answered++)),
    );
    // Two from the burst at once ...
    await eventually(() => expect(answered).toBe(2));
    // ... then one every 100 ms: none a millisecond early, each once its token is due.
    for (let n = 3; n <= 7; n++) {
      await clock.advance(99);
      expect(answered).toBe(n - 1);
      await clock.advance(1);
      await eventually(() => expect(answered).toBe(n));
    }
    await all;
  });
});
