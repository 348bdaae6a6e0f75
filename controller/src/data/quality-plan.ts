// What a contract test measures, decided from the contract alone: for each schema object, the counts to take
// in one pass over its data (as SQL aggregates), the SQL rules to run, and how each measured value is judged.
//
// Measures, per ODCS library metric (counts of rows; `unit: percent` divides by the object's rows):
// - nullValues: NULL values. The contract's nullMarkers are read as NULL, so they count.
// - missingValues: NULL values, plus values listed in arguments.missingValues, plus the null markers.
// - invalidValues: non-NULL values that are not valid. Valid means: in arguments.validValues when given,
//   matching arguments.pattern when given, and conforming to the property's logicalType and logicalTypeOptions
//   (pattern, minLength/maxLength, minimum/maximum, exclusiveMinimum/exclusiveMaximum, multipleOf).
// - duplicateValues: non-NULL values (or, for an object, combinations of arguments.properties; else whole rows)
//   that repeat an earlier one: the count of rows minus the count of distinct values.
// - rowCount: the object's rows.
// The schema itself is checked too, as rules that must measure 0: a required (or primary key) property has no
// NULL; a unique (or sole primary key) property, and a composite primary key, have no duplicates; a property
// with a logicalType or logicalTypeOptions and no invalidValues rule of its own has no invalid value.
// Rules of type text and custom are not checked: nothing here runs another engine's checks.
//
// Messages name the property (or object), the measure, the value measured and the bound, never a value from
// the data: status is read by many, and the data holds PHI.
import type { QualityRule, SchemaObject, SchemaProperty } from '../../../specs/datacontract.js';
import { type CastType, type ContractDialect, DUCKDB_CONTRACT } from './contract-dialect.js';
import { literal, numberLiteral } from './sql.js';

export type Unit = 'rows' | 'percent';

export type Check =
  | { operator: 'mustBe' | 'mustNotBe'; bound: number }
  | {
      operator: 'mustBeGreaterThan' | 'mustBeGreaterOrEqualTo' | 'mustBeLessThan' | 'mustBeLessOrEqualTo';
      bound: number;
    }
  | { operator: 'mustBeBetween' | 'mustNotBeBetween'; bound: [number, number] };

interface RuleBase {
  /** The rule as status names it: its id, else its name, else its path. */
  rule: string;
  /** Where it is in the spec, e.g. "schema[0].properties[2].quality[1]". */
  path: string;
  object: string;
  property?: string;
  /** What the message calls the measure, e.g. "missingValues" or "nullValues (required)". */
  label: string;
  unit: Unit;
  check: Check;
}

/** A count taken in the pass over the object's rows. */
export interface Measure extends RuleBase {
  kind: 'count';
  /** An aggregate SQL expression over the object's view, giving a count of rows. */
  sql: string;
}

/** A rule of type sql: its query returns one number. */
export interface SqlRule extends RuleBase {
  kind: 'sql';
  query: string;
}

/** A rule that cannot be checked as written: the test reports it and ends in Error. */
export interface PlanProblem {
  rule: string;
  path: string;
  object: string;
  property?: string;
  message: string;
}

export interface ObjectPlan {
  object: string;
  measures: Measure[];
  sqlRules: SqlRule[];
  /** Properties the contract declares that the data does not have: each a failure. */
  missingColumns: { property: string; path: string }[];
  problems: PlanProblem[];
}

const COUNT_METRICS = [
  'nullValues',
  'missingValues',
  'invalidValues',
  'duplicateValues',
  'rowCount',
] as const;
type CountMetric = (typeof COUNT_METRICS)[number];

const OPERATORS = [
  'mustBe',
  'mustNotBe',
  'mustBeGreaterThan',
  'mustBeGreaterOrEqualTo',
  'mustBeLessThan',
  'mustBeLessOrEqualTo',
  'mustBeBetween',
  'mustNotBeBetween',
] as const;

