// What a new contract version breaks: for the producer, data that was valid may no longer be (a new required
// property, narrowed values or ranges, a quality rule tightened); for consumers, something they read is gone or
// means something else (a removed property, a changed type or key), arrives later or is kept for less time (an
// SLA loosened), or falls under other PHI rules (a class raised, or lowered on the producer's word alone).
import semver from 'semver';
import {
  type AnyProperty,
  type BreakingChange,
  type DataContractSpec,
  type LogicalTypeOptions,
  type PhiClass,
  phiRank,
  type QualityRule,
  type SchemaProperty,
} from '../../../../specs/datacontract.js';
import { formatPath, type PathSegment } from '../../diagnostics.js';

export type Change = BreakingChange;

/** Every change from `previous` to `next` that breaks producers or consumers; paths point into `next`. */
export function breakingChanges(previous: DataContractSpec, next: DataContractSpec): Change[] {
  const changes: Change[] = [];
  const add = (path: PathSegment[], kind: Change['kind'], message: string) =>
    changes.push({ path: formatPath(path), kind, message });

  const nextObjects = next.schema ?? [];
  for (const before of previous.schema ?? []) {
    const index = nextObjects.findIndex((o) => o.name === before.name);
    const after = nextObjects[index];
    if (!after) {
      add(['schema'], 'object-removed', `schema object "${before.name}" was removed`);
      continue;
    }
    const at: PathSegment[] = ['schema', index];
    const keyBefore = primaryKey(before.properties);
    const keyAfter = primaryKey(after.properties);
    if (keyBefore.join() !== keyAfter.join()) {
      add(
        [...at, 'properties'],
        'primary-key-changed',
        `primary key of "${before.name}" changed from ${describeKey(keyBefore)} to ${describeKey(keyAfter)}`,
      );
    }
    compareProperties(
      before.properties ?? [],
      after.properties ?? [],
      [...at, 'properties'],
      before.name,
      add,
    );
    compareQuality(before.quality ?? [], after.quality ?? [], [...at, 'quality'], before.name, add);
  }
  compareSla(previous.slaProperties ?? [], next.slaProperties ?? [], add);
  return changes;
}

type Add = (path: PathSegment[], kind: Change['kind'], message: string) => void;

function compareProperties(
  before: AnyProperty[],
  after: AnyProperty[],
  at: PathSegment[],
  owner: string,
  add: Add,
): void {
  for (const p of before) {
    const index = after.findIndex((n) => n.name === p.name);
    if (index < 0) add(at, 'property-removed', `property "${owner}.${p.name}" was removed`);
    else compareProperty(p, after[index]!, [...at, index], `${owner}.${p.name}`, add);
  }
  after.forEach((n, i) => {
    if (n.required && !before.some((p) => p.name === n.name)) {
      add(
        [...at, i, 'required'],
        'required-added',
        `new property "${owner}.${n.name}" is required; existing data has no value for it`,
      );
    }
  });
}

