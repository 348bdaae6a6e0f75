// kubectl verbs that wait on or follow changes another client makes: wait, get -w, delete with a
// finalizer, and describe showing conditions and Events written through the API.
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FIXTURES, type Harness, startHarness, tableRows } from './harness.js';

let h: Harness;
let objects: CustomObjectsApi;
const ref = { group: 'vigil.dev', version: 'v1alpha1', namespace: 'default', plural: 'usecases' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  h = await startHarness();
  await h.ok(['apply', '-f', join(FIXTURES, 'crds')]);
  await h.ok(['wait', '--for', 'condition=established', 'crd/usecases.vigil.dev', '--timeout=10s']);
  await h.ok(['apply', '-f', join(FIXTURES, 'objects')]);
  objects = h.kubeConfig().makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await h?.stop();
});

function readyStatus(status: 'True' | 'False', reason: string, message: string) {
  return {
    status: {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status,
          reason,
          message,
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    },
  };
}

function collect(child: ReturnType<Harness['spawnKubectl']>): {
  out: () => string;
  done: Promise<number | null>;
} {
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { out: () => out, done: new Promise((r) => child.on('close', r)) };
}

describe('kubectl following changes made by other clients', () => {
  it('waits for condition=Ready while another client patches status', async () => {
    const waiter = collect(
      h.spawnKubectl(['wait', '--for=condition=Ready', 'uc/denials-triage', '--timeout=15s']),
    );
    await new Promise((r) => setTimeout(r, 700));
    await objects.patchNamespacedCustomObjectStatus(
      { ...ref, name: 'denials-triage', body: readyStatus('True', 'Reconciled', 'all gates pass') },
      merge,
    );
    expect(await waiter.done).toBe(0);
    expect(waiter.out().trim()).toBe('usecase.vigil.dev/denials-triage condition met');
  });

  it('get -w prints the row again when another client updates status', async () => {
    const child = h.spawnKubectl(['get', 'uc', 'readmission-risk', '-w']);
    const watcher = collect(child);
    await eventually(() => expect(watcher.out()).toContain('readmission-risk'));
    await objects.patchNamespacedCustomObjectStatus(
      {
        ...ref,
        name: 'readmission-risk',
        body: readyStatus('False', 'GateFailed', 'calibration below threshold'),
      },
      merge,
    );
    await eventually(() => expect(tableRows(watcher.out()).length).toBeGreaterThanOrEqual(3));
    const rows = tableRows(watcher.out());
    expect(rows[0]).toEqual(['NAME', 'RISK', 'READY', 'AGE']);
    expect(rows[1]?.slice(0, 2)).toEqual(['readmission-risk', 'clinical-decision-support']);
    expect(rows[2]?.slice(0, 3)).toEqual(['readmission-risk', 'clinical-decision-support', 'False']);
    child.kill('SIGTERM');
    await watcher.done;
  });

  it('writes to the main resource leave status alone, writes to /status change only status', async () => {
    await objects.patchNamespacedCustomObject(
      { ...ref, name: 'denials-triage', body: { spec: { replicas: 2 }, status: { conditions: [] } } },
      merge,
    );
    await objects.patchNamespacedCustomObjectStatus(
      { ...ref, name: 'denials-triage', body: { spec: { replicas: 9 } } },
      merge,
    );
    const out = await h.ok([
      'get',
      'uc',
      'denials-triage',
      '-o',
      'jsonpath={.spec.replicas} {.status.conditions[0].status}',
    ]);
    expect(out).toBe('2 True');
  });

  it('describe shows conditions and the Events recorded for the object', async () => {
    const uc = (await objects.getNamespacedCustomObject({ ...ref, name: 'denials-triage' })) as {
      metadata: { uid: string };
    };
    const regarding = {
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'UseCase',
      name: 'denials-triage',
      namespace: 'default',
      uid: uc.metadata.uid,
    };
    await h
      .kubeConfig()
      .makeApiClient(EventsV1Api)
      .createNamespacedEvent({
        namespace: 'default',
        body: {
          metadata: { generateName: 'denials-triage.' },
          eventTime: new Date().toISOString() as unknown as Date,
          reportingController: 'vigil.dev/controller',
          reportingInstance: 'vigil-0',
          action: 'Promote',
          reason: 'PromotionOpened',
          note: 'opened pull request #42 to promote 1.4.0 to pilot',
          type: 'Normal',
          regarding,
        },
      });
    await h
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedEvent({
        namespace: 'default',
        body: {
          metadata: { name: 'denials-triage.drift' },
          involvedObject: regarding,
          reason: 'SurveillanceBreach',
          message: 'PSI 0.31 above tier 2 threshold',
          type: 'Warning',
          source: { component: 'vigil-controller' },
          firstTimestamp: new Date(),
          lastTimestamp: new Date(),
          count: 1,
        },
      });
    const out = await h.ok(['describe', 'uc', 'denials-triage']);
    expect(out).toMatch(
      /Conditions:[\s\S]*Message:\s+all gates pass[\s\S]*Reason:\s+Reconciled[\s\S]*Type:\s+Ready/,
    );
    const events = out.slice(out.indexOf('Events:'));
    expect(events).toMatch(/Type\s+Reason\s+Age\s+From\s+Message/);
    expect(events).toMatch(
      /Normal\s+PromotionOpened\s+\S+\s+vigil\.dev\/controller\s+opened pull request #42 to promote 1\.4\.0 to pilot/,
    );
    expect(events).toMatch(
      /Warning\s+SurveillanceBreach\s+\S+\s+vigil-controller\s+PSI 0\.31 above tier 2 threshold/,
    );
    const listed = tableRows(await h.ok(['get', 'events', '--field-selector', 'reason=SurveillanceBreach']));
    expect(listed[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(listed[1]?.slice(1)).toEqual([
      'Warning',
      'SurveillanceBreach',
      'usecase/denials-triage',
      'PSI 0.31 above tier 2 threshold',
    ]);
  });

  it('delete waits on a finalizer until another client removes it', async () => {
    await objects.patchNamespacedCustomObject(
      {
        ...ref,
        name: 'readmission-risk',
        body: { metadata: { finalizers: ['vigil.dev/promotion-cleanup'] } },
      },
      merge,
    );
    const deleter = collect(h.spawnKubectl(['delete', 'uc', 'readmission-risk', '--timeout=15s']));
    const pending = await eventually(async () => {
      const o = (await objects.getNamespacedCustomObject({ ...ref, name: 'readmission-risk' })) as {
        metadata: { deletionTimestamp?: string };
      };
      expect(o.metadata.deletionTimestamp).toBeDefined();
      return o;
    });
    expect(pending.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await h.ok(['get', 'uc', 'readmission-risk', '-o', 'name'])).trim()).toBe(
      'usecase.vigil.dev/readmission-risk',
    );
    let exited = false;
    void deleter.done.then(() => {
      exited = true;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(exited).toBe(false);
    await objects.patchNamespacedCustomObject(
      { ...ref, name: 'readmission-risk', body: { metadata: { finalizers: null } } },
      merge,
    );
    expect(await deleter.done).toBe(0);
    expect(deleter.out()).toContain('usecase.vigil.dev "readmission-risk" deleted');
    expect((await h.kubectl(['get', 'uc', 'readmission-risk'])).stderr).toContain(
      'usecases.vigil.dev "readmission-risk" not found',
    );
  });
});