/** The column a property names in the data: its physical name when given. */
export const columnOf = (p: Pick<SchemaProperty, 'name' | 'physicalName'>): string =>
  p.physicalName ?? p.name;

export interface PlanOptions {
  /** The engine the SQL is for; DuckDB when omitted. */
  dialect?: ContractDialect;
  /**
   * Whether the object's nullMarkers are still in the data as text: true in a database, false where the file
   * reader already turned them into NULL (DuckDB over CSV).
   */
  markersInData?: boolean;
  /**
   * The engine's type of each column, as the dialect's typeOf names it: a column already held as text, or as a
   * number the checks read exactly, is checked as it is rather than through its text. Every column is read
   * through its text when omitted.
   */
  columnTypes?: Readonly<Record<string, string>>;
}

/**
 * Plan the test of `object` (schema[index]) against data with `columns`. Markers: the object's nullMarkers,
 * which the reader already turns into NULL (unless options.markersInData); a property's own nullMarkers count
 * as NULL too.
 */
export function planObject(
  object: SchemaObject,
  index: number,
  columns: readonly string[],
  options: PlanOptions = {},
): ObjectPlan {
  const d = options.dialect ?? DUCKDB_CONTRACT;
  const objectMarkers = options.markersInData ? (object.nullMarkers ?? []) : [];
  const markersOf = (p: Pick<SchemaProperty, 'nullMarkers'> | undefined) => [
    ...new Set([...objectMarkers, ...(p?.nullMarkers ?? [])]),
  ];
  const plan: ObjectPlan = {
    object: object.name,
    measures: [],
    sqlRules: [],
    missingColumns: [],
    problems: [],
  };
  const at = `schema[${index}]`;
  const present = columnLookup(columns);
  const columnOfData = (column: string, p: SchemaProperty): Column => {
    const type = options.columnTypes?.[column];
    return { sql: d.ident(column), markers: markersOf(p), property: p, d, ...(type ? { type } : {}) };
  };
  const properties = object.properties ?? [];
  const keyParts = properties.filter((p) => p.primaryKey);

  properties.forEach((p, j) => {
    const path = `${at}.properties[${j}]`;
    const column = present(columnOf(p));
    if (column === undefined) {
      plan.missingColumns.push({ property: p.name, path });
      return;
    }
    const col = columnOfData(column, p);
    const base = { object: object.name, property: p.name, unit: 'rows' as const, check: ZERO };
    if (p.required || p.primaryKey) {
      plan.measures.push({
        ...base,
        kind: 'count',
        rule: `${path}.required`,
        path: `${path}.required`,
        label: `nullValues (${p.required ? 'required' : 'primary key'})`,
        sql: countWhere(isNull(col)),
      });
    }
    if (p.unique || (p.primaryKey && keyParts.length === 1)) {
      plan.measures.push({
        ...base,
        kind: 'count',
        rule: `${path}.unique`,
        path: `${path}.unique`,
        label: `duplicateValues (${p.unique ? 'unique' : 'primary key'})`,
        sql: duplicates([col]),
      });
    }
    const conformance = conformanceOf(p);
    const ownInvalidRule = (p.quality ?? []).some((q) => q.metric === 'invalidValues');
    if (conformance.length > 0 && !ownInvalidRule) {
      plan.measures.push({
        ...base,
        kind: 'count',
        rule: `${path}.logicalType`,
        path: `${path}.logicalType`,
        label: `invalidValues (${conformance.join(', ')})`,
        sql: countWhere(`NOT ${isNull(col)} AND NOT ${conforms(col)}`),
      });
    }
    (p.quality ?? []).forEach((q, k) => {
      addRule(plan, q, `${path}.quality[${k}]`, object, col, present, d, columnOfData);
    });
  });

  if (keyParts.length > 1) {
    const cols = keyParts.flatMap((p) => {
      const c = present(columnOf(p));
      return c === undefined ? [] : [columnOfData(c, p)];
    });
    if (cols.length === keyParts.length) {
      plan.measures.push({
        kind: 'count',
        rule: `${at}.primaryKey`,
        path: `${at}.primaryKey`,
        object: object.name,
        label: `duplicateValues (primary key ${keyParts.map((p) => p.name).join(', ')})`,
        unit: 'rows',
        check: ZERO,
        sql: duplicates(cols),
      });
    }
  }
  (object.quality ?? []).forEach((q, k) => {
    addRule(plan, q, `${at}.quality[${k}]`, object, undefined, present, d, columnOfData);
  });
  return plan;
}

