// `vigil simulate inference-log`: a realistic inference log for one of the example use cases, made from the
// public, de-identified UCI "Diabetes 130-US hospitals" sample the project keeps in examples/data/. Each row of
// the log draws one encounter of the sample (with replacement) and a time in the period; a fixed model of the
// encounter's columns gives the score, the outcome is the sample's own and matures after a delay (so the most
// recent rows have none yet), segments come from the sample's columns, and people override the model at a
// plausible rate. From `driftFrom` on, the inputs and their relation to the outcome shift, so PSI and KS rise and
// AUROC (once those outcomes mature) falls. Deterministic: the same sample, options and seed give the same rows.
// Identifiers are generated; nothing in the log identifies a patient. The profiles live in simulate-profiles.ts.
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withEngine } from '../data/engine.js';
import { ident, literal } from '../data/sql.js';
import { seededRandom } from './example-inference-log.js';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** The columns of the sample the simulator reads ("?" read as missing). */
export interface SampleEncounter {
  race: string | null;
  gender: string;
  age: string;
  admission_type_id: number;
  discharge_disposition_id: number;
  admission_source_id: number;
  time_in_hospital: number;
  num_lab_procedures: number;
  num_procedures: number;
  num_medications: number;
  number_outpatient: number;
  number_emergency: number;
  number_inpatient: number;
  number_diagnoses: number;
  readmitted: string;
}

const SAMPLE_COLUMNS: readonly (keyof SampleEncounter)[] = [
  'race',
  'gender',
  'age',
  'admission_type_id',
  'discharge_disposition_id',
  'admission_source_id',
  'time_in_hospital',
  'num_lab_procedures',
  'num_procedures',
  'num_medications',
  'number_outpatient',
  'number_emergency',
  'number_inpatient',
  'number_diagnoses',
  'readmitted',
];
const TEXT_COLUMNS = new Set<keyof SampleEncounter>(['race', 'gender', 'age', 'readmitted']);

/** The encounters of the UCI sample at `csvPath`, in the file's order of encounter (its ids are not kept). */
export async function loadSample(csvPath: string): Promise<SampleEncounter[]> {
  const file = path.resolve(csvPath);
  return withEngine(path.dirname(file), async (engine) => {
    await engine.register('encounters', path.basename(file), {
      nullMarkers: ['?'],
      columnTypes: { race: 'VARCHAR', gender: 'VARCHAR', age: 'VARCHAR', readmitted: 'VARCHAR' },
    });
    const rows = await engine.query(
      `SELECT ${SAMPLE_COLUMNS.map(ident).join(', ')} FROM encounters ORDER BY encounter_id`,
    );
    return rows.map((r) => {
      const e: Record<string, unknown> = {};
      for (const c of SAMPLE_COLUMNS) {
        const v = r[c];
        e[c] = TEXT_COLUMNS.has(c) ? (v === null || v === undefined ? null : String(v)) : Number(v ?? 0);
      }
      e.gender ??= 'Unknown';
      e.age ??= '[50-60)';
      e.readmitted ??= 'NO';
      return e as unknown as SampleEncounter;
    });
  });
}

export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'BOOLEAN' | 'TIMESTAMPTZ';
export type Value = string | number | boolean | null;
export type LogRow = Record<string, Value>;

export interface SimulationOptions {
  /** The log ends at `now`: rows are made for the `days` before it, none after. */
  now: Date;
  days: number;
  seed: number;
  /** The day of the log (0 is its first) from which the drift holds; none when omitted. */
  driftFrom?: number;
  /** How far the drift goes, 0..1 and beyond (1: the profile's full drift). Default 1. */
  driftStrength?: number;
}

/**
 * One request to make rows for: its generated id (two versions scoring the same request share it), when, from
 * which encounter, how drifted (0 none), and the request's own random stream.
 */
export interface Draw {
  id: string;
  at: number;
  encounter: SampleEncounter;
  drift: number;
  random: () => number;
}

export interface Profile {
  /** The UseCase the log is for, and the example policy that reads it. */
  useCase: string;
  namespace: string;
  policy: string;
  /** Where the example policy reads it, relative to the governance repository. */
  file: string;
  format: 'csv' | 'parquet';
  timestampColumn: string;
  versionColumn: string;
  idColumn: string;
  idPrefix: string;
  /** Rows a day on a weekday; `weekend` is the share of that on Saturday and Sunday. */
  perDay: number;
  weekend: number;
  /** Encounters the use case never sees (a routing rule sends them elsewhere). */
  excludes?: (e: SampleEncounter) => boolean;
  columns: readonly (readonly [name: string, type: ColumnType])[];
  /** The rows of the log from the draws (in time order), each with the draw's id in `idColumn`. */
  rows(draws: readonly Draw[], options: SimulationOptions): LogRow[];
  /** What one sentence of `vigil simulate --help` says of it. */
  summary: string;
}

