// The contract test: hold the data a contract describes to every rule it holds, where the data lives (DuckDB over
// files, PostgreSQL, Databricks SQL: contract-source.ts), in that engine's SQL. One pass of counts per object
// (quality-plan.ts), one query per sql rule, foreign key and SLA (contract-checks.ts). The result is the
// DataContract's status.lastTest, and each rule's own figures for `vigil contract test`.
//
// Passed: every rule held. Failed: at least one did not; each failure names the rule, the value measured and
// the bound. Error: the test could not run (no readable server, a missing file, a rule that cannot be checked
// as written); the failures found before are still listed. Nothing from the data itself reaches the result:
// counts, shares and rule names only.
import type { DataContractSpec, DataContractStatus } from '../../../specs/datacontract.js';
import { toTimestamp } from '../runtime/conditions.js';
import { judgeSpanning, planSpanning, type SpanningCheck } from './contract-checks.js';
import type { EngineName } from './contract-dialect.js';
import { type ContractSource, type OpenSourceOptions, openSource } from './contract-source.js';
import { DataSourceError, QueryError, SqlRefusedError } from './errors.js';
import {
  countQuery,
  describeCheck,
  judge,
  type ObjectPlan,
  planObject,
  type SqlRule,
} from './quality-plan.js';

export type ContractTestResult = NonNullable<DataContractStatus['lastTest']>;
type Failure = NonNullable<ContractTestResult['failures']>[number];

export interface ContractTestOptions {
  /** The governance repository root: server paths resolve against it and may not leave it. */
  baseDir: string;
  /** The server to read; the first that an engine here reads when omitted. */
  server?: string;
  /** A file or URL to read in place of the server's data. */
  data?: string;
  /** How results name `data`, when it is not as the person wrote it. */
  dataShown?: string;
  /** Where credentials come from; process.env when omitted. */
  env?: OpenSourceOptions['env'];
  /** Hosts credentials may go to besides PGHOST and DATABRICKS_HOST; VIGIL_DATA_HOSTS of `env` when omitted. */
  hosts?: OpenSourceOptions['hosts'];
  /** Fetch a data URL only from a host `hosts` lists (the controller); any URL when false (the CLI). */
  fetchOnlyListed?: boolean;
  now: Date;
  /** Told before each query: which step of how many, and what it checks (names and counts only). */
  onProgress?: (progress: { step: number; steps: number; what: string }) => void;
  /** Opens the source; openSource when omitted (tests give their own). */
  open?: (spec: DataContractSpec, options: OpenSourceOptions) => Promise<ContractSource>;
}

/** One rule's outcome, as `vigil contract test` prints it: counts, shares and names, never a value. */
export interface RuleResult {
  rule: string;
  object: string;
  property?: string;
  /** What was measured: "nullValues (required)", "sql query", "foreign key to patients.id". */
  check: string;
  /** Rows the rule looked at: the object's rows. */
  rows: number;
  /** Rows counted against the rule (nulls, invalid values, duplicates, orphans), for rules that count rows. */
  failures?: number;
  /** failures as a percentage of rows. */
  share?: number;
  /** The value held against the threshold: failures, their share for unit percent, a query's number. */
  value?: number;
  /** e.g. "must be less than 5%". */
  threshold: string;
  result: 'pass' | 'fail' | 'error';
  message?: string;
}

export interface ContractTestReport {
  /** What the DataContract's status.lastTest holds. */
  lastTest: ContractTestResult;
  engine?: EngineName;
  rules: RuleResult[];
}

/** The test as status records it. */
export async function testContract(
  spec: DataContractSpec,
  options: ContractTestOptions,
): Promise<ContractTestResult> {
  return (await runContractTest(spec, options)).lastTest;
}