const ZERO: Check = { operator: 'mustBe', bound: 0 };

interface Column {
  sql: string;
  /** The property's own null markers, beyond the object's (which the reader already made NULL). */
  markers: readonly string[];
  property: SchemaProperty;
  d: ContractDialect;
  /** The engine's type of the column, when it was read. */
  type?: string;
}

function addRule(
  plan: ObjectPlan,
  q: QualityRule,
  path: string,
  object: SchemaObject,
  col: Column | undefined,
  present: (name: string) => string | undefined,
  d: ContractDialect,
  columnOfData: (column: string, p: SchemaProperty) => Column,
): void {
  const type = q.type ?? (q.metric !== undefined ? 'library' : undefined);
  if (type !== 'library' && type !== 'sql') return;
  const rule = q.id ?? q.name ?? path;
  const where = { rule, path, object: object.name, ...(col ? { property: col.property.name } : {}) };
  const problem = (message: string) => plan.problems.push({ ...where, message });
  const check = checkOf(q);
  if (typeof check === 'string') return void problem(check);
  const unit =
    q.unit === undefined || q.unit === 'rows' ? 'rows' : q.unit === 'percent' ? 'percent' : undefined;
  if (unit === undefined) return void problem(`unit must be "rows" or "percent"; found "${q.unit}"`);

  if (type === 'sql') {
    plan.sqlRules.push({
      ...where,
      kind: 'sql',
      label: 'sql query',
      unit,
      check,
      query: expandPlaceholders(q.query ?? '', object.name, col?.property.name, d),
    });
    return;
  }
  const metric = q.metric as CountMetric;
  const args = (q.arguments ?? {}) as Record<string, unknown>;
  const measure = (sql: string): Measure => ({ ...where, kind: 'count', label: metric, unit, check, sql });
  switch (metric) {
    case 'rowCount':
      plan.measures.push(measure('count(*)'));
      return;
    case 'nullValues':
      if (!col) return void problem('nullValues applies to a property; this rule is on the object');
      plan.measures.push(measure(countWhere(isNull(col))));
      return;
    case 'missingValues': {
      if (!col) return void problem('missingValues applies to a property; this rule is on the object');
      const listed = args.missingValues;
      if (listed !== undefined && !Array.isArray(listed)) {
        return void problem('arguments.missingValues must be a list of values');
      }
      const values = (listed ?? ['']).filter((v): v is string | number => v !== null).map(String);
      plan.measures.push(measure(countWhere(isMissing(col, values))));
      return;
    }
    case 'invalidValues': {
      if (!col) return void problem('invalidValues applies to a property; this rule is on the object');
      const valid = validityOf(col, args);
      if (typeof valid !== 'string') return void problem(valid.problem);
      if (valid === '') {
        return void problem(
          'invalidValues needs arguments.validValues or arguments.pattern, or a logicalType or logicalTypeOptions on the property',
        );
      }
      plan.measures.push(measure(countWhere(`NOT ${isNull(col)} AND NOT (${valid})`)));
      return;
    }
    case 'duplicateValues': {
      if (col) return void plan.measures.push(measure(duplicates([col])));
      const names = args.properties;
      if (names === undefined) {
        plan.measures.push(
          measure('count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM __object__) AS distinct_rows)'),
        );
        return;
      }
      if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
        return void problem('arguments.properties must be a list of property names');
      }
      const cols: Column[] = [];
      for (const name of names as string[]) {
        const p = (object.properties ?? []).find((x) => x.name === name);
        const column = present(p ? columnOf(p) : name);
        if (column === undefined)
          return void problem(`arguments.properties names "${name}", which the data does not have`);
        cols.push(columnOfData(column, p ?? ({ name } as SchemaProperty)));
      }
      plan.measures.push(measure(duplicates(cols)));
      return;
    }
    default:
      return void problem(`metric "${String(metric)}" is not one of ${COUNT_METRICS.join(', ')}`);
  }
}

