import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type ClusterClient, WriteCounter } from './cluster-client.js';
import { setCondition } from './conditions.js';
import { defineController, desiredStatus, ReconcileDriver, updateNeedsReconcile } from './controller.js';
import { StalledError } from './errors.js';
import type { KubeObject } from './informer.js';
import { type JsonObject, mergePatchBetween } from './status-diff.js';

const NOW = Date.UTC(2026, 2, 1, 9, 0, 0);
const LATER = NOW + 3_600_000;
const KIND = { group: 'vigil.dev', version: 'v1alpha1', plural: 'usecases', kind: 'UseCase' };

describe('desiredStatus', () => {
  const ready = { type: 'Ready', status: 'True' as const, reason: 'GatesMet', message: 'all gates met' };

  it('a pass that finds what is there produces the same status: nothing to write', () => {
    const first = desiredStatus(
      undefined,
      { conditions: [ready], stage: 'pilot' },
      { kind: 'succeeded' },
      4,
      NOW,
    ).status;
    const again = desiredStatus(
      first,
      { conditions: [ready], stage: 'pilot' },
      { kind: 'succeeded' },
      4,
      LATER,
    ).status;
    expect(mergePatchBetween(first, again)).toEqual({});
    expect(first).toMatchObject({ observedGeneration: 4, stage: 'pilot' });
  });

  it('keeps fields and conditions the controller did not name; null removes a field', () => {
    const current = {
      stage: 'pilot',
      lastRollback: 'x',
      conditions: setCondition(
        [],
        { type: 'Valid', status: 'True', reason: 'Resolved', message: '' },
        3,
        NOW,
      ),
    } as unknown as JsonObject;
    const { status } = desiredStatus(
      current,
      { conditions: [ready], lastRollback: null },
      { kind: 'succeeded' },
      4,
      LATER,
    );
    expect(status.stage).toBe('pilot');
    expect(status.lastRollback).toBeUndefined();
    expect((status.conditions as Array<{ type: string }>).map((c) => c.type)).toEqual(['Valid', 'Ready']);
  });

  it('an error keeps the kind conditions, sets the summary and does not move observedGeneration unless stalled', () => {
    const current = { observedGeneration: 3 } as JsonObject;
    const failed = desiredStatus(current, undefined, { kind: 'failed', error: new Error('x') }, 4, NOW);
    expect(failed.status.observedGeneration).toBe(3);
    expect(failed.disposition).toEqual({ action: 'retry' });
    const stalled = desiredStatus(
      current,
      undefined,
      { kind: 'stalled', error: new StalledError('Bad', 'bad') },
      4,
      NOW,
    );
    expect(stalled.status.observedGeneration).toBe(4);
    expect(stalled.disposition).toEqual({ action: 'forget' });
  });

  it('the controller Ready verdict replaces the default', () => {
    const { status } = desiredStatus(
      undefined,
      { conditions: [{ type: 'Ready', status: 'False', reason: 'GatesNotMet', message: 'soak time' }] },
      { kind: 'succeeded', requeueAfterMs: 1_000 },
      1,
      NOW,
    );
    expect((status.conditions as Array<{ reason: string }>)[0]!.reason).toBe('GatesNotMet');
  });
});

describe('updateNeedsReconcile', () => {
  const obj = (meta: Partial<KubeObject['metadata']>): KubeObject => ({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'UseCase',
    metadata: { name: 'uc', generation: 1, resourceVersion: '1', ...meta },
  });
  it.each([
    ['status only (a new resourceVersion)', {}, { resourceVersion: '2' }, false],
    ['a new generation', {}, { generation: 2 }, true],
    ['deletion requested', {}, { deletionTimestamp: new Date() }, true],
    ['finalizers changed', {}, { finalizers: ['x'] }, true],
    ['labels changed', { labels: { a: '1' } }, { labels: { a: '2' } }, true],
    [
      'annotations reordered',
      { annotations: { a: '1', b: '2' } },
      { annotations: { b: '2', a: '1' } },
      false,
    ],
  ] as const)('%s -> %s', (_, before, after, expected) => {
    expect(updateNeedsReconcile(obj(before as never), obj(after as never))).toBe(expected);
  });
});

describe('defineController', () => {
  it('refuses a finalizer without a finalize step', () => {
    expect(() =>
      defineController({ kind: KIND, finalizer: 'vigil.dev/cleanup', reconcile: async () => ({}) }),
    ).toThrow(/no finalize step/);
  });
  it('names the controller after its resource', () => {
    expect(defineController({ kind: KIND, reconcile: async () => ({}) }).name).toBe('usecases.vigil.dev');
  });
});

describe('ReconcileDriver: a status written before the cache shows it', () => {
  // The cache lags the server: it still holds resourceVersion 1 and the status before the first write.
  function harness() {
    const server = { resourceVersion: 1, status: { verdict: 'hold' } as JsonObject };
    const sent: { resourceVersion?: string; status: JsonObject }[] = [];
    const client = {
      writes: new WriteCounter(),
      customObjects: {
        async patchNamespacedCustomObjectStatus(req: {
          body: { metadata: { resourceVersion?: string }; status: JsonObject };
        }) {
          const precondition = req.body.metadata.resourceVersion;
          sent.push({ resourceVersion: precondition, status: req.body.status });
          if (precondition !== String(server.resourceVersion))
            throw Object.assign(new Error('conflict'), { code: 409 });
          server.resourceVersion++;
          server.status = { ...server.status, ...req.body.status };
          return {
            ...stale,
            metadata: { ...stale.metadata, resourceVersion: String(server.resourceVersion) },
            status: server.status,
          };
        },
      },
    };
    const stale: KubeObject = {
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'UseCase',
      metadata: { name: 'uc', namespace: 'ns', resourceVersion: '1', generation: 1 },
      status: { verdict: 'hold', observedGeneration: 1 },
    } as KubeObject;
    let verdict = 'go';
    const controller = defineController({
      kind: KIND,
      async reconcile() {
        return { status: { verdict } };
      },
    });
    const driver = new ReconcileDriver(controller, {
      client: client as unknown as ClusterClient,
      cache: { get: () => stale, list: () => [stale] },
      clock: { now: () => NOW, schedule: () => ({ cancel() {} }) },
      logger: pino({ level: 'silent' }),
      isLeader: () => true,
    });
    return { server, sent, driver, setVerdict: (v: string) => (verdict = v) };
  }

  it('diffs the next pass against what it wrote, so a decision that returns to the old status is written', async () => {
    const h = harness();
    const signal = new AbortController().signal;
    expect((await h.driver.reconcile('ns', 'uc', signal)).statusWritten).toBe(true);
    expect(h.server.status.verdict).toBe('go');
    // The input changes back before the watch delivers the first write: the cache still says "hold".
    h.setVerdict('hold');
    expect((await h.driver.reconcile('ns', 'uc', signal)).statusWritten).toBe(true);
    expect(h.server.status.verdict).toBe('hold');
    // Sent against the version the first write made, so no 409 either.
    expect(h.sent.map((s) => s.resourceVersion)).toEqual(['1', '2']);
  });

  it('forgets what it wrote once the cache moves past the version it was written over', async () => {
    const h = harness();
    const signal = new AbortController().signal;
    await h.driver.reconcile('ns', 'uc', signal);
    h.driver.observed('ns/uc', '2');
    // The cache (still at 1 in this harness) is taken as it is: the precondition is its version again.
    await h.driver.reconcile('ns', 'uc', signal).catch(() => undefined);
    expect(h.sent.at(-1)?.resourceVersion).toBe('1');
  });
});