export async function runContractTest(
  spec: DataContractSpec,
  options: ContractTestOptions,
): Promise<ContractTestReport> {
  const at = toTimestamp(options.now);
  const base = { version: spec.version, at };
  const open = options.open ?? openSource;
  const where0 =
    options.data !== undefined
      ? `--data: ${options.dataShown ?? options.data}`
      : (options.server ?? 'no server');
  let source: ContractSource;
  try {
    source = await open(spec, {
      baseDir: options.baseDir,
      ...(options.server !== undefined ? { server: options.server } : {}),
      ...(options.data !== undefined ? { data: options.data } : {}),
      ...(options.dataShown !== undefined ? { dataShown: options.dataShown } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.hosts !== undefined ? { hosts: options.hosts } : {}),
      ...(options.fetchOnlyListed ? { fetchOnlyListed: true } : {}),
    });
  } catch (err) {
    if (isDataError(err)) {
      return { lastTest: { ...base, result: 'Error', where: where0, message: err.message }, rules: [] };
    }
    throw err;
  }
  const where = source.where;
  const rules: RuleResult[] = [];
  try {
    const objects = spec.schema ?? [];
    const plans: ObjectPlan[] = [];
    for (const [i, o] of objects.entries()) {
      const columns = await source.columns(o.name);
      const columnTypes = await typesOf(source, o.name, columns);
      plans.push(
        planObject(o, i, columns, {
          dialect: source.dialect,
          markersInData: source.markersInData,
          columnTypes,
        }),
      );
    }
    const spanning = planSpanning(spec, {
      dialect: source.dialect,
      markersInData: source.markersInData,
      now: options.now,
    });
    const steps = plans.reduce((n, p) => n + 1 + p.sqlRules.length, 0) + spanning.checks.length;
    let step = 0;
    const progress = (what: string) => options.onProgress?.({ step: ++step, steps, what });
    const rowsOf = new Map<string, number>();
    for (const plan of plans) {
      const outcome = await runPlan(source, plan, progress);
      rowsOf.set(plan.object, outcome.rows);
      rules.push(...outcome.rules);
    }
    for (const p of spanning.problems) {
      rules.push({
        rule: p.rule,
        object: p.object,
        ...(p.property !== undefined ? { property: p.property } : {}),
        check: 'cannot be checked',
        rows: rowsOf.get(p.object) ?? 0,
        threshold: '',
        result: 'error',
        message: p.message,
      });
    }
    for (const c of spanning.checks) {
      progress(`${c.object}: ${c.label}`);
      rules.push(await runSpanning(source, c));
    }
  } catch (err) {
    await source.close().catch(() => {});
    if (isDataError(err)) {
      return {
        lastTest: { ...base, result: 'Error', where, message: err.message, ...summaryOf(rules) },
        engine: source.engine,
        rules,
      };
    }
    throw err;
  }
  await source.close();

  const summary = { ...base, where, ...summaryOf(rules) };
  const problems = rules.filter((r) => r.result === 'error');
  if (problems.length > 0) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    return {
      lastTest: {
        ...summary,
        result: 'Error',
        message: `${first.rule} cannot be checked: ${first.message}${more}`,
      },
      engine: source.engine,
      rules,
    };
  }
  const failed = rules.some((r) => r.result === 'fail');
  return { lastTest: { ...summary, result: failed ? 'Failed' : 'Passed' }, engine: source.engine, rules };
}

const isDataError = (err: unknown): err is Error =>
  err instanceof DataSourceError || err instanceof QueryError || err instanceof SqlRefusedError;

/** Rows read (each object's once), rules checked, and the failures and problems as status lists them. */
function summaryOf(
  rules: readonly RuleResult[],
): Pick<ContractTestResult, 'rows' | 'rulesChecked' | 'failures'> {
  const rows = new Map<string, number>();
  for (const r of rules) rows.set(r.object, r.rows);
  const failures: Failure[] = rules
    .filter((r) => r.result !== 'pass')
    .map((r) => ({
      rule: r.rule,
      ...(r.object ? { object: r.object } : {}),
      ...(r.property !== undefined ? { property: r.property } : {}),
      ...(r.value !== undefined && r.result === 'fail' ? { observed: r.value } : {}),
      message: r.message ?? r.check,
    }));
  return {
    rows: [...rows.values()].reduce((a, b) => a + b, 0),
    rulesChecked: rules.filter((r) => r.result !== 'error').length,
    ...(failures.length ? { failures } : {}),
  };
}

async function runPlan(
  source: ContractSource,
  plan: ObjectPlan,
  progress: (what: string) => void,
): Promise<{ rows: number; rules: RuleResult[] }> {
  const rules: RuleResult[] = [];
  const at = (m: { rule: string; object: string; property?: string }) => ({
    rule: m.rule,
    object: m.object,
    ...(m.property !== undefined ? { property: m.property } : {}),
  });
  progress(`${plan.object}: ${plan.measures.length} counts in one pass`);
  const counts = await takeCounts(source, plan);
  const rows = counts.rows;
  for (const p of plan.problems) {
    rules.push({
      ...at(p),
      check: 'cannot be checked',
      rows,
      threshold: '',
      result: 'error',
      message: p.message,
    });
  }
  for (const c of plan.missingColumns) {
    rules.push({
      rule: c.path,
      object: plan.object,
      property: c.property,
      check: 'column present',
      rows,
      threshold: 'must be in the data',
      result: 'fail',
      message: `${c.property}: the data has no such column`,
    });
  }
  plan.measures.forEach((m, i) => {
    const count = counts.values[i];
    const threshold = describeCheck(m.check, m.unit);
    if (typeof count !== 'number') {
      rules.push({
        ...at(m),
        check: m.label,
        rows,
        threshold,
        result: 'error',
        message: `${m.property ?? m.object}: ${m.label} could not be counted: ${count?.error}`,
      });
      return;
    }
    const j = judge(m, count, rows);
    const countsRows = m.label !== 'rowCount';
    rules.push({
      ...at(m),
      check: m.label,
      rows,
      ...(countsRows ? { failures: count, share: rows === 0 ? 0 : (100 * count) / rows } : {}),
      value: j.observed,
      threshold,
      result: j.passed ? 'pass' : 'fail',
      ...(j.passed ? {} : { message: j.message }),
    });
  });
  for (const rule of plan.sqlRules) {
    progress(`${plan.object}: ${rule.rule}`);
    const value = await runSqlRule(source, rule);
    const threshold = describeCheck(rule.check, rule.unit);
    if (typeof value !== 'number') {
      rules.push({
        ...at(rule),
        check: rule.label,
        rows,
        threshold,
        result: 'error',
        message: `${rule.property ?? rule.object}: sql query ${value.error}`,
      });
      continue;
    }
    const j = judge(rule, value, rows);
    rules.push({
      ...at(rule),
      check: rule.label,
      rows,
      value: j.observed,
      threshold,
      result: j.passed ? 'pass' : 'fail',
      ...(j.passed ? {} : { message: j.message }),
    });
  }
  return { rows, rules };
}

