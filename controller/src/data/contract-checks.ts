// The checks of a contract that span more than one pass over one object: referential integrity between its
// objects (ODCS relationships, foreignKey), and the service levels it promises about the data itself (freshness:
// slaProperties latency or freshness on a timestamp element; volume: rowCount). Each is one query returning
// `rows` and `m0`, compiled in the engine's dialect; objects are named by their names, as every source allows.
//
// SLA promises about the process (frequency, retention, availability, support hours) say nothing a query over
// the data can check, and are not checked.
import type { DataContractSpec, SchemaObject, SchemaProperty } from '../../../specs/datacontract.js';
import type { ContractDialect } from './contract-dialect.js';
import { type Check, columnOf, describeCheck, holds, showNumber } from './quality-plan.js';
import { numberLiteral } from './sql.js';

export interface SpanningCheck {
  rule: string;
  path: string;
  object: string;
  property?: string;
  /** e.g. "foreign key to patients.patient_id", "freshness of discharged_at". */
  label: string;
  /** One row: `rows` (the object's rows) and `m0` (what is measured). */
  query: string;
  /** How m0 is judged; `unit` words for the message (e.g. "h"). */
  check: Check;
  kind: 'reference' | 'freshness' | 'volume';
  /** For freshness: seconds in one unit of the promise. */
  scale?: number;
  unit?: string;
}

export interface SpanningPlan {
  checks: SpanningCheck[];
  /** Checks the contract asks for that cannot be made as written (a reference to an unknown property). */
  problems: { rule: string; path: string; object: string; property?: string; message: string }[];
}

type Sla = NonNullable<DataContractSpec['slaProperties']>[number];

/** A property of one of the contract's objects, from "object.property" or "schema/object/properties/property". */
export function resolveElement(
  spec: DataContractSpec,
  ref: string,
): { object: SchemaObject; property?: SchemaProperty } | undefined {
  const qualified = /(?:^|\/)([^/]+)\/properties\/([^/]+)$/.exec(ref) ?? /^\/?schema\/([^/]+)$/.exec(ref);
  const [objectName, propertyName] = qualified
    ? [qualified[1]!, qualified[2]]
    : ref.includes('.')
      ? [ref.slice(0, ref.indexOf('.')), ref.slice(ref.indexOf('.') + 1)]
      : [ref, undefined];
  const object = (spec.schema ?? []).find((o) => o.name === objectName || o.id === objectName);
  if (!object) return undefined;
  if (propertyName === undefined) return { object };
  const property = (object.properties ?? []).find((p) => p.name === propertyName || p.id === propertyName);
  return property ? { object, property } : undefined;
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
  hours: 3600,
  d: 86_400,
  day: 86_400,
  days: 86_400,
  w: 604_800,
  week: 604_800,
  weeks: 604_800,
};

export interface SpanningOptions {
  dialect: ContractDialect;
  /** Whether the objects' null markers are still in the data as text. */
  markersInData: boolean;
  now: Date;
}