/** The rule's operator and bound, or why it has none that can be judged. */
export function checkOf(q: QualityRule): Check | string {
  const set = OPERATORS.filter((op) => q[op] !== undefined);
  if (set.length !== 1)
    return `a measured rule needs exactly one operator; found ${set.length ? set.join(', ') : 'none'}`;
  const operator = set[0]!;
  const raw = q[operator];
  if (operator === 'mustBeBetween' || operator === 'mustNotBeBetween') {
    const range = raw as number[];
    if (range.length !== 2 || !(range[0]! < range[1]!))
      return `${operator} must be [lower, upper] with lower < upper`;
    return { operator, bound: [range[0]!, range[1]!] };
  }
  const bound = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof bound !== 'number' || !Number.isFinite(bound)) {
    return `${operator} must be a number to hold a measured value against; found ${JSON.stringify(raw)}`;
  }
  return { operator, bound } as Check;
}

/** Whether `value` meets the check. Bounds of a range are inclusive. */
export function holds(value: number, check: Check): boolean {
  switch (check.operator) {
    case 'mustBe':
      return value === check.bound;
    case 'mustNotBe':
      return value !== check.bound;
    case 'mustBeGreaterThan':
      return value > check.bound;
    case 'mustBeGreaterOrEqualTo':
      return value >= check.bound;
    case 'mustBeLessThan':
      return value < check.bound;
    case 'mustBeLessOrEqualTo':
      return value <= check.bound;
    case 'mustBeBetween':
      return value >= check.bound[0] && value <= check.bound[1];
    case 'mustNotBeBetween':
      return value < check.bound[0] || value > check.bound[1];
  }
}

/** A number as a message shows it: whole numbers as they are, others to four significant digits. */
export function showNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 1000 ? n.toFixed(1) : String(Number(n.toPrecision(4)));
}

/** "must be less than 5%", "must be between 5% and 20%". */
export function describeCheck(check: Check, unit: Unit): string {
  const u = (n: number) => `${showNumber(n)}${unit === 'percent' ? '%' : ''}`;
  switch (check.operator) {
    case 'mustBe':
      return `must be ${u(check.bound)}`;
    case 'mustNotBe':
      return `must not be ${u(check.bound)}`;
    case 'mustBeGreaterThan':
      return `must be greater than ${u(check.bound)}`;
    case 'mustBeGreaterOrEqualTo':
      return `must be at least ${u(check.bound)}`;
    case 'mustBeLessThan':
      return `must be less than ${u(check.bound)}`;
    case 'mustBeLessOrEqualTo':
      return `must be at most ${u(check.bound)}`;
    case 'mustBeBetween':
      return `must be between ${u(check.bound[0])} and ${u(check.bound[1])}`;
    case 'mustNotBeBetween':
      return `must not be between ${u(check.bound[0])} and ${u(check.bound[1])}`;
  }
}

export interface Judgement {
  passed: boolean;
  /** The value held against the bound: the count, or the percentage of rows for unit percent. */
  observed: number;
  /** e.g. "race: missingValues 2.3% must be less than 2% (124 of 5399 rows)". */
  message: string;
}

/**
 * Judge a measure: `count` is what the pass over the data counted (for a SQL rule, the number its query
 * returned), `rows` the object's rows.
 */
