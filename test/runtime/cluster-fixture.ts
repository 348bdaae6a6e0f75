// The local cluster as the runtime's integration tests use it: started with the Vigil CRDs applied, clients
// made from its kubeconfig, a valid UseCase to start from, and a toy controller that reports spec.title.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';
import { type LocalCluster, startLocalCluster } from '../../controller/src/local-cluster/index.js';
import {
  ClusterClient,
  type ClusterClientOptions,
  loadKubeConfig,
} from '../../controller/src/runtime/cluster-client.js';
import { defineController, type ReconcileResult } from '../../controller/src/runtime/controller.js';
import type { KubeObject, ResourceKind } from '../../controller/src/runtime/informer.js';

const ROOT = join(import.meta.dirname, '..', '..');

export const USECASE: ResourceKind = {
  group: 'vigil.dev',
  version: 'v1alpha1',
  plural: 'usecases',
  kind: 'UseCase',
};
export const DATACONTRACT: ResourceKind = {
  group: 'vigil.dev',
  version: 'v1alpha1',
  plural: 'datacontracts',
  kind: 'DataContract',
};

/** Logs only when VIGIL_TEST_LOG names a level, so test output stays readable. */
export const testLogger = () => pino({ level: process.env.VIGIL_TEST_LOG ?? 'silent' });

export interface TestCluster {
  cluster: LocalCluster;
  /** A fresh client (its own write count) on the cluster. */
  client(options?: ClusterClientOptions): ClusterClient;
  stop(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const cluster = await startLocalCluster({ bookmarkIntervalMs: 1_000 });
  const kubeConfig = loadKubeConfig({ kubeconfig: cluster.kubeconfigPath });
  const client = (options?: ClusterClientOptions) =>
    new ClusterClient(kubeConfig, { rate: { qps: 500, burst: 500 }, ...options });
  const extensions = client().api(ApiextensionsV1Api);
  const dir = join(ROOT, 'crd');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      await extensions.createCustomResourceDefinition({ body: doc.toJS() as V1CustomResourceDefinition });
    }
  }
  // Served once a list succeeds.
  const probe = client();
  await eventually(() => probe.customObjects.listClusterCustomObject({ ...USECASE }));
  return { cluster, client, stop: () => cluster.stop() };
}

/** Create a namespace (the examples' objects are namespaced). */
export async function createNamespace(client: ClusterClient, name: string): Promise<void> {
  await client.core.createNamespace({ body: { metadata: { name } } });
}

let exampleSpec: Record<string, unknown> | undefined;

/** A valid UseCase spec, taken from the examples, with `title` as given. */
export function useCaseSpec(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if (!exampleSpec) {
    const docs = parseAllDocuments(
      readFileSync(join(ROOT, 'examples/revenue-cycle/denials-triage.yaml'), 'utf8'),
    );
    const useCase = docs.map((d) => d.toJS()).find((d) => d?.kind === 'UseCase');
    exampleSpec = useCase.spec as Record<string, unknown>;
  }
  return { ...structuredClone(exampleSpec), title, ...extra };
}

export async function createUseCase(
  client: ClusterClient,
  namespace: string,
  name: string,
  title: string,
  extra: Record<string, unknown> = {},
): Promise<KubeObject> {
  return (await client.customObjects.createNamespacedCustomObject({
    ...USECASE,
    namespace,
    body: {
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'UseCase',
      metadata: { name, namespace },
      spec: useCaseSpec(title, extra),
    },
  })) as KubeObject;
}

export async function getUseCase(
  client: ClusterClient,
  namespace: string,
  name: string,
): Promise<UseCaseView> {
  return (await client.customObjects.getNamespacedCustomObject({
    ...USECASE,
    namespace,
    name,
  })) as UseCaseView;
}

export type UseCaseView = KubeObject & {
  spec: { title: string; suspend?: boolean };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{
      type: string;
      status: string;
      reason: string;
      message: string;
      lastTransitionTime: string;
      observedGeneration?: number;
    }>;
  };
};

export function readyOf(obj: UseCaseView) {
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Retry `check` until it passes (returns without throwing) or the deadline passes; then throw its last error. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export interface ToyOptions {
  /** Called at the start of every pass (to count, to stall, to fail on purpose). */
  onReconcile?(obj: UseCaseView, signal: AbortSignal): Promise<void> | void;
  finalizer?: string;
  onFinalize?(obj: UseCaseView): Promise<void> | void;
  workers?: number;
}

/** A toy UseCase controller: Ready=True with the title in the message. */
export function toyUseCaseController(options: ToyOptions = {}) {
  return defineController<UseCaseView>({
    kind: USECASE,
    finalizer: options.finalizer,
    workers: options.workers,
    async reconcile(_ctx, obj): Promise<ReconcileResult> {
      await options.onReconcile?.(obj, _ctx.signal);
      return {
        status: {
          conditions: [
            { type: 'Ready', status: 'True', reason: 'TitleSeen', message: `title: ${obj.spec.title}` },
          ],
        },
        events: [{ type: 'Normal', reason: 'TitleSeen', message: `title: ${obj.spec.title}` }],
      };
    },
    finalize: options.finalizer
      ? async (_ctx, obj) => {
          await options.onFinalize?.(obj);
        }
      : undefined,
  });
}
