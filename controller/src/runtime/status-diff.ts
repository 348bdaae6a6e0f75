// Deciding whether a status write is needed and what it carries: equality that ignores only ordering (object
// keys, and conditions, which are a list keyed by type), JSON merge patches (RFC 7386) between two states, and
// rebasing our change onto a status someone else changed meanwhile.
import type { Condition } from './conditions.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy with object keys sorted and `conditions` lists sorted by type: two canonical forms are equal iff the states are. */
export function canonical(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    if (key === 'conditions' && items.every((c) => isObject(c) && typeof c.type === 'string')) {
      return [...(items as JsonObject[])].sort((a, b) => String(a.type).localeCompare(String(b.type)));
    }
    return items;
  }
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      if (value[k] !== undefined) out[k] = canonical(value[k], k);
    }
    return out;
  }
  return value;
}

/** Equal up to ordering; an absent status equals an empty one. */
export function sameState(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b ?? {}));
}

/** The JSON merge patch that turns `from` into `to` (both objects); empty when they are the same state. */
export function mergePatchBetween(from: JsonObject | undefined, to: JsonObject): JsonObject {
  const patch: JsonObject = {};
  const before = from ?? {};
  for (const key of Object.keys(before)) {
    if (before[key] !== undefined && to[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const old = before[key];
    if (isObject(old) && isObject(value)) {
      const nested = mergePatchBetween(old, value);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (JSON.stringify(canonical(old, key)) !== JSON.stringify(canonical(value, key))) {
      patch[key] = value;
    }
  }
  return patch;
}

/** Apply a JSON merge patch (RFC 7386) to a copy of `target`. */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/**
 * Our change (from `base`, the status we read, to `desired`) replayed onto `fresh`, the status as it is now
 * after someone else wrote: fields we did not touch keep their fresh values, and conditions merge by type so
 * a condition another writer set survives.
 */
export function rebaseStatus(
  base: JsonObject | undefined,
  desired: JsonObject,
  fresh: JsonObject | undefined,
): JsonObject {
  const { conditions: baseConditions, ...baseRest } = base ?? {};
  const { conditions: desiredConditions, ...desiredRest } = desired;
  const { conditions: freshConditions, ...freshRest } = fresh ?? {};
  const rebased = applyMergePatch(freshRest, mergePatchBetween(baseRest, desiredRest)) as JsonObject;
  const merged = rebaseConditions(
    asConditions(baseConditions),
    asConditions(desiredConditions),
    asConditions(freshConditions),
  );
  if (merged.length > 0 || desiredConditions !== undefined) rebased.conditions = merged as unknown as Json;
  return rebased;
}

function asConditions(value: Json | undefined): Condition[] {
  return Array.isArray(value) ? (value as unknown as Condition[]) : [];
}

function rebaseConditions(base: Condition[], desired: Condition[], fresh: Condition[]): Condition[] {
  const byType = (list: Condition[], type: string) => list.find((c) => c.type === type);
  const result = [...fresh];
  for (const want of desired) {
    const had = byType(base, want.type);
    if (had && sameState(had, want)) continue;
    const i = result.findIndex((c) => c.type === want.type);
    if (i >= 0) result[i] = want;
    else result.push(want);
  }
  const removed = new Set(base.filter((c) => !byType(desired, c.type)).map((c) => c.type));
  return result.filter((c) => !removed.has(c.type));
}
