// @kubernetes/client-node against the local cluster: typed and custom-object APIs, informers (including
// recovery from 410 Expired), paging, optimistic concurrency, bookmarks and garbage collection.
import { join } from 'node:path';
import {
  ADD,
  type ApiException,
  CONNECT,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DELETE,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  UPDATE,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FIXTURES, type Harness, startHarness } from './harness.js';

let h: Harness;
let objects: CustomObjectsApi;
const group = 'vigil.dev';
const version = 'v1alpha1';
const plural = 'usecases';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface UseCase extends KubernetesObject {
  spec: { title: string; riskClass: string; replicas?: number };
}

function useCase(name: string, namespace = 'default', extra: Record<string, unknown> = {}): UseCase {
  return {
    apiVersion: `${group}/${version}`,
    kind: 'UseCase',
    metadata: { name, namespace, ...extra },
    spec: { title: name, riskClass: 'operational' },
  };
}

beforeAll(async () => {
  h = await startHarness({ bookmarkIntervalMs: 200 });
  await h.ok(['apply', '-f', join(FIXTURES, 'crds')]);
  await h.ok(['wait', '--for', 'condition=established', 'crd/usecases.vigil.dev', '--timeout=10s']);
  objects = h.kubeConfig().makeApiClient(CustomObjectsApi);
  await h.ok(['create', 'namespace', 'informer']);
  await h.ok(['create', 'namespace', 'paging']);
});

afterAll(async () => {
  await h?.stop();
});