export function judge(m: Measure | SqlRule, count: number, rows: number): Judgement {
  const percentOfRows = m.kind === 'count' && m.unit === 'percent';
  const observed = percentOfRows ? (rows === 0 ? 0 : (100 * count) / rows) : count;
  const shown = `${showNumber(observed)}${m.unit === 'percent' ? '%' : ''}`;
  const context =
    m.kind === 'sql' || m.label === 'rowCount'
      ? ''
      : percentOfRows
        ? ` (${count} of ${rows} rows)`
        : ` (of ${rows} rows)`;
  return {
    passed: holds(observed, m.check),
    observed,
    message: `${m.property ?? m.object}: ${m.label} ${shown} ${describeCheck(m.check, m.unit)}${context}`,
  };
}

/**
 * The query of all of an object's counts, in one pass: columns `rows`, then `m0`, `m1`... per measure. `table`
 * is how the engine's SQL names the object's data: the view's quoted name when omitted.
 */
export function countQuery(view: string, measures: readonly Measure[], table?: string): string {
  const from = table ?? DUCKDB_CONTRACT.ident(view);
  const counts = measures.map((m, i) => `${m.sql.replaceAll('__object__', from)} AS m${i}`);
  return `SELECT ${['count(*) AS rows', ...counts].join(', ')} FROM ${from}`;
}

// --- SQL pieces -----------------------------------------------------------------------------------------------

/** The column as text: itself when the engine holds it as text. */
const text = (c: Column) => (c.d.isText(c.type) ? c.sql : c.d.text(c.sql));
const inList = (expr: string, values: readonly string[]) => `${expr} IN (${values.map(literal).join(', ')})`;
const countWhere = (predicate: string) => `count(*) FILTER (WHERE ${predicate})`;

function isNull(c: Column): string {
  return c.markers.length ? `(${c.sql} IS NULL OR ${inList(text(c), c.markers)})` : `${c.sql} IS NULL`;
}

function isMissing(c: Column, values: readonly string[]): string {
  const listed = [...new Set([...values, ...c.markers])];
  return listed.length ? `(${c.sql} IS NULL OR ${inList(text(c), listed)})` : `${c.sql} IS NULL`;
}

function duplicates(cols: readonly Column[]): string {
  // One column and no null markers: count and count(DISTINCT) leave out NULL themselves, so no filter is needed.
  if (cols.length === 1 && cols[0]!.markers.length === 0) {
    return `count(${cols[0]!.sql}) - count(DISTINCT ${cols[0]!.sql})`;
  }
  const present = cols.map((c) => `NOT ${isNull(c)}`).join(' AND ');
  const key = cols.length === 1 ? cols[0]!.sql : cols[0]!.d.row(cols.map((c) => c.sql));
  return `${countWhere(present)} - count(DISTINCT ${key}) FILTER (WHERE ${present})`;
}

/** What the property's logicalType and logicalTypeOptions constrain, for messages: ["integer", "minimum 1"]. */
export function conformanceOf(p: SchemaProperty): string[] {
  const parts: string[] = [];
  if (p.logicalType && TYPE_CASTS[p.logicalType]) parts.push(p.logicalType);
  const o = p.logicalTypeOptions ?? {};
  for (const name of OPTION_NAMES) {
    const v = o[name];
    if (v !== undefined) parts.push(name === 'pattern' ? 'pattern' : `${name} ${String(v)}`);
  }
  return parts;
}

const OPTION_NAMES = [
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
] as const;

/** Logical types whose values must cast to the type. */
const TYPE_CASTS: Partial<Record<NonNullable<SchemaProperty['logicalType']>, CastType>> = {
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  time: 'time',
};

