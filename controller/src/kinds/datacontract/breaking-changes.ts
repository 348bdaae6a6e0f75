// What a new contract version breaks: for the producer, data that was valid may no longer be (a new required
// property, narrowed values or ranges); for consumers, something they read is gone or means something else (a
// removed property, a changed type or key) or must now be handled under stricter PHI rules.
import semver from 'semver';
import {
  type AnyProperty,
  type BreakingChange,
  type DataContractSpec,
  type LogicalTypeOptions,
  type PhiClass,
  phiRank,
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
  }
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