function compareProperty(
  p: AnyProperty,
  n: AnyProperty,
  at: PathSegment[],
  name: string,
  add: Add,
  phiBefore?: PhiClass,
  phiAfter?: PhiClass,
): void {
  if (p.logicalType !== n.logicalType) {
    add(
      [...at, 'logicalType'],
      'type-changed',
      `logicalType of "${name}" changed from ${p.logicalType ?? 'unset'} to ${n.logicalType ?? 'unset'}`,
    );
  }
  if (!p.required && n.required) add([...at, 'required'], 'required-added', `"${name}" is now required`);
  if (!p.unique && n.unique) add([...at, 'unique'], 'values-narrowed', `"${name}" must now be unique`);

  const phiP = p.phi ?? phiBefore;
  const phiN = n.phi ?? phiAfter;
  if (phiP && phiN && phiRank(phiN) > phiRank(phiP)) {
    add(
      [...at, 'phi'],
      'phi-raised',
      `PHI class of "${name}" raised from ${phiP} to ${phiN}; consumers must handle it as ${phiN}`,
    );
  } else if (phiP && phiN && phiRank(phiN) < phiRank(phiP)) {
    add(
      [...at, 'phi'],
      'phi-lowered',
      `PHI class of "${name}" lowered from ${phiP} to ${phiN}; consumers would handle it with less care`,
    );
  }

  const validBefore = validValues(p);
  const validAfter = validValues(n);
  if (validAfter) {
    const dropped = validBefore ? [...validBefore].filter((v) => !validAfter.has(v)) : undefined;
    if (!validBefore) {
      add(
        [...at, 'quality'],
        'values-narrowed',
        `"${name}" now only takes ${show([...validAfter])}; before, any value`,
      );
    } else if (dropped && dropped.length > 0) {
      add([...at, 'quality'], 'values-narrowed', `"${name}" no longer takes ${show(dropped)}`);
    }
  }
  // Allowed values are compared above, as values narrowed.
  compareQuality(p.quality ?? [], n.quality ?? [], [...at, 'quality'], name, add, 'invalidValues');
  compareOptions(
    p.logicalTypeOptions ?? {},
    n.logicalTypeOptions ?? {},
    [...at, 'logicalTypeOptions'],
    name,
    add,
  );

  if (p.properties || n.properties) {
    compareProperties(p.properties ?? [], n.properties ?? [], [...at, 'properties'], name, add);
  }
  if (p.items && n.items) compareProperty(p.items, n.items, [...at, 'items'], `${name}[]`, add, phiP, phiN);
}

const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'] as const;
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'] as const;

function compareOptions(
  p: LogicalTypeOptions,
  n: LogicalTypeOptions,
  at: PathSegment[],
  name: string,
  add: Add,
): void {
  const bound = (v: unknown): number | string | undefined =>
    typeof v === 'number' || typeof v === 'string' ? v : undefined;
  for (const [options, tighter] of [
    [LOWER_BOUNDS, (a: number | string, b: number | string) => b > a],
    [UPPER_BOUNDS, (a: number | string, b: number | string) => b < a],
  ] as const) {
    for (const o of options) {
      const a = bound(p[o]);
      const b = bound(n[o]);
      if (b === undefined) continue;
      if (a === undefined) add([...at, o], 'range-narrowed', `${o} of "${name}" added: ${JSON.stringify(b)}`);
      else if (typeof a === typeof b && tighter(a, b)) {
        add(
          [...at, o],
          'range-narrowed',
          `${o} of "${name}" tightened from ${JSON.stringify(a)} to ${JSON.stringify(b)}`,
        );
      }
    }
  }
  // Whether one regular expression accepts less than another is undecidable here; any new or changed pattern may.
  if (n.pattern !== undefined && n.pattern !== p.pattern) {
    add(
      [...at, 'pattern'],
      'values-narrowed',
      p.pattern === undefined
        ? `pattern of "${name}" added: ${n.pattern}`
        : `pattern of "${name}" changed from ${p.pattern} to ${n.pattern}`,
    );
  }
}

/** The values an invalidValues rule allows, merged over the property's rules; undefined when none restricts them. */
function validValues(p: AnyProperty): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (const q of p.quality ?? []) {
    const args = q.arguments as { validValues?: unknown } | undefined;
    if (q.metric !== 'invalidValues' || !Array.isArray(args?.validValues)) continue;
    const values = new Set(args.validValues.map((v) => JSON.stringify(v)));
    out = out ? new Set([...out].filter((v) => values.has(v))) : values;
  }
  return out;
}

const show = (values: string[]) => values.join(', ');

/** Names of the primary key properties, in key order. */
function primaryKey(props: SchemaProperty[] | undefined): string[] {
  return (props ?? [])
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.primaryKey)
    .sort((a, b) => keyOrder(a.p, a.i) - keyOrder(b.p, b.i))
    .map(({ p }) => p.name);
}

// Properties without a position (or -1) follow the positioned ones, in declaration order.
const keyOrder = (p: SchemaProperty, i: number) =>
  p.primaryKeyPosition !== undefined && p.primaryKeyPosition >= 1 ? p.primaryKeyPosition : 10_000 + i;

const describeKey = (names: string[]) => (names.length ? `(${names.join(', ')})` : 'none');

/**
 * Whether `next` is a new major version of `previous`, as a breaking change needs. Below 1.0.0 semantic
 * versioning lets anything change, and the convention is to raise the minor version: 0.3.x to 0.4.0 counts.
 * A version that does not read as semver is no bump.
 */
