// The stage evidence SQL against a generated log. The expected figures were computed from the same rows with
// NumPy (numpy.percentile, linear, for P50 and P90; plain means for the rates and for review hours, over the
// CSV the fixture writes), independently of this code, and are kept here as constants.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogRow, outcomeLog, toCsv } from '../../../test/fixtures/outcome-log.js';
import { POSTGRES_RUNNABLE, type PostgresServer, startPostgres } from '../../../test/support/postgres.js';
import { POSTGRES } from '../data/sql.js';
import {
  logColumns,
  measureStages,
  pairedEvidenceSql,
  type StageEvidence,
  stageEvidenceFrom,
  stageEvidenceSql,
} from './outcomes.js';

const NOW = new Date('2026-11-10T15:00:00Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);
const RATES = { firstPass: 0.84, rework: 0.1, reviewed: 0.96, override: 0.12 };

const ROWS = outcomeLog([
  // The candidate in the pilot clinic: 240 drafts over 39 days, one in ten without a decision yet.
  {
    stage: 'pilot-clinic',
    version: '1.4.0',
    count: 240,
    from: at(-40 * DAY),
    to: at(-DAY),
    hours: [4, 90],
    decided: 0.9,
    ...RATES,
    idPrefix: 'P',
  },
  // The version the pilot clinic ran before: not the candidate's evidence.
  {
    stage: 'pilot-clinic',
    version: '1.3.2',
    count: 60,
    from: at(-80 * DAY),
    to: at(-40 * DAY),
    hours: [10, 120],
    ...RATES,
    idPrefix: 'Q',
  },
  // Production in the twelve clinics, and a silent stage running 1.5.0 on 120 of the same requests.
  {
    stage: 'twelve-clinics',
    version: '1.3.2',
    count: 200,
    from: at(-30 * DAY),
    to: at(-2 * 3_600_000),
    hours: [6, 110],
    firstPass: 0.78,
    rework: 0.14,
    reviewed: 1,
    override: 0.2,
    idPrefix: 'T',
  },
  {
    stage: 'silent',
    version: '1.5.0',
    count: 120,
    from: at(-30 * DAY),
    to: at(-12 * DAY),
    hours: [6, 110],
    firstPass: 0.78,
    rework: 0.14,
    reviewed: 0.5,
    override: 0.1,
    idPrefix: 'T',
  },
  // Drafted after the evaluation time: not seen yet.
  {
    stage: 'pilot-clinic',
    version: '1.4.0',
    count: 10,
    from: at(3_600_000),
    to: at(5 * DAY),
    hours: [4, 90],
    ...RATES,
    idPrefix: 'F',
  },
]);

const LOG = {
  uri: 'data/prior-auth-drafts.csv',
  timestampColumn: 'drafted_at',
  versionColumn: 'bundle_version',
};

let dir: string;
const write = (name: string, rows: readonly LogRow[] | string) =>
  writeFileSync(path.join(dir, 'data', name), typeof rows === 'string' ? rows : toCsv(rows));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-outcomes-'));
  mkdirSync(path.join(dir, 'data'));
  write('prior-auth-drafts.csv', ROWS);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const value = (e: StageEvidence, metric: string) => e.metrics.find((m) => m.metric === metric)?.value;

describe('measureStages', () => {
  it('measures the version a stage runs, up to now, against figures NumPy computed', async () => {
    const [pilot, twelve] = (await measureStages(
      dir,
      LOG,
      [
        { stage: 'pilot-clinic', version: '1.4.0' },
        { stage: 'twelve-clinics', version: '1.3.2' },
      ],
      NOW,
    )) as StageEvidence[];
    expect(pilot).toMatchObject({
      stage: 'pilot-clinic',
      version: '1.4.0',
      firstSeen: new Date('2026-10-01T15:59:51Z'),
      encounters: 240,
      labelledOutcomes: 216,
      // Review is due once a draft went out: 205 of the 216 with a decision were reviewed.
      reviewed: 205,
      reviewedOf: 216,
      unmeasured: [],
    });
    expect(value(pilot!, 'cycle-time-p50-hours')).toBeCloseTo(22.38986111111111, 9);
    expect(value(pilot!, 'cycle-time-p90-hours')).toBeCloseTo(65.10375, 9);
    expect(value(pilot!, 'first-pass-approval-rate')).toBeCloseTo(0.8287037037037037, 12);
    expect(value(pilot!, 'rework-rate')).toBeCloseTo(0.09722222222222222, 12);
    expect(value(pilot!, 'override-rate')).toBeCloseTo(0.16, 12);
    // A person's review time per draft that went out: minutes / 60, no time for a draft nobody reviewed; the
    // NaN and negative minutes of the export are left out (216 went out, 206 with a usable time).
    expect(value(pilot!, 'nurse-hours-per-request')).toBeCloseTo(0.31280744336569577, 12);
    expect(pilot!.metrics.map((m) => [m.metric, m.samples])).toEqual([
      ['cycle-time-p50-hours', 216],
      ['cycle-time-p90-hours', 216],
      ['first-pass-approval-rate', 216],
      ['rework-rate', 216],
      ['override-rate', 225],
      ['nurse-hours-per-request', 206],
    ]);

    expect(twelve).toMatchObject({ encounters: 200, labelledOutcomes: 187, reviewed: 187, reviewedOf: 187 });
    expect(value(twelve!, 'cycle-time-p50-hours')).toBeCloseTo(33.9225, 9);
    expect(value(twelve!, 'cycle-time-p90-hours')).toBeCloseTo(93.21161111111111, 9);
    expect(value(twelve!, 'first-pass-approval-rate')).toBeCloseTo(0.7540106951871658, 12);
    expect(value(twelve!, 'rework-rate')).toBeCloseTo(0.1443850267379679, 12);
    expect(value(twelve!, 'override-rate')).toBeCloseTo(0.205, 12);
    expect(value(twelve!, 'nurse-hours-per-request')).toBeCloseTo(0.34126629422718807, 12);
    expect(twelve!.metrics.find((m) => m.metric === 'nurse-hours-per-request')?.samples).toBe(179);
  });

  it('compares a silent stage with production on the requests both drafted', async () => {
    const [silent] = (await measureStages(
      dir,
      LOG,
      [{ stage: 'silent', version: '1.5.0', compareWith: '1.3.2' }],
      NOW,
    )) as StageEvidence[];
    expect(silent).toMatchObject({ encounters: 120, reviewed: 62, reviewedOf: 120 });
    const c = silent!.comparison!;
    expect(c.version).toBe('1.3.2');
    expect(c.inputs).toBe(120);
    const pair = (metric: string) => c.metrics.find((m) => m.metric === metric)!;
    const expected: [string, number, number][] = [
      ['cycle-time-p50-hours', 34.22958333333334, 33.73125],
      ['cycle-time-p90-hours', 88.87725, 94.12541666666668],
      ['first-pass-approval-rate', 0.8083333333333333, 0.7583333333333333],
      ['rework-rate', 0.13333333333333333, 0.125],
      ['override-rate', 0.16129032258064516, 0.25],
      ['nurse-hours-per-request', 0.1517372881355932, 0.3294927536231884],
    ];
    for (const [metric, candidate, other] of expected) {
      expect(pair(metric).candidate).toBeCloseTo(candidate, 9);
      expect(pair(metric).other).toBeCloseTo(other, 9);
    }
  });

  it('counts nothing for a version a stage has not logged, and says why each metric has no value', async () => {
    const [none] = (await measureStages(
      dir,
      LOG,
      [{ stage: 'network', version: '1.4.0' }],
      NOW,
    )) as StageEvidence[];
    expect(none).toMatchObject({
      encounters: 0,
      labelledOutcomes: 0,
      reviewed: 0,
      reviewedOf: 0,
      metrics: [],
    });
    expect(none!.firstSeen).toBeUndefined();
    expect(none!.unmeasured.map((u) => u.reason)).toEqual([
      'no labelled outcome yet',
      'no labelled outcome yet',
      'no labelled outcome yet',
      'no labelled outcome yet',
      'no reviewed draft yet',
      'no reviewed draft yet',
    ]);
  });

  it('leaves unmeasured what the log has no column for, and names the column', async () => {
    const lean = ROWS.map(({ reworked: _r, human_reviewed: _h, overridden: _o, ...rest }) => rest);
    const csv = [Object.keys(lean[0]!).join(','), ...lean.map((r) => Object.values(r).join(','))].join('\n');
    write('lean.csv', csv);
    const [pilot] = (await measureStages(
      dir,
      { ...LOG, uri: 'data/lean.csv' },
      [{ stage: 'pilot-clinic', version: '1.4.0' }],
      NOW,
    )) as StageEvidence[];
    expect(pilot!.reviewed).toBeUndefined();
    expect(pilot!.reviewedOf).toBeUndefined();
    expect(pilot!.metrics.map((m) => m.metric)).toEqual([
      'cycle-time-p50-hours',
      'cycle-time-p90-hours',
      'first-pass-approval-rate',
      'nurse-hours-per-request',
    ]);
    // Without human_reviewed, only the drafts with a usable time count: 195 of the 216 that went out.
    expect(value(pilot!, 'nurse-hours-per-request')).toBeCloseTo(0.33045299145299145, 12);
    expect(pilot!.metrics.find((m) => m.metric === 'nurse-hours-per-request')?.samples).toBe(195);
    expect(pilot!.unmeasured).toEqual([
      { metric: 'rework-rate', reason: 'the inference log has no column reworked' },
      {
        metric: 'override-rate',
        reason: 'the inference log has no column overridden or substantially_edited or care_manager_override',
      },
    ]);
  });

  it('without a stage column, counts a version for the one stage that runs it, and for none when two do', async () => {
    const unstaged = ROWS.map(({ stage: _, ...rest }) => rest);
    const csv = [Object.keys(unstaged[0]!).join(','), ...unstaged.map((r) => Object.values(r).join(','))];
    write('unstaged.csv', csv.join('\n'));
    const log = { ...LOG, uri: 'data/unstaged.csv' };
    const [alone] = (await measureStages(
      dir,
      log,
      [{ stage: 'pilot-clinic', version: '1.4.0' }],
      NOW,
    )) as StageEvidence[];
    // Every 1.4.0 row is the pilot clinic's here, so the figures are those above.
    expect(alone).toMatchObject({ encounters: 240, labelledOutcomes: 216, reviewed: 205 });
    expect(value(alone!, 'cycle-time-p90-hours')).toBeCloseTo(65.10375, 9);
    const both = await measureStages(
      dir,
      log,
      [
        { stage: 'pilot-clinic', version: '1.4.0' },
        { stage: 'twelve-clinics', version: '1.4.0' },
      ],
      NOW,
    );
    expect(both.map((b) => ('problem' in b ? b.problem : 'measured'))).toEqual([
      'the inference log data/unstaged.csv has no column stage, and 1.4.0 runs in pilot-clinic and twelve-clinics: its rows cannot be told apart',
      'the inference log data/unstaged.csv has no column stage, and 1.4.0 runs in twelve-clinics and pilot-clinic: its rows cannot be told apart',
    ]);
  });

  it('reports a log without the version column, or one that does not exist, as a problem of every stage', async () => {
    write('no-version.csv', 'drafted_at,stage\n2026-11-01T00:00:00Z,pilot-clinic\n');
    const [a] = await measureStages(
      dir,
      { ...LOG, uri: 'data/no-version.csv' },
      [{ stage: 'pilot-clinic', version: '1.4.0' }],
      NOW,
    );
    expect(a).toMatchObject({
      problem: expect.stringContaining('the inference log data/no-version.csv has no column bundle_version'),
    });
    const [b] = await measureStages(
      dir,
      { ...LOG, uri: 'data/absent.csv' },
      [{ stage: 'pilot-clinic', version: '1.4.0' }],
      NOW,
    );
    expect(b).toMatchObject({ stage: 'pilot-clinic', problem: expect.stringContaining('absent.csv') });
  });
});

// The same queries in a real PostgreSQL over the same rows, giving the same NumPy figures: the SQL is what both
// engines accept. Skipped outside CI where PostgreSQL's server binaries are not installed.
describe.skipIf(!POSTGRES_RUNNABLE && !process.env.CI)('the stage evidence queries in PostgreSQL', () => {
  let server: PostgresServer | undefined;
  const header = Object.keys(ROWS[0]!);
  const options = {
    table: 'outcome_log',
    log: LOG,
    columns: logColumns(new Set(header)),
    now: NOW,
    dialect: POSTGRES,
  };
  const columns = [
    'encounters',
    'first_seen',
    'labelled',
    'reviewed',
    'review_due',
    'p50',
    'p90',
    'approved',
    'approved_samples',
    'reworked',
    'reworked_samples',
    'overridden',
    'overridden_samples',
  ];
  const rows = (sql: string, names: string[]) =>
    server!
      .psql(`${sql};\n`)
      .trim()
      .split('\n')
      .map((line) => Object.fromEntries(line.split('|').map((v, i) => [names[i], v === '' ? null : v])));

  beforeAll(async () => {
    server = await startPostgres();
    const types = header.map((c) => `${c} ${c.endsWith('_at') ? 'timestamptz' : 'text'}`).join(', ');
    const file = path.join(dir, 'data', 'prior-auth-drafts.csv');
    server.psql(
      `CREATE TABLE outcome_log (${types});\n\\copy outcome_log FROM '${file}' WITH (FORMAT csv, HEADER true)\n`,
    );
  }, 60_000);
  afterAll(() => server?.stop());

  it('measures a stage as DuckDB does', () => {
    const [row] = rows(stageEvidenceSql({ stage: 'pilot-clinic', version: '1.4.0' }, options), columns);
    const pilot = stageEvidenceFrom({ stage: 'pilot-clinic', version: '1.4.0' }, row!, options.columns);
    expect(pilot).toMatchObject({ encounters: 240, labelledOutcomes: 216, reviewed: 205, reviewedOf: 216 });
    expect(value(pilot, 'cycle-time-p50-hours')).toBeCloseTo(22.38986111111111, 9);
    expect(value(pilot, 'cycle-time-p90-hours')).toBeCloseTo(65.10375, 9);
    expect(value(pilot, 'first-pass-approval-rate')).toBeCloseTo(0.8287037037037037, 12);
    expect(value(pilot, 'rework-rate')).toBeCloseTo(0.09722222222222222, 12);
    expect(value(pilot, 'override-rate')).toBeCloseTo(0.16, 12);
  });

  it('compares on the same requests as DuckDB does', () => {
    const q = { stage: 'silent', version: '1.5.0', compareWith: '1.3.2' };
    const [row] = rows(stageEvidenceSql(q, options), columns);
    const paired = rows(pairedEvidenceSql(q, options), ['side', 'inputs', ...columns]);
    const silent = stageEvidenceFrom(q, row!, options.columns, paired);
    expect(silent.comparison?.inputs).toBe(120);
    const p90 = silent.comparison!.metrics.find((m) => m.metric === 'cycle-time-p90-hours')!;
    expect(p90.candidate).toBeCloseTo(88.87725, 9);
    expect(p90.other).toBeCloseTo(94.12541666666668, 9);
  });
});

describe('a log from another kind of use case', () => {
  it('reads the names a readmission log uses: outcome_recorded_at, encounter_id, care_manager_override', async () => {
    const at = (d: number) => new Date(NOW.getTime() - d * DAY).toISOString();
    const csv = [
      'encounter_id,scored_at,model_version,stage,outcome_recorded_at,care_manager_override',
      `E1,${at(40)},2.4.0,silent,${at(5)},false`,
      `E1,${at(40)},2.3.1,production,${at(5)},true`,
      `E2,${at(20)},2.4.0,silent,,false`,
      `E2,${at(20)},2.3.1,production,,false`,
      `E3,${at(10)},2.3.1,production,,false`,
    ].join('\n');
    write('readmission.csv', csv);
    const [silent] = (await measureStages(
      dir,
      { uri: 'data/readmission.csv', timestampColumn: 'scored_at', versionColumn: 'model_version' },
      [{ stage: 'silent', version: '2.4.0', compareWith: '2.3.1' }],
      NOW,
    )) as StageEvidence[];
    expect(silent).toMatchObject({ encounters: 2, labelledOutcomes: 1 });
    expect(silent!.reviewed).toBeUndefined();
    expect(value(silent!, 'override-rate')).toBe(0);
    expect(silent!.comparison).toEqual({
      version: '2.3.1',
      inputs: 2,
      metrics: [
        { metric: 'cycle-time-p50-hours', candidate: 840, other: 840 },
        { metric: 'cycle-time-p90-hours', candidate: 840, other: 840 },
        { metric: 'override-rate', candidate: 0, other: 0.5 },
      ],
    });
  });

  it('leaves labelled outcomes unmeasured when the log records no outcome time', async () => {
    write('no-outcomes.csv', `drafted_at,bundle_version,stage\n${NOW.toISOString()},1.4.0,pilot-clinic\n`);
    const [pilot] = (await measureStages(
      dir,
      { ...LOG, uri: 'data/no-outcomes.csv' },
      [{ stage: 'pilot-clinic', version: '1.4.0' }],
      NOW,
    )) as StageEvidence[];
    expect(pilot).toMatchObject({ encounters: 1, metrics: [] });
    expect(pilot!.labelledOutcomes).toBeUndefined();
  });
});