async function runSpanning(source: ContractSource, c: SpanningCheck): Promise<RuleResult> {
  const at = {
    rule: c.rule,
    object: c.object,
    ...(c.property !== undefined ? { property: c.property } : {}),
  };
  const threshold = `${describeCheck(c.check, 'rows')}${c.unit ?? ''}`;
  let row: Awaited<ReturnType<ContractSource['query']>>[number] | undefined;
  try {
    [row] = await source.query(c.query);
  } catch (err) {
    if (!(err instanceof QueryError || err instanceof SqlRefusedError)) throw err;
    return {
      ...at,
      check: c.label,
      rows: 0,
      threshold,
      result: 'error',
      message: `${c.label}: ${err.message}`,
    };
  }
  const rows = Number(row?.rows ?? 0);
  const raw = row?.m0;
  const value = raw === null || raw === undefined ? null : Number(raw);
  const j = judgeSpanning(c, value, rows);
  return {
    ...at,
    check: c.label,
    rows,
    ...(c.kind === 'reference' && value !== null
      ? { failures: value, share: rows === 0 ? 0 : (100 * value) / rows }
      : {}),
    ...(value !== null ? { value } : {}),
    threshold,
    result: j.passed ? 'pass' : 'fail',
    ...(j.passed ? {} : { message: j.message }),
  };
}

/** All counts in one pass; should that fail (a pattern the engine's regular expressions refuse), each on its own. */
async function takeCounts(
  source: ContractSource,
  plan: ObjectPlan,
): Promise<{ rows: number; values: (number | { error: string })[] }> {
  try {
    const [row] = await source.query(
      countQuery(plan.object, plan.measures, source.dialect.ident(plan.object)),
    );
    return { rows: Number(row!.rows), values: plan.measures.map((_, i) => Number(row![`m${i}`])) };
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
  }
  const table = source.dialect.ident(plan.object);
  const [total] = await source.query(countQuery(plan.object, [], table));
  const values: (number | { error: string })[] = [];
  for (const m of plan.measures) {
    try {
      const [row] = await source.query(countQuery(plan.object, [m], table));
      values.push(Number(row!.m0));
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      values.push({ error: err.message });
    }
  }
  return { rows: Number(total!.rows), values };
}

/**
 * The engine's type of each of the object's columns, so that the checks read a column held as a number as that
 * number rather than through its text. None where the dialect reads no types, or the engine would not say: every
 * check then reads the text, as it would anyway.
 */
async function typesOf(
  source: ContractSource,
  object: string,
  columns: readonly string[],
): Promise<Record<string, string>> {
  const d = source.dialect;
  if (!d.typeOf || columns.length === 0) return {};
  // One row, and no row of the data read: a LEFT JOIN's columns keep the table's types over no row.
  const types = columns.map((c, i) => `${d.typeOf!(`s.${d.ident(c)}`)} AS t${i}`);
  const sql = `SELECT ${types.join(', ')} FROM (SELECT 1 AS one) AS one LEFT JOIN (SELECT * FROM ${d.ident(object)} LIMIT 0) AS s ON true`;
  try {
    const [row] = await source.query(sql);
    return Object.fromEntries(
      columns.flatMap((c, i) => {
        const type = row?.[`t${i}`];
        return typeof type === 'string' ? [[c, type]] : [];
      }),
    );
  } catch (err) {
    if (err instanceof QueryError || err instanceof SqlRefusedError) return {};
    throw err;
  }
}

/** The one number a SQL rule's query returns, or why there is none. */
async function runSqlRule(source: ContractSource, rule: SqlRule): Promise<number | { error: string }> {
  let rows: Awaited<ReturnType<ContractSource['query']>>;
  try {
    rows = await source.query(rule.query);
  } catch (err) {
    if (err instanceof QueryError || err instanceof SqlRefusedError)
      return { error: `failed: ${err.message}` };
    throw err;
  }
  const columns = rows[0] ? Object.keys(rows[0]) : [];
  if (rows.length !== 1 || columns.length !== 1) {
    return {
      error: `must return one number (one row, one column); it returned ${rows.length} row${rows.length === 1 ? '' : 's'} of ${columns.length} column${columns.length === 1 ? '' : 's'}`,
    };
  }
  const value = rows[0]![columns[0]!];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { error: `must return a number; it returned ${value === null ? 'NULL' : `a ${typeof value}`}` };
  }
  return value;
}