export function isMajorBump(previous: string, next: string): boolean {
  const a = semver.parse(previous);
  const b = semver.parse(next);
  if (!a || !b) return false;
  if (b.major !== a.major) return b.major > a.major;
  return a.major === 0 && b.minor > a.minor;
}

/**
 * Quality rules matched by id, else name, else what they measure: a rule added, or a threshold that admits less
 * (a lower maximum, a higher minimum, a narrower between, a changed query or expected value), fails data that
 * passed. Allowed values (invalidValues) are compared as values-narrowed instead.
 */
interface Bound {
  v: number;
  strict: boolean;
}
const upperBound = (q: QualityRule): Bound | undefined =>
  q.mustBeLessThan !== undefined
    ? { v: q.mustBeLessThan, strict: true }
    : q.mustBeLessOrEqualTo !== undefined
      ? { v: q.mustBeLessOrEqualTo, strict: false }
      : q.mustBeBetween
        ? { v: q.mustBeBetween[1]!, strict: false }
        : undefined;
const lowerBound = (q: QualityRule): Bound | undefined =>
  q.mustBeGreaterThan !== undefined
    ? { v: q.mustBeGreaterThan, strict: true }
    : q.mustBeGreaterOrEqualTo !== undefined
      ? { v: q.mustBeGreaterOrEqualTo, strict: false }
      : q.mustBeBetween
        ? { v: q.mustBeBetween[0]!, strict: false }
        : undefined;
const showBound = (b: Bound, op: '<' | '>') => `${op}${b.strict ? '' : '='} ${b.v}`;

function compareQuality(
  before: QualityRule[],
  after: QualityRule[],
  at: PathSegment[],
  owner: string,
  add: Add,
  skipMetric?: QualityRule['metric'],
): void {
  const keyed = (rules: QualityRule[]) => {
    const out = new Map<string, { rule: QualityRule; index: number }>();
    rules.forEach((rule, index) => {
      if (skipMetric !== undefined && rule.metric === skipMetric) return;
      let key = ruleKey(rule);
      for (let n = 2; out.has(key); n++) key = `${ruleKey(rule)} #${n}`;
      out.set(key, { rule, index });
    });
    return out;
  };
  const old = keyed(before);
  for (const [key, { rule, index }] of keyed(after)) {
    const was = old.get(key)?.rule;
    const label = `quality rule ${ruleLabel(rule)} of "${owner}"`;
    if (!was) {
      add([...at, index], 'quality-tightened', `${label} added; data that passed before may fail it`);
      continue;
    }
    const tighter = tightenedThresholds(was, rule);
    if (tighter.length > 0) add([...at, index], 'quality-tightened', `${label}: ${tighter.join('; ')}`);
  }
}

const ruleKey = (q: QualityRule): string =>
  q.id ??
  q.name ??
  `${q.type ?? 'library'}:${q.metric ?? ''}:${q.query ?? ''}:${JSON.stringify(q.arguments ?? {})}`;
const ruleLabel = (q: QualityRule): string =>
  q.name ? `"${q.name}"` : q.metric ? `${q.metric}` : q.type === 'sql' ? 'sql' : (q.type ?? 'rule');