async function failure(p: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as ApiException<string>;
    return { code: err.code, status: JSON.parse(err.body) as Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
}

describe('client-node against the local cluster', () => {
  it('creates, gets and lists custom objects', async () => {
    const created = (await objects.createNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'default',
      body: useCase('sepsis-alert'),
    })) as UseCase;
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec.replicas).toBe(1);
    const got = (await objects.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'default',
      name: 'sepsis-alert',
    })) as UseCase;
    expect(got.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    const list = (await objects.listClusterCustomObject({ group, version, plural })) as {
      kind: string;
      items: UseCase[];
    };
    expect(list.kind).toBe('UseCaseList');
    expect(list.items.map((i) => i.metadata?.name)).toContain('sepsis-alert');
    const again = await failure(
      objects.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'default',
        body: useCase('sepsis-alert'),
      }),
    );
    expect(again.code).toBe(409);
    expect(again.status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      message: 'usecases.vigil.dev "sepsis-alert" already exists',
    });
  });

  it('answers 409 Conflict to a replace carrying a stale resourceVersion', async () => {
    const current = (await objects.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'default',
      name: 'sepsis-alert',
    })) as UseCase;
    await objects.patchNamespacedCustomObject(
      { group, version, plural, namespace: 'default', name: 'sepsis-alert', body: { spec: { replicas: 2 } } },
      merge,
    );
    const stale = await failure(
      objects.replaceNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'default',
        name: 'sepsis-alert',
        body: { ...current, spec: { ...current.spec, replicas: 7 } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    expect(stale.status.message).toContain(
      'the object has been modified; please apply your changes to the latest version and try again',
    );
    const unconditional = await failure(
      objects.replaceNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'default',
        name: 'sepsis-alert',
        body: { ...current, metadata: { ...current.metadata, resourceVersion: undefined } },
      }),
    );
    expect(unconditional.code).toBe(422);
    expect(unconditional.status.message).toContain(
      'metadata.resourceVersion: Invalid value: "0x0": must be specified for an update',
    );
  });

  it('pages a list with limit and continue', async () => {
    for (let i = 0; i < 5; i++) {
      await objects.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'paging',
        body: useCase(`page-${i}`, 'paging'),
      });
    }
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = (await objects.listNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'paging',
        limit: 2,
        _continue: token,
      })) as {
        items: UseCase[];
        metadata: { continue?: string; remainingItemCount?: number };
      };
      names.push(...page.items.map((i) => i.metadata?.name ?? ''));
      token = page.metadata.continue || undefined;
      pages++;
      if (pages === 1) expect(page.metadata.remainingItemCount).toBe(3);
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });

  it('selects by labels and by metadata.name, and refuses other field selectors', async () => {
    await objects.patchNamespacedCustomObject(
      {
        group,
        version,
        plural,
        namespace: 'paging',
        name: 'page-3',
        body: { metadata: { labels: { wave: 'pilot' } } },
      },
      merge,
    );
    const byLabel = (await objects.listNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'paging',
      labelSelector: 'wave in (pilot,network)',
    })) as { items: UseCase[] };
    expect(byLabel.items.map((i) => i.metadata?.name)).toEqual(['page-3']);
    const byName = (await objects.listClusterCustomObject({
      group,
      version,
      plural,
      fieldSelector: 'metadata.name=page-1',
    })) as { items: UseCase[] };
    expect(byName.items.map((i) => i.metadata?.name)).toEqual(['page-1']);
    const bad = await failure(
      objects.listClusterCustomObject({ group, version, plural, fieldSelector: 'spec.title=x' }),
    );
    expect(bad.code).toBe(400);
    expect(bad.status.message).toBe('field label not supported: spec.title');
  });

  it('an informer sees add, update and delete in order, and recovers from 410 Expired by relisting', async () => {
    const path = `/apis/${group}/${version}/namespaces/informer/${plural}`;
    const informer = makeInformer(
      h.kubeConfig(),
      path,
      () => objects.listNamespacedCustomObject({ group, version, plural, namespace: 'informer' }) as never,
    );
    const seen: string[] = [];
    let connects = 0;
    informer.on(ADD, (o: KubernetesObject) => seen.push(`add ${o.metadata?.name}`));
    informer.on(UPDATE, (o: KubernetesObject) =>
      seen.push(`update ${o.metadata?.name} ${(o as UseCase).spec.replicas}`),
    );
    informer.on(DELETE, (o: KubernetesObject) => seen.push(`delete ${o.metadata?.name}`));
    informer.on(CONNECT, () => {
      connects++;
    });
    await informer.start();
    try {
      await objects.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'informer',
        body: useCase('triage', 'informer'),
      });
      await objects.patchNamespacedCustomObject(
        { group, version, plural, namespace: 'informer', name: 'triage', body: { spec: { replicas: 4 } } },
        merge,
      );
      await objects.deleteNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'informer',
        name: 'triage',
      });
      await eventually(() => expect(seen).toEqual(['add triage', 'update triage 4', 'delete triage']));

      // Forget the watch history and drop every watch: the informer resumes from a version that is now too
      // old, receives 410 Expired, relists, and carries on.
      const connectsBefore = connects;
      h.cluster.expireWatches();
      await eventually(() => expect(connects).toBeGreaterThan(connectsBefore));
      await objects.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: 'informer',
        body: useCase('after-expiry', 'informer'),
      });
      await eventually(() => expect(seen).toContain('add after-expiry'));
      expect(connects).toBeGreaterThanOrEqual(connectsBefore + 2);
      expect(informer.list('informer').map((o) => o.metadata?.name)).toEqual(['after-expiry']);
    } finally {
      await informer.stop();
    }
  });

  it('a watch from an expired resourceVersion gets an ERROR event with a 410 Expired Status', async () => {
    const list = (await objects.listNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'paging',
    })) as { metadata: { resourceVersion: string } };
    h.cluster.expireWatches();
    const events: Array<{ type: string; object: Record<string, unknown> }> = [];
    const ended = new Promise<void>((resolve) => {
      void new Watch(h.kubeConfig()).watch(
        `/apis/${group}/${version}/namespaces/paging/${plural}`,
        { resourceVersion: list.metadata.resourceVersion },
        (type, object) => events.push({ type, object }),
        () => resolve(),
      );
    });
    await ended;
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('ERROR');
    expect(events[0]?.object).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 410,
      reason: 'Expired',
    });
    expect(String(events[0]?.object.message)).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('sends BOOKMARK events to watches that allow them, carrying the current resourceVersion', async () => {
    const events: Array<{ type: string; rv: string }> = [];
    const controller = await new Watch(h.kubeConfig()).watch(
      `/apis/${group}/${version}/${plural}`,
      { allowWatchBookmarks: true, resourceVersion: '0' },
      (type, object: KubernetesObject) => events.push({ type, rv: object.metadata?.resourceVersion ?? '' }),
      () => {},
    );
    try {
      await eventually(() => expect(events.some((e) => e.type === 'BOOKMARK')).toBe(true));
      const bookmark = events.find((e) => e.type === 'BOOKMARK');
      expect(Number(bookmark?.rv)).toBeGreaterThan(0);
      expect(events.filter((e) => e.type === 'ADDED').length).toBeGreaterThan(0);
    } finally {
      controller.abort();
    }
  });

  it('collects dependents through ownerReferences when the owner is deleted', async () => {
    const owner = (await objects.createNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'default',
      body: useCase('owner'),
    })) as UseCase;
    const ownerRef = {
      apiVersion: `${group}/${version}`,
      kind: 'UseCase',
      name: 'owner',
      uid: owner.metadata?.uid ?? '',
      controller: true,
    };
    const core = h.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'owned-settings', ownerReferences: [ownerRef] }, data: { a: '1' } },
    });
    await objects.createNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'default',
      body: useCase('owned-child', 'default', { ownerReferences: [ownerRef] }),
    });
    await objects.deleteNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: 'default',
      name: 'owner',
    });
    await eventually(async () => {
      expect(
        (await failure(core.readNamespacedConfigMap({ namespace: 'default', name: 'owned-settings' }))).code,
      ).toBe(404);
      expect(
        (
          await failure(
            objects.getNamespacedCustomObject({
              group,
              version,
              plural,
              namespace: 'default',
              name: 'owned-child',
            }),
          )
        ).code,
      ).toBe(404);
    });
  });

  it('serves coordination.k8s.io Leases with optimistic concurrency, as leader election needs', async () => {
    const leases = h.kubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await leases.createNamespacedLease({
      namespace: 'kube-system',
      body: {
        metadata: { name: 'vigil-controller' },
        spec: { holderIdentity: 'vigil-0', leaseDurationSeconds: 15, renewTime: new Date() as never },
      },
    });
    expect(lease.spec?.holderIdentity).toBe('vigil-0');
    const renewed = await leases.replaceNamespacedLease({
      namespace: 'kube-system',
      name: 'vigil-controller',
      body: { ...lease, spec: { ...lease.spec, renewTime: new Date() as never } },
    });
    const lost = await failure(
      leases.replaceNamespacedLease({
        namespace: 'kube-system',
        name: 'vigil-controller',
        body: { ...lease, spec: { ...lease.spec, holderIdentity: 'vigil-1' } },
      }),
    );
    expect(lost.code).toBe(409);
    expect(renewed.metadata?.resourceVersion).not.toBe(lease.metadata?.resourceVersion);
    const out = await h.ok(['get', 'leases', '-n', 'kube-system']);
    expect(out).toMatch(/NAME\s+HOLDER\s+AGE\s*\nvigil-controller\s+vigil-0\s+/);
  });
});
