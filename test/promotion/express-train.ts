// What the promotion tests promote: the revenue-cycle example's denials-triage use case, put on an "express"
// train of its own so a departure or a manual promotion can happen within a test, with the one readiness item
// the example leaves open marked done and the parts the tests do not exercise (contracts, surveillance) left off.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ClusterClient, KubeObject } from '../../controller/src/runtime/index.js';
import { API_GROUP, API_VERSION } from '../../specs/common.js';

const ROOT = join(import.meta.dirname, '..', '..');

// biome-ignore lint/suspicious/noExplicitAny: example documents are read as plain YAML and reshaped by tests
export const example = (file: string): any => parse(readFileSync(join(ROOT, 'examples', file), 'utf8'));

/** An "express" ReleaseTrain in `namespace` with the given schedule and stages. */
export function expressTrain(
  namespace: string,
  spec: { cron: string; stages: object[]; rollbackPlanRequired?: boolean },
) {
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'ReleaseTrain',
    metadata: { name: 'express', namespace },
    spec: {
      schedule: { cron: spec.cron, timeZone: 'UTC' },
      cutoff: '0s',
      stages: spec.stages,
      changeTicketPattern: '^CHG[0-9]{7}$',
      ...(spec.rollbackPlanRequired !== undefined ? { rollbackPlanRequired: spec.rollbackPlanRequired } : {}),
    },
  };
}

/** The production gate the express trains keep from the example: top-1 accuracy of at least 0.85. */
export const ACCURACY_GATE = { evaluation: [{ metric: 'top1-denial-category-accuracy', min: 0.85 }] };

/**
 * The express train that departs once a year (1 January, 00:00 UTC), so that only a test's clock or a person's
 * request moves a use case along it: staging, then production behind ACCURACY_GATE.
 */
export const yearlyTrain = (namespace: string) =>
  expressTrain(namespace, {
    cron: '0 0 1 1 *',
    stages: [{ name: 'staging' }, { name: 'production', gates: ACCURACY_GATE }],
  });

/** denials-triage, riding the express train, its governance approval done, without contracts or surveillance. */
export function promotableUseCase() {
  const uc = example('revenue-cycle/denials-triage.yaml');
  const { surveillancePolicy: _, ...spec } = uc.spec;
  return {
    ...uc,
    spec: {
      ...spec,
      releaseTrain: 'express',
      dataContracts: [],
      readiness: {
        ...spec.readiness,
        governanceApproval: {
          status: 'done',
          evidence: 'https://wiki.northwind-health.example/governance/minutes',
        },
      },
    },
  };
}

/**
 * Read and create Vigil objects in one namespace of the test cluster. `client` is called on each use, so the
 * helpers can be made before the cluster starts.
 */
export function vigilObjects<Status>(client: () => ClusterClient, namespace: string) {
  const target = { group: API_GROUP, version: API_VERSION, namespace };
  return {
    get: async (plural: string, name: string) =>
      (await client().customObjects.getNamespacedCustomObject({ ...target, plural, name })) as KubeObject & {
        spec: Record<string, unknown>;
        status?: Status;
      },
    create: (plural: string, body: object) =>
      client().customObjects.createNamespacedCustomObject({ ...target, plural, body }),
  };
}
