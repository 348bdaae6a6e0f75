// Objects that reach the cluster without the admission webhook (none installed, or set to Ignore) are still
// guarded: every controller Vigil runs refuses to act on one that holds a value that looks like PHI. Its Ready
// turns False with reason PHIDetected, one Warning Event says which field, neither says the value, and nothing
// else is written for it; once the value is removed it is reconciled as usual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerControllers } from '../../controller/src/reconcilers.js';
import { Manager } from '../../controller/src/runtime/index.js';
import { example } from '../promotion/express-train.js';
import {
  createNamespace,
  createUseCase,
  eventually,
  getUseCase,
  startTestCluster,
  type TestCluster,
  testLogger,
  USECASE,
} from './cluster-fixture.js';

const NS = 'phi-guard';
const PHI = 'Reviewed with MRN: 00123456 during the pilot';

let cluster: TestCluster;
let manager: Manager;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const readyOf = (o: { status?: { conditions?: Condition[] } }) =>
  o.status?.conditions?.find((c) => c.type === 'Ready');

async function eventsAbout(name: string) {
  const list = await cluster.client().core.listNamespacedEvent({
    namespace: NS,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items;
}

beforeAll(async () => {
  cluster = await startTestCluster();
  await createNamespace(cluster.client(), NS);
  await createUseCase(cluster.client(), NS, 'with-phi', 'Readmission risk', { knownLimitations: [PHI] });
  await createUseCase(cluster.client(), NS, 'clean', 'Readmission risk');
  const policy = example('revenue-cycle/governance-signoff.yaml');
  await cluster.client().customObjects.createNamespacedCustomObject({
    group: 'vigil.dev',
    version: 'v1alpha1',
    plural: 'signoffpolicies',
    namespace: NS,
    body: {
      ...policy,
      metadata: { name: 'with-phi-note', namespace: NS, annotations: { note: 'escalated for 123-45-6789' } },
    },
  });
  manager = new Manager({
    client: cluster.client(),
    leaderElection: false,
    probes: false,
    logger: testLogger(),
  });
  registerControllers(manager);
  await manager.start();
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  await cluster?.stop();
});

describe('an object holding PHI that reached the cluster without the webhook', () => {
  it('is not acted on: Ready=False PHIDetected naming the field, and nothing else in its status', async () => {
    const uc = await eventually(async () => {
      const o = await getUseCase(cluster.client(), NS, 'with-phi');
      expect(readyOf(o)?.reason).toBe('PHIDetected');
      return o;
    }, 30_000);
    expect(readyOf(uc)).toMatchObject({
      status: 'False',
      message:
        'holds a value that looks like PHI at spec.knownLimitations[0] (a medical record number); Vigil does not act on this object until it is removed',
    });
    expect(JSON.stringify(uc.status)).not.toContain('00123456');
    const types = (uc.status as { conditions: Condition[] }).conditions.map((c) => c.type).sort();
    expect(types).toEqual(['Ready', 'Stalled']);
    expect(
      Object.keys(uc.status ?? {}).filter((k) => k !== 'conditions' && k !== 'observedGeneration'),
    ).toEqual([]);
    // The clean one beside it is reconciled as usual.
    const clean = await eventually(async () => {
      const o = await getUseCase(cluster.client(), NS, 'clean');
      expect(readyOf(o)).toBeDefined();
      return o;
    }, 30_000);
    expect(readyOf(clean)?.reason).not.toBe('PHIDetected');
  });

  it('tells it in one Warning Event, without the value', async () => {
    const events = await eventually(async () => {
      const found = (await eventsAbout('with-phi')).filter((e) => e.reason === 'PHIDetected');
      expect(found).toHaveLength(1);
      return found;
    }, 30_000);
    expect(events[0]).toMatchObject({ type: 'Warning', count: 1 });
    expect(events[0]?.message).toContain('spec.knownLimitations[0]');
    expect(events[0]?.message).not.toContain('00123456');
  });

  it('guards every kind: a SignoffPolicy with PHI in an annotation', async () => {
    const policy = await eventually(async () => {
      const o = (await cluster.client().customObjects.getNamespacedCustomObject({
        group: 'vigil.dev',
        version: 'v1alpha1',
        plural: 'signoffpolicies',
        namespace: NS,
        name: 'with-phi-note',
      })) as { status?: { conditions?: Condition[] } };
      expect(readyOf(o)?.reason).toBe('PHIDetected');
      return o;
    }, 30_000);
    expect(readyOf(policy)?.message).toContain('metadata.annotations.note (a US Social Security number)');
    expect(JSON.stringify(policy.status)).not.toContain('6789');
  });

  it('is reconciled as usual once the value is removed', async () => {
    await cluster.client().customObjects.patchNamespacedCustomObject({
      ...USECASE,
      namespace: NS,
      name: 'with-phi',
      body: [{ op: 'replace', path: '/spec/knownLimitations', value: ['Not validated for pediatrics'] }],
    });
    await eventually(async () => {
      const o = await getUseCase(cluster.client(), NS, 'with-phi');
      expect(readyOf(o)?.reason).not.toBe('PHIDetected');
    }, 30_000);
    // Still the one Event about the PHI.
    const events = (await eventsAbout('with-phi')).filter((e) => e.reason === 'PHIDetected');
    expect(events).toHaveLength(1);
  });
});
