// One thing that happened is one Event. A controller tells its own Events (a promotion's "Merged"), and the
// runtime tells one more whenever Ready changes; when Ready changes to the very reason the controller just
// told, that second Event repeated the first (kubectl describe promo showed "Merged" twice, or x2).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type ClusterClient, WriteCounter } from '../controller/src/runtime/cluster-client.js';
import { defineController, ReconcileDriver } from '../controller/src/runtime/controller.js';
import type { EventRecorder, EventSpec } from '../controller/src/runtime/events.js';
import type { KubeObject } from '../controller/src/runtime/informer.js';

const KIND = { group: 'vigil.dev', version: 'v1alpha1', plural: 'promotions', kind: 'Promotion' };

/** One pass over a Promotion whose Ready was `before` and becomes `ready`, telling `events`; the Events recorded. */
async function eventsOfPass(
  ready: { reason: string; message: string },
  events: EventSpec[],
  before = { reason: 'AwaitingSignoff', message: 'pull request #1 awaits sign-off: 3/4 roles signed off' },
): Promise<EventSpec[]> {
  const obj = {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'Promotion',
    metadata: { name: 'p', namespace: 'ns', resourceVersion: '1', generation: 1 },
    status: {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-03-01T09:00:00Z', ...before }],
    },
  } as unknown as KubeObject;
  const client = {
    writes: new WriteCounter(),
    customObjects: {
      async patchNamespacedCustomObjectStatus(req: { body: { status: Record<string, unknown> } }) {
        return { ...obj, metadata: { ...obj.metadata, resourceVersion: '2' }, status: req.body.status };
      },
    },
  };
  const recorded: EventSpec[] = [];
  const recorder = { record: async (_: KubeObject, e: EventSpec) => void recorded.push(e) };
  const controller = defineController({
    kind: KIND,
    async reconcile() {
      return { status: { conditions: [{ type: 'Ready', status: 'True', ...ready }] }, events };
    },
  });
  const driver = new ReconcileDriver(controller, {
    client: client as unknown as ClusterClient,
    cache: { get: () => obj, list: () => [obj] },
    events: recorder as unknown as EventRecorder,
    clock: { now: () => Date.UTC(2026, 2, 1, 10), schedule: () => ({ cancel() {} }) },
    logger: pino({ level: 'silent' }),
    isLeader: () => true,
  });
  await driver.reconcile('ns', 'p', new AbortController().signal);
  return recorded;
}

describe('Events', () => {
  it('a merge is told once, not again as the Ready change it caused', async () => {
    const recorded = await eventsOfPass(
      { reason: 'Merged', message: 'pull request #1 merged: pilot-department runs 1.0.0' },
      [{ type: 'Normal', reason: 'Merged', message: 'pull request #1 merged: pilot-department runs 1.0.0' }],
    );
    expect(recorded.map((e) => e.reason)).toEqual(['Merged']);
  });

  it('a sign-off is told once, even where the Ready message words it differently', async () => {
    const recorded = await eventsOfPass(
      {
        reason: 'SignedOff',
        message: 'pull request #1 is signed off (4/4 roles signed off); it merges when a person merges it',
      },
      [
        {
          type: 'Normal',
          reason: 'SignedOff',
          message: 'pull request #1 signed off by every required role (4/4 roles signed off)',
        },
      ],
    );
    expect(recorded).toEqual([
      {
        type: 'Normal',
        reason: 'SignedOff',
        message: 'pull request #1 signed off by every required role (4/4 roles signed off)',
      },
    ]);
  });

  it('a Ready change the controller did not tell is still told', async () => {
    const recorded = await eventsOfPass(
      { reason: 'SignedOff', message: 'pull request #1 is signed off (4/4 roles signed off)' },
      [
        {
          type: 'Warning',
          reason: 'HandMadeChange',
          message: 'pull request #1 carries changes Vigil did not make',
        },
      ],
    );
    expect(recorded.map((e) => e.reason)).toEqual(['HandMadeChange', 'SignedOff']);
  });
});
