// The contract test: read the data a contract describes, from a server that carries a file, and hold it to
// every quality rule of every object and property. The result is the DataContract's status.lastTest.
//
// Passed: every rule held. Failed: at least one did not; each failure names the rule, the value measured and
// the bound. Error: the test could not run (no readable server, a missing file, a rule that cannot be checked
// as written); the failures found before are still listed. Nothing from the data itself reaches the result:
// counts, shares and rule names only.
import type { DataContractSpec, DataContractStatus } from '../../../specs/datacontract.js';
import { toTimestamp } from '../runtime/conditions.js';
import { type DataEngine, withEngine } from './engine.js';
import { DataSourceError, QueryError, SqlRefusedError } from './errors.js';
import { fileServerOf, objectPath } from './file-server.js';
import {
  columnOf,
  countQuery,
  judge,
  type Measure,
  type ObjectPlan,
  planObject,
  type SqlRule,
} from './quality-plan.js';

export type ContractTestResult = NonNullable<DataContractStatus['lastTest']>;
type Failure = NonNullable<ContractTestResult['failures']>[number];

export interface ContractTestOptions {
  /** The governance repository root: server paths resolve against it and may not leave it. */
  baseDir: string;
  /** The server to read; the first that carries a file when omitted. */
  server?: string;
  now: Date;
}

export async function testContract(
  spec: DataContractSpec,
  options: ContractTestOptions,
): Promise<ContractTestResult> {
  const at = toTimestamp(options.now);
  const base = { version: spec.version, at };
  const server = fileServerOf(spec, options.server);
  if ('error' in server) {
    return { ...base, result: 'Error', where: options.server ?? 'no server', message: server.error };
  }
  const where = `${server.server}: ${server.path}`;
  const objects = spec.schema ?? [];
  if (objects.length === 0) {
    return { ...base, result: 'Error', where, message: 'the contract has no schema objects to test' };
  }
  const paths: string[] = [];
  for (const o of objects) {
    const p = objectPath(server, o.name, objects.length);
    if (typeof p !== 'string') return { ...base, result: 'Error', where, message: p.error };
    paths.push(p);
  }

  try {
    return await withEngine(options.baseDir, async (engine) => {
      for (const [i, o] of objects.entries()) {
        await engine.register(o.name, paths[i]!, {
          ...(server.format !== undefined ? { format: server.format } : {}),
          ...(o.nullMarkers ? { nullMarkers: o.nullMarkers } : {}),
          columnTypes: textColumns(o),
        });
      }
      const failures: Failure[] = [];
      const problems: Failure[] = [];
      let rows = 0;
      let checked = 0;
      for (const [i, o] of objects.entries()) {
        const columns = (await engine.columns(o.name)).map((c) => c.name);
        const plan = planObject(o, i, columns);
        const outcome = await runPlan(engine, plan, paths[i]!);
        rows += outcome.rows;
        checked += outcome.checked;
        failures.push(...outcome.failures);
        problems.push(...outcome.problems);
      }
      const all = [...failures, ...problems];
      const summary = {
        ...base,
        where,
        rows,
        rulesChecked: checked,
        ...(all.length ? { failures: all } : {}),
      };
      if (problems.length > 0) {
        const first = problems[0]!;
        const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
        return {
          ...summary,
          result: 'Error',
          message: `${first.rule} cannot be checked: ${first.message}${more}`,
        };
      }
      return { ...summary, result: failures.length ? 'Failed' : 'Passed' };
    });
  } catch (err) {
    if (err instanceof DataSourceError || err instanceof QueryError || err instanceof SqlRefusedError) {
      return { ...base, result: 'Error', where, message: err.message };
    }
    throw err;
  }
}

/** Columns of string properties, read as text whatever the CSV sniffer would make of "Yes" and "No". */
function textColumns(o: NonNullable<DataContractSpec['schema']>[number]): Record<string, string> {
  return Object.fromEntries(
    (o.properties ?? []).filter((p) => p.logicalType === 'string').map((p) => [columnOf(p), 'VARCHAR']),
  );
}

interface PlanOutcome {
  rows: number;
  checked: number;
  failures: Failure[];
  problems: Failure[];
}

async function runPlan(engine: DataEngine, plan: ObjectPlan, path: string): Promise<PlanOutcome> {
  const failures: Failure[] = [];
  const problems: Failure[] = plan.problems.map((p) => ({
    rule: p.rule,
    object: p.object,
    ...(p.property !== undefined ? { property: p.property } : {}),
    message: p.message,
  }));
  const failure = (m: Measure | SqlRule, message: string, observed?: number): Failure => ({
    rule: m.rule,
    object: m.object,
    ...(m.property !== undefined ? { property: m.property } : {}),
    ...(observed !== undefined ? { observed } : {}),
    message,
  });
  for (const c of plan.missingColumns) {
    failures.push({
      rule: c.path,
      object: plan.object,
      property: c.property,
      message: `${c.property}: the data has no such column (${path})`,
    });
  }

  const counts = await takeCounts(engine, plan);
  const rows = counts.rows;
  let checked = plan.missingColumns.length;
  plan.measures.forEach((m, i) => {
    const count = counts.values[i];
    if (typeof count !== 'number') {
      problems.push(
        failure(m, `${m.property ?? m.object}: ${m.label} could not be counted: ${count?.error}`),
      );
      return;
    }
    checked++;
    const j = judge(m, count, rows);
    if (!j.passed) failures.push(failure(m, j.message, j.observed));
  });

  for (const rule of plan.sqlRules) {
    const value = await runSqlRule(engine, rule);
    if (typeof value !== 'number') {
      problems.push(failure(rule, `${rule.property ?? rule.object}: sql query ${value.error}`));
      continue;
    }
    checked++;
    const j = judge(rule, value, rows);
    if (!j.passed) failures.push(failure(rule, j.message, j.observed));
  }
  return { rows, checked, failures, problems };
}

/** All counts in one pass; should that fail (a pattern DuckDB's regular expressions refuse), each on its own. */
async function takeCounts(
  engine: DataEngine,
  plan: ObjectPlan,
): Promise<{ rows: number; values: (number | { error: string })[] }> {
  try {
    const [row] = await engine.query(countQuery(plan.object, plan.measures));
    return { rows: Number(row!.rows), values: plan.measures.map((_, i) => Number(row![`m${i}`])) };
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
  }
  const [total] = await engine.query(countQuery(plan.object, []));
  const values: (number | { error: string })[] = [];
  for (const m of plan.measures) {
    try {
      const [row] = await engine.query(countQuery(plan.object, [m]));
      values.push(Number(row!.m0));
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      values.push({ error: err.message });
    }
  }
  return { rows: Number(total!.rows), values };
}

/** The one number a SQL rule's query returns, or why there is none. */
async function runSqlRule(engine: DataEngine, rule: SqlRule): Promise<number | { error: string }> {
  let rows: Awaited<ReturnType<DataEngine['query']>>;
  try {
    rows = await engine.query(rule.query);
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