function tightenedThresholds(a: QualityRule, b: QualityRule): string[] {
  const out: string[] = [];
  const v = (x: unknown) => JSON.stringify(x);
  // One bound each way, whichever operator states it: "< 5" is tighter than "<= 5", looser than "< 4".
  const wasAtMost = upperBound(a);
  const atMost = upperBound(b);
  if (
    atMost &&
    (!wasAtMost || atMost.v < wasAtMost.v || (atMost.v === wasAtMost.v && atMost.strict && !wasAtMost.strict))
  )
    out.push(
      `must now be ${showBound(atMost, '<')}${wasAtMost ? ` (was ${showBound(wasAtMost, '<')})` : ''}`,
    );
  const wasAtLeast = lowerBound(a);
  const atLeast = lowerBound(b);
  if (
    atLeast &&
    (!wasAtLeast ||
      atLeast.v > wasAtLeast.v ||
      (atLeast.v === wasAtLeast.v && atLeast.strict && !wasAtLeast.strict))
  )
    out.push(
      `must now be ${showBound(atLeast, '>')}${wasAtLeast ? ` (was ${showBound(wasAtLeast, '>')})` : ''}`,
    );
  for (const op of ['mustBe', 'mustNotBe'] as const) {
    if (b[op] !== undefined && v(a[op]) !== v(b[op]))
      out.push(`${op} ${a[op] === undefined ? 'set' : `changed from ${v(a[op])}`} to ${v(b[op])}`);
  }
  const [olo, ohi] = b.mustNotBeBetween ?? [];
  if (olo !== undefined && ohi !== undefined) {
    const [was0, was1] = a.mustNotBeBetween ?? [];
    if (was0 === undefined || was1 === undefined || olo < was0 || ohi > was1)
      out.push(
        `mustNotBeBetween ${a.mustNotBeBetween ? `widened from ${v(a.mustNotBeBetween)}` : 'added'} to ${v(b.mustNotBeBetween)}`,
      );
  }
  // Whether one query or custom check accepts less than another cannot be told; any change may.
  if (a.query !== b.query && b.query !== undefined) out.push('query changed');
  if (v(a.implementation) !== v(b.implementation) && b.implementation !== undefined)
    out.push('implementation changed');
  return out;
}

type Sla = NonNullable<DataContractSpec['slaProperties']>[number];

/** Hours in a unit of an SLA duration; undefined for a unit Vigil does not know. */
const HOURS: Record<string, number> = {
  s: 1 / 3600,
  sec: 1 / 3600,
  m: 1 / 60,
  min: 1 / 60,
  h: 1,
  hr: 1,
  hour: 1,
  hours: 1,
  d: 24,
  day: 24,
  days: 24,
  w: 168,
  week: 168,
  weeks: 168,
  y: 8766,
  yr: 8766,
  year: 8766,
  years: 8766,
};

/** For each promise, whether a larger value promises more (retention) or less (latency, frequency). */
const MORE_IS_BETTER: Record<string, boolean> = { retention: true, latency: false, frequency: false };

/**
 * SLA promises matched by what they promise and about which element: one removed, or one whose value promises
 * less (a longer latency or interval, a shorter retention), is loosened. A changed promise whose direction cannot
 * be told (another kind, another unit, text) counts as loosened: consumers judge it.
 */
function compareSla(before: Sla[], after: Sla[], add: Add): void {
  const key = (s: Sla) => `${s.property}\u0000${s.element ?? ''}`;
  const label = (s: Sla) => `SLA ${s.property}${s.element ? ` of ${s.element}` : ''}`;
  const show = (s: Sla) => `${JSON.stringify(s.value)}${s.unit ? ` ${s.unit}` : ''}`;
  after.forEach((s, i) => {
    const was = before.find((b) => key(b) === key(s));
    if (!was || (JSON.stringify(was.value) === JSON.stringify(s.value) && was.unit === s.unit)) return;
    if (JSON.stringify(was.valueExt) !== JSON.stringify(s.valueExt) && s.valueExt !== undefined) {
      add(['slaProperties', i], 'sla-loosened', `${label(s)} changed from ${show(was)} to ${show(s)}`);
      return;
    }
    const a = typeof was.value === 'number' ? was.value * (HOURS[was.unit ?? 'h'] ?? Number.NaN) : Number.NaN;
    const b = typeof s.value === 'number' ? s.value * (HOURS[s.unit ?? 'h'] ?? Number.NaN) : Number.NaN;
    const better = MORE_IS_BETTER[s.property];
    if (better !== undefined && !Number.isNaN(a) && !Number.isNaN(b)) {
      if (better ? b < a : b > a)
        add(['slaProperties', i], 'sla-loosened', `${label(s)} loosened from ${show(was)} to ${show(s)}`);
      return;
    }
    add(['slaProperties', i], 'sla-loosened', `${label(s)} changed from ${show(was)} to ${show(s)}`);
  });
  for (const s of before) {
    if (!after.some((n) => key(n) === key(s)))
      add(['slaProperties'], 'sla-loosened', `${label(s)} (${show(s)}) was removed`);
  }
}
