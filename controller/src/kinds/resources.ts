// Vigil's kinds as the controller runtime addresses them, and the one way a reconciler reads a spec.
import type { z } from 'zod';
import { API_GROUP, API_VERSION, type KindDefinition } from '../../../specs/common.js';
import { dataContractKind } from '../../../specs/datacontract.js';
import { promotionKind } from '../../../specs/promotion.js';
import { releaseTrainKind } from '../../../specs/releasetrain.js';
import { signoffPolicyKind } from '../../../specs/signoffpolicy.js';
import { surveillancePolicyKind } from '../../../specs/surveillancepolicy.js';
import { useCaseKind } from '../../../specs/usecase.js';
import { formatPath } from '../diagnostics.js';
import { type CacheTransform, type KubeObject, type ResourceKind, StalledError } from '../runtime/index.js';

const resource = (k: KindDefinition): ResourceKind => ({
  group: API_GROUP,
  version: API_VERSION,
  plural: k.plural,
  kind: k.kind,
});

export const USE_CASES = resource(useCaseKind);
export const DATA_CONTRACTS = resource(dataContractKind);
export const RELEASE_TRAINS = resource(releaseTrainKind);
export const SURVEILLANCE_POLICIES = resource(surveillancePolicyKind);
export const SIGNOFF_POLICIES = resource(signoffPolicyKind);
export const PROMOTIONS = resource(promotionKind);

/**
 * The object's spec as its schema reads it, defaults filled. The API server checks only the structural schema;
 * the cross-field rules (tiers ascending, min <= max, roles defined, ...) are checked here, so an object that
 * reached the cluster without `vigil validate` stalls with the same messages instead of being acted on.
 */
export function readSpec<S extends z.ZodType>(schema: S, obj: KubeObject): z.infer<S> {
  const parsed = parseSpec(schema, obj);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const path = formatPath(['spec', ...i.path.filter((p): p is string | number => typeof p !== 'symbol')]);
    return `${path}: ${i.message}`;
  });
  throw new StalledError(
    'InvalidSpec',
    `the spec breaks ${problems.length === 1 ? 'a rule' : `${problems.length} rules`}: ${problems.join('; ')}`,
  );
}

// Parsed specs, per cached object and schema. The informer replaces an object on every change, so an entry
// never outlives the version it was read from, and a reconcile that peeks at a hundred unchanged neighbours
// parses none of them again. Callers treat the parsed spec as read-only: it is shared.
const parsedSpecs = new WeakMap<object, Map<z.ZodType, z.ZodSafeParseResult<unknown>>>();

function parseSpec<S extends z.ZodType>(schema: S, obj: KubeObject): z.ZodSafeParseResult<z.infer<S>> {
  let bySchema = parsedSpecs.get(obj);
  const known = bySchema?.get(schema);
  if (known) return known as z.ZodSafeParseResult<z.infer<S>>;
  const parsed = schema.safeParse((obj as { spec?: unknown }).spec);
  if (!bySchema) {
    bySchema = new Map();
    parsedSpecs.set(obj, bySchema);
  }
  bySchema.set(schema, parsed);
  return parsed;
}

/** The spec of a cached object when it reads cleanly; undefined otherwise (its own reconcile reports why). */
export function peekSpec<S extends z.ZodType>(
  schema: S,
  obj: KubeObject | undefined,
): z.infer<S> | undefined {
  if (!obj) return undefined;
  const parsed = parseSpec(schema, obj);
  return parsed.success ? parsed.data : undefined;
}

export const statusOf = <T>(obj: KubeObject | undefined): T | undefined =>
  (obj as { status?: T } | undefined)?.status;

/**
 * The cache transform for a kind: keep the spec as its schema reads it, in place of the spec as sent. One
 * copy instead of two (the text and the parsed form) for every cached object, and a status-only update, the
 * commonest event by far, reuses the spec parsed for the same generation instead of parsing it again. A spec
 * that does not read cleanly is kept as sent, so its own reconcile reports why.
 */
export function cacheParsedSpec(schema: z.ZodType): CacheTransform<KubeObject> {
  return (obj, previous) => {
    const { generation, uid } = obj.metadata;
    if (
      previous &&
      generation !== undefined &&
      previous.metadata.generation === generation &&
      previous.metadata.uid === uid &&
      parsedSpecs.get(previous)?.get(schema)?.success
    ) {
      const out = { ...obj, spec: (previous as { spec?: unknown }).spec } as KubeObject;
      parsedSpecs.set(out, parsedSpecs.get(previous)!);
      return out;
    }
    const parsed = schema.safeParse((obj as { spec?: unknown }).spec);
    if (!parsed.success) {
      parsedSpecs.set(obj, new Map([[schema, parsed]]));
      return obj;
    }
    const out = { ...obj, spec: parsed.data } as KubeObject;
    parsedSpecs.set(out, new Map([[schema, parsed]]));
    return out;
  };
}