/** SQL true when a non-NULL value conforms to the property's logical type and options. */
function conforms(c: Column): string {
  const p = c.property;
  const cast = p.logicalType ? TYPE_CASTS[p.logicalType] : undefined;
  // A column the engine holds as the type already is read as it is; a value of it is never NULL where the
  // column is not.
  const native = cast ? c.d.native(c.sql, c.type, cast) : undefined;
  const typed = native ? native.value : cast ? c.d.tryCast(text(c), cast) : undefined;
  const parts: string[] = [];
  // Where the engine can tell by the text's form that the cast succeeds, that is the test: no value is made.
  if (typed)
    parts.push(
      native ? `${c.sql} IS NOT NULL` : c.d.castable ? c.d.castable(text(c), cast!) : `${typed} IS NOT NULL`,
    );
  if (p.logicalType === 'integer' && !native?.whole) parts.push(`${typed} = floor(${typed})`);
  const o = p.logicalTypeOptions ?? {};
  if (o.pattern !== undefined) parts.push(c.d.matches(text(c), o.pattern));
  if (o.minLength !== undefined) parts.push(`length(${text(c)}) >= ${o.minLength}`);
  if (o.maxLength !== undefined) parts.push(`length(${text(c)}) <= ${o.maxLength}`);
  if (typed) {
    const bound = (v: unknown) =>
      typeof v === 'number'
        ? numberLiteral(v)
        : cast === 'date' || cast === 'timestamp' || cast === 'time'
          ? c.d.temporal(String(v), cast)
          : c.d.tryCast(literal(String(v)), cast!);
    // An integer column is compared with a number bound as it is: the same outcome as its double's, for any
    // value, wherever the bound is below 2^53 (beyond it, the double of a value is on the bound's same side).
    const compare = (v: unknown, op: string) => {
      if (v === undefined) return;
      const exact = native?.whole && typeof v === 'number' && Math.abs(v) < 2 ** 53;
      parts.push(`${exact ? c.sql : typed} ${op} ${bound(v)}`);
    };
    compare(o.minimum, '>=');
    compare(o.maximum, '<=');
    compare(o.exclusiveMinimum, '>');
    compare(o.exclusiveMaximum, '<');
    if (o.multipleOf !== undefined && (cast === 'number' || cast === 'integer')) {
      const m = numberLiteral(o.multipleOf);
      parts.push(`abs(${typed} / ${m} - round(${typed} / ${m})) < 1e-9`);
    }
  }
  return parts.length ? `(${parts.join(' AND ')})` : 'true';
}

/** SQL true when a non-NULL value is valid for an invalidValues rule, '' when nothing defines validity. */
function validityOf(c: Column, args: Record<string, unknown>): string | { problem: string } {
  const parts: string[] = [];
  const listed = args.validValues;
  if (listed !== undefined) {
    if (!Array.isArray(listed)) return { problem: 'arguments.validValues must be a list of values' };
    const strings = listed.filter((v): v is string => typeof v === 'string');
    const numbers = listed.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const either: string[] = [];
    if (strings.length) either.push(inList(text(c), strings));
    if (numbers.length) {
      const asNumber = c.d.native(c.sql, c.type, 'number')?.value ?? c.d.tryCast(text(c), 'number');
      either.push(`${asNumber} IN (${numbers.map(numberLiteral).join(', ')})`);
    }
    parts.push(either.length ? `(${either.join(' OR ')})` : 'false');
  }
  if (args.pattern !== undefined) {
    if (typeof args.pattern !== 'string')
      return { problem: 'arguments.pattern must be a regular expression' };
    parts.push(c.d.matches(text(c), args.pattern));
  }
  const own = conforms(c);
  if (own !== 'true') parts.push(own);
  return parts.join(' AND ');
}

/** ODCS placeholders in a rule's query: ${object} / {object} (also {model}) and ${property} / {property}. */
export function expandPlaceholders(
  query: string,
  object: string,
  property?: string,
  d: ContractDialect = DUCKDB_CONTRACT,
): string {
  let out = query.replace(/\$?\{(object|model)\}/g, d.ident(object));
  if (property !== undefined) out = out.replace(/\$?\{(property|field|column)\}/g, d.ident(property));
  return out;
}

/** Finds a column by exact name, else by name ignoring case (as SQL does). */
function columnLookup(columns: readonly string[]): (name: string) => string | undefined {
  const exact = new Set(columns);
  const folded = new Map(columns.map((c) => [c.toLowerCase(), c]));
  return (name) => (exact.has(name) ? name : folded.get(name.toLowerCase()));
}
