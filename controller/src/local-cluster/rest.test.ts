import { describe, expect, it } from 'vitest';
import { configMapType, crdType } from './builtins.js';
import { ClusterState } from './cluster.js';
import { ApiError } from './errors.js';
import type { KubeObject, ResourceType } from './resources.js';

function crd(extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.dev' },
    spec: {
      group: 'example.dev',
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer' } }, ...extra },
                status: { type: 'object', properties: { phase: { type: 'string' } } },
              },
            },
          },
        },
      ],
    },
  } as KubeObject;
}

function setup(): { state: ClusterState; widgets: ResourceType } {
  const state = new ClusterState();
  state.rest.create(crdType, undefined, crd(), {});
  return { state, widgets: state.catalogue.get('example.dev', 'v1', 'widgets')! };
}

function widget(name: string, size = 1, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'example.dev/v1',
    kind: 'Widget',
    metadata: { name, ...extra },
    spec: { size },
  } as KubeObject;
}

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('REST semantics', () => {
  it('serves a CRD at once and reports it Established and NamesAccepted', () => {
    const { state } = setup();
    const stored = state.rest.view(crdType, state.rest.get(crdType, '', 'widgets.example.dev'));
    const conditions = (stored as { status: { conditions: Array<{ type: string; status: string }> } }).status
      .conditions;
    expect(conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      'NamesAccepted=True',
      'Established=True',
    ]);
    state.stop();
  });

  it('refuses a CRD that uses x-kubernetes-validations, naming where', () => {
    const state = new ClusterState();
    const err = thrown(() =>
      state.rest.create(
        crdType,
        undefined,
        crd({ 'x-kubernetes-validations': [{ rule: 'self.size > 0' }] }),
        {},
      ),
    );
    expect(err.code).toBe(422);
    expect(err.message).toContain(
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations: Forbidden',
    );
    state.stop();
  });

  it('raises generation on spec changes, ignores status on main writes and everything else on status writes', () => {
    const { state, widgets } = setup();
    state.rest.create(widgets, 'default', widget('w'), {});
    const patched = state.rest.patch(
      widgets,
      'default',
      'w',
      'application/merge-patch+json',
      '{"spec":{"size":2},"status":{"phase":"Set"}}',
      {},
    );
    expect(patched.object.metadata?.generation).toBe(2);
    expect((patched.object as { status?: unknown }).status).toBeUndefined();
    const status = state.rest.patch(
      widgets,
      'default',
      'w',
      'application/merge-patch+json',
      '{"spec":{"size":9},"status":{"phase":"Ready"}}',
      {
        subresource: 'status',
      },
    );
    expect(status.object).toMatchObject({
      spec: { size: 2 },
      status: { phase: 'Ready' },
      metadata: { generation: 2 },
    });
    state.stop();
  });

  it('writes nothing for an update that changes nothing', () => {
    const { state, widgets } = setup();
    const created = state.rest.create(widgets, 'default', widget('w'), {});
    const again = state.rest.patch(
      widgets,
      'default',
      'w',
      'application/merge-patch+json',
      '{"spec":{"size":1}}',
      {},
    );
    expect(again.object.metadata?.resourceVersion).toBe(created.object.metadata?.resourceVersion);
    state.stop();
  });

  it('holds a deletion while finalizers remain and completes it when they are removed', () => {
    const { state, widgets } = setup();
    state.rest.create(widgets, 'default', widget('w', 1, { finalizers: ['example.dev/x'] }), {});
    const pending = state.rest.delete(widgets, 'default', 'w', {});
    expect(pending.removed).toBe(false);
    expect(pending.object.metadata?.deletionTimestamp).toBeDefined();
    state.rest.patch(
      widgets,
      'default',
      'w',
      'application/merge-patch+json',
      '{"metadata":{"finalizers":null}}',
      {},
    );
    expect(thrown(() => state.rest.get(widgets, 'default', 'w')).code).toBe(404);
    state.stop();
  });

  it('dry runs validate and answer without storing', () => {
    const { state, widgets } = setup();
    const result = state.rest.create(widgets, 'default', widget('dry'), { dryRun: true });
    expect(result.object.metadata?.uid).toBeDefined();
    expect(thrown(() => state.rest.get(widgets, 'default', 'dry')).code).toBe(404);
    state.stop();
  });

  it('deletes dependents in the foreground before their owner', async () => {
    const { state, widgets } = setup();
    const owner = state.rest.create(widgets, 'default', widget('owner'), {}).object;
    const ref = {
      apiVersion: 'example.dev/v1',
      kind: 'Widget',
      name: 'owner',
      uid: owner.metadata?.uid ?? '',
    };
    state.rest.create(configMapType, 'default', { metadata: { name: 'dep', ownerReferences: [ref] } }, {});
    const pending = state.rest.delete(widgets, 'default', 'owner', { propagationPolicy: 'Foreground' });
    expect(pending.object.metadata?.finalizers).toEqual(['foregroundDeletion']);
    await state.gc.settle();
    expect(thrown(() => state.rest.get(configMapType, 'default', 'dep')).code).toBe(404);
    expect(thrown(() => state.rest.get(widgets, 'default', 'owner')).code).toBe(404);
    state.stop();
  });

  it('removing a CRD removes its objects and stops serving it', () => {
    const { state, widgets } = setup();
    state.rest.create(widgets, 'default', widget('w'), {});
    state.rest.delete(crdType, undefined, 'widgets.example.dev', {});
    expect(state.catalogue.get('example.dev', 'v1', 'widgets')).toBeUndefined();
    expect(state.store.count(widgets.storageKey)).toBe(0);
    state.stop();
  });
});
