// Putting objects into a cluster the way `kubectl apply` would for Vigil's needs: CRDs first (and waiting until
// their resources are served), then Namespaces, then everything else; each created, or replaced when present.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { type ClusterClient, isConflict, isNotFound, sleep, systemClock } from '../runtime/index.js';
import { SOURCE_REVISION_ANNOTATION } from './source-revision.js';

export interface AppliedObject {
  kind: string;
  namespace?: string;
  name: string;
  action: 'created' | 'configured' | 'unchanged';
}

/** Every CRD in a folder of generated CRDs (crd/). */
export function readCrds(dir: string): V1CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map(
        (d) => d.toJS() as V1CustomResourceDefinition,
      ),
    );
}

/** Create or replace each CRD, then wait until each is Established and its resource answers a list. */
export async function installCrds(
  client: ClusterClient,
  crds: readonly V1CustomResourceDefinition[],
  options: { timeoutMs?: number } = {},
): Promise<AppliedObject[]> {
  const api = client.api(ApiextensionsV1Api);
  const applied: AppliedObject[] = [];
  for (const crd of crds) {
    const name = crd.metadata!.name!;
    try {
      // The server fills defaults into what it stores, so a comparison would rarely say "same": replace.
      const existing = await api.readCustomResourceDefinition({ name });
      const body = {
        ...crd,
        metadata: { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion },
      };
      await api.replaceCustomResourceDefinition({ name, body });
      applied.push({ kind: 'CustomResourceDefinition', name, action: 'configured' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await api.createCustomResourceDefinition({ body: crd });
      applied.push({ kind: 'CustomResourceDefinition', name, action: 'created' });
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (const crd of crds) {
    const { group, names, versions } = crd.spec;
    const version = versions.find((v) => v.storage)?.name ?? versions[0]!.name;
    for (;;) {
      try {
        await client.customObjects.listClusterCustomObject({
          group,
          version,
          plural: names.plural,
          limit: 1,
        });
        break;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(
            `CRD ${crd.metadata!.name} is not served after ${options.timeoutMs ?? 30_000} ms: ${String(err)}`,
          );
        }
        await sleep(systemClock, 100);
      }
    }
  }
  return applied;
}

/** Namespaces before what they hold; otherwise in the order given. */
export function applyOrder(objects: readonly KubernetesObject[]): KubernetesObject[] {
  const rank = (o: KubernetesObject) => (o.kind === 'Namespace' ? 0 : 1);
  return [...objects].sort((a, b) => rank(a) - rank(b));
}

/** Create each object, or replace it (keeping its status) when it exists and differs. */
export async function applyObjects(
  client: ClusterClient,
  objects: readonly KubernetesObject[],
): Promise<AppliedObject[]> {
  const api = client.api(KubernetesObjectApi);
  const applied: AppliedObject[] = [];
  for (const object of applyOrder(objects)) {
    const ref = { kind: object.kind!, name: object.metadata!.name!, namespace: object.metadata?.namespace };
    for (let attempt = 0; ; attempt++) {
      try {
        const existing = await api.read({
          apiVersion: object.apiVersion!,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
        });
        const spec = (o: KubernetesObject) => JSON.stringify((o as { spec?: unknown }).spec ?? null);
        const labels = (o: KubernetesObject) => JSON.stringify(o.metadata?.labels ?? {});
        const revision = (o: KubernetesObject) => o.metadata?.annotations?.[SOURCE_REVISION_ANNOTATION];
        if (
          spec(existing) === spec(object) &&
          labels(existing) === labels(object) &&
          revision(existing) === revision(object)
        ) {
          applied.push({ ...ref, action: 'unchanged' });
          break;
        }
        await api.replace({
          ...object,
          metadata: { ...object.metadata, resourceVersion: existing.metadata?.resourceVersion },
        });
        applied.push({ ...ref, action: 'configured' });
        break;
      } catch (err) {
        if (isNotFound(err)) {
          await api.create(object);
          applied.push({ ...ref, action: 'created' });
          break;
        }
        // Someone changed it between our read and write: read again.
        if (isConflict(err) && attempt < 3) continue;
        throw err;
      }
    }
  }
  return applied;
}