/** A standard normal draw (Box-Muller). */
export function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => Math.log(p / (1 - p));
export const round = (n: number, digits = 4): number => Number(n.toFixed(digits));
/** Seconds precision, as a scoring job's clock writes it. */
export const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

/** The draws of a log: per day a count near the profile's rate, each at a random second of the day. */
export function draws(profile: Profile, sample: readonly SampleEncounter[], o: SimulationOptions): Draw[] {
  const pool = profile.excludes ? sample.filter((e) => !profile.excludes!(e)) : sample;
  if (pool.length === 0) throw new Error(`the sample has no encounter ${profile.useCase} would see`);
  const end = o.now.getTime();
  const start = end - o.days * DAY_MS;
  const driftAt = o.driftFrom === undefined ? Number.POSITIVE_INFINITY : start + o.driftFrom * DAY_MS;
  const strength = o.driftStrength ?? 1;
  const out: Draw[] = [];
  for (let d = 0; d < o.days; d++) {
    const dayStart = start + d * DAY_MS;
    // A stream per day and per row, so a row's values do not depend on how many rows came before it.
    const day = seededRandom(o.seed * 7919 + d * 104_729 + 1);
    const weekday = new Date(dayStart + DAY_MS / 2).getUTCDay();
    const rate = profile.perDay * (weekday === 0 || weekday === 6 ? profile.weekend : 1);
    const count = Math.max(0, Math.round(rate * (1 + 0.08 * normal(day))));
    for (let i = 0; i < count; i++) {
      const at = dayStart + Math.floor(day() * (DAY_MS / 1000)) * 1000;
      const encounter = pool[Math.floor(day() * pool.length)]!;
      const random = seededRandom(Math.floor(day() * 4_294_967_296));
      out.push({ id: '', at, encounter, drift: at >= driftAt ? strength : 0, random });
    }
  }
  out.sort((a, b) => a.at - b.at);
  const width = Math.max(String(out.length).length, 7);
  out.forEach((d, i) => {
    d.id = `${profile.idPrefix}-${String(i + 1).padStart(width, '0')}`;
  });
  return out;
}

/** The rows of the log, ordered by time, then version. */
export function simulate(
  profile: Profile,
  sample: readonly SampleEncounter[],
  options: SimulationOptions,
): LogRow[] {
  if (!Number.isInteger(options.days) || options.days < 1)
    throw new Error('days must be a whole number >= 1');
  const rows = profile.rows(draws(profile, sample, options), options);
  const ts = profile.timestampColumn;
  return rows.sort(
    (a, b) =>
      String(a[ts]).localeCompare(String(b[ts])) ||
      String(a[profile.idColumn]).localeCompare(String(b[profile.idColumn])) ||
      String(a[profile.versionColumn]).localeCompare(String(b[profile.versionColumn])),
  );
}

/**
 * Write the rows through DuckDB: appended to a typed table, then COPY to CSV (header, empty for NULL) or Parquet.
 * Written beside the target and renamed over it, so a reader never sees half a log.
 */
export async function writeLog(
  profile: Profile,
  rows: readonly LogRow[],
  file: string,
  format: 'csv' | 'parquet',
): Promise<void> {
  const target = path.resolve(file);
  await mkdir(path.dirname(target), { recursive: true });
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  const { DuckDBInstance, DuckDBTimestampTZValue } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    const columns = profile.columns;
    await connection.run(`CREATE TABLE log (${columns.map(([n, t]) => `${ident(n)} ${t}`).join(', ')})`);
    const appender = await connection.createAppender('log');
    for (const row of rows) {
      for (const [name, type] of columns) {
        const v = row[name];
        if (v === null || v === undefined) appender.appendNull();
        else if (type === 'VARCHAR') appender.appendVarchar(String(v));
        else if (type === 'DOUBLE') appender.appendDouble(Number(v));
        else if (type === 'INTEGER') appender.appendInteger(Number(v));
        else if (type === 'BOOLEAN') appender.appendBoolean(Boolean(v));
        else appender.appendTimestampTZ(new DuckDBTimestampTZValue(BigInt(Date.parse(String(v))) * 1000n));
      }
      appender.endRow();
    }
    appender.closeSync();
    const options = format === 'csv' ? `FORMAT csv, HEADER true, NULLSTR ''` : `FORMAT parquet`;
    const order = [profile.timestampColumn, profile.idColumn, profile.versionColumn].map(ident).join(', ');
    await connection.run(`COPY (SELECT * FROM log ORDER BY ${order}) TO ${literal(partial)} (${options})`);
    await rename(partial, target);
  } finally {
    connection?.closeSync();
    instance.closeSync();
    await rm(partial, { force: true });
  }
}