export function planSpanning(spec: DataContractSpec, options: SpanningOptions): SpanningPlan {
  const d = options.dialect;
  const plan: SpanningPlan = { checks: [], problems: [] };
  const present = (o: SchemaObject, p: SchemaProperty, alias: string) => {
    const col = `${alias}.${d.ident(columnOf(p))}`;
    const markers = [...(options.markersInData ? (o.nullMarkers ?? []) : []), ...(p.nullMarkers ?? [])];
    return markers.length
      ? `${col} IS NOT NULL AND ${d.text(col)} NOT IN (${markers.map((m) => `'${m.replaceAll("'", "''")}'`).join(', ')})`
      : `${col} IS NOT NULL`;
  };

  const reference = (
    object: SchemaObject,
    from: SchemaProperty[],
    to: string[],
    path: string,
    property?: string,
  ) => {
    const rule = path;
    const targets = to.map((t) => resolveElement(spec, t));
    const unknown = to.find((_, i) => !targets[i]?.property);
    if (unknown !== undefined) {
      plan.problems.push({
        rule,
        path,
        object: object.name,
        ...(property ? { property } : {}),
        message: `the foreign key refers to ${unknown}, which is not a property of this contract's objects`,
      });
      return;
    }
    const target = targets[0]!.object;
    if (targets.some((t) => t!.object !== target)) {
      plan.problems.push({
        rule,
        path,
        object: object.name,
        message: 'a composite foreign key refers to properties of one object',
      });
      return;
    }
    const nonNull = from.map((p) => present(object, p, 's')).join(' AND ');
    const join = from
      .map((p, i) => `t.${d.ident(columnOf(targets[i]!.property!))} = s.${d.ident(columnOf(p))}`)
      .join(' AND ');
    const orphans = `SELECT count(*) FROM ${d.ident(object.name)} AS s WHERE ${nonNull} AND NOT EXISTS (SELECT 1 FROM ${d.ident(target.name)} AS t WHERE ${join})`;
    plan.checks.push({
      rule,
      path,
      object: object.name,
      ...(property ? { property } : {}),
      label: `foreign key to ${to.join(', ')}`,
      query: `SELECT (SELECT count(*) FROM ${d.ident(object.name)}) AS rows, (${orphans}) AS m0`,
      check: { operator: 'mustBe', bound: 0 },
      kind: 'reference',
    });
  };

  (spec.schema ?? []).forEach((o, i) => {
    (o.properties ?? []).forEach((p, j) => {
      (p.relationships ?? []).forEach((r, k) => {
        if ((r.type ?? 'foreignKey') !== 'foreignKey') return;
        reference(o, [p], r.to, `schema[${i}].properties[${j}].relationships[${k}]`, p.name);
      });
    });
    (o.relationships ?? []).forEach((r, k) => {
      if ((r.type ?? 'foreignKey') !== 'foreignKey') return;
      const path = `schema[${i}].relationships[${k}]`;
      const from = r.from.map((f) => resolveElement(spec, f));
      const bad = r.from.find((_, n) => !from[n]?.property || from[n]!.object !== o);
      if (bad !== undefined) {
        plan.problems.push({
          rule: path,
          path,
          object: o.name,
          message: `the foreign key starts at ${bad}, which is not a property of ${o.name}`,
        });
        return;
      }
      reference(
        o,
        from.map((f) => f!.property!),
        r.to,
        path,
      );
    });
  });

  for (const [i, sla] of (spec.slaProperties ?? []).entries()) {
    const path = `slaProperties[${i}]`;
    const rule = sla.id ?? `${path}.${sla.property}`;
    const kind = slaKind(sla);
    if (!kind) continue;
    const element = sla.element ?? spec.slaDefaultElement;
    const problem = (message: string) => plan.problems.push({ rule, path, object: element ?? '', message });
    if (kind === 'volume') {
      const target = element ? resolveElement(spec, element)?.object : spec.schema?.[0];
      if (!target) {
        problem(`rowCount names ${element}, which is not an object of this contract`);
        continue;
      }
      const min = Number(sla.value);
      const max = sla.valueExt === undefined || sla.valueExt === null ? undefined : Number(sla.valueExt);
      if (!Number.isFinite(min) || (max !== undefined && !(Number.isFinite(max) && max > min))) {
        problem('a rowCount promise needs value (the fewest rows) and optionally valueExt (the most)');
        continue;
      }
      plan.checks.push({
        rule,
        path,
        object: target.name,
        label: 'rowCount (SLA)',
        query: `SELECT count(*) AS rows, count(*) AS m0 FROM ${d.ident(target.name)}`,
        check:
          max === undefined
            ? { operator: 'mustBeGreaterOrEqualTo', bound: min }
            : { operator: 'mustBeBetween', bound: [min, max] },
        kind,
      });
      continue;
    }
    // Freshness: the newest value of a timestamp element is at most `value unit` old.
    if (!element) continue; // A latency promise about no element is about the process, not the data.
    const target = resolveElement(spec, element);
    if (!target?.property) {
      problem(`${sla.property} names ${element}, which is not a property of this contract's objects`);
      continue;
    }
    const scale = UNIT_SECONDS[(sla.unit ?? 'd').toLowerCase()];
    const value = Number(sla.value);
    if (scale === undefined || !Number.isFinite(value)) {
      problem(
        `${sla.property} needs a number and a unit of s, m, h, d or w; found ${sla.value} ${sla.unit ?? ''}`,
      );
      continue;
    }
    const newest = `max(${d.ident(columnOf(target.property))})`;
    plan.checks.push({
      rule,
      path,
      object: target.object.name,
      property: target.property.name,
      label: `freshness (${sla.property})`,
      query: `SELECT count(*) AS rows, ${d.secondsBefore(newest, options.now)} / ${numberLiteral(scale)} AS m0 FROM ${d.ident(target.object.name)}`,
      check: { operator: 'mustBeLessOrEqualTo', bound: value },
      kind,
      scale,
      unit: sla.unit ?? 'd',
    });
  }
  return plan;
}

function slaKind(sla: Sla): 'freshness' | 'volume' | undefined {
  const p = sla.property.toLowerCase();
  if (p === 'latency' || p === 'freshness') return 'freshness';
  if (p === 'rowcount') return 'volume';
  return undefined;
}

/** Judge what a spanning check measured; `value` null when there was nothing to measure (no rows). */
export function judgeSpanning(
  c: SpanningCheck,
  value: number | null,
  rows: number,
): { passed: boolean; message: string } {
  const where = c.property ?? c.object;
  const bound = describeCheck(c.check, 'rows').replace(/^must/, 'must');
  if (c.kind === 'freshness') {
    if (value === null)
      return { passed: false, message: `${where}: ${c.label}: no value to date the data by` };
    const words = describeCheck(c.check, 'rows');
    return {
      passed: holds(value, c.check),
      message: `${where}: ${c.label}: the newest value is ${showNumber(value)}${c.unit} old; it ${words}${c.unit}`,
    };
  }
  const measured = value ?? 0;
  if (c.kind === 'reference') {
    return {
      passed: holds(measured, c.check),
      message: `${where}: ${c.label}: ${measured} of ${rows} rows refer to no row there; ${bound}`,
    };
  }
  return { passed: holds(measured, c.check), message: `${where}: ${c.label} ${measured} ${bound}` };
}
