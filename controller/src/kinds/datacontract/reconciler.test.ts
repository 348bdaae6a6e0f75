// The DataContract reconciler tests the contract's data on the contract's own schedule, on whichever engine its
// server needs, and writes counts only to status.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DataContract, type DataContractSpec } from '../../../../specs/datacontract.js';
import { type OpenSourceOptions, openSource } from '../../data/contract-source.js';
import type { KubeObject, ReconcileContext } from '../../runtime/index.js';
import { controllerServer, dataContractController } from './reconciler.js';
import { nextTestAt } from './test-schedule.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../../..');
const GOVERNANCE_ROOT = path.join(REPO, 'examples');
const NOW = new Date('2026-06-01T06:00:00Z');
const HOUR = 3_600_000;

const exampleObject = (): KubeObject & { spec: DataContractSpec } => {
  const doc = DataContract.parse(
    parse(readFileSync(path.join(REPO, 'examples/care-management/inpatient-encounters.yaml'), 'utf8')),
  );
  return { ...doc, metadata: { ...doc.metadata, generation: 1 } } as never;
};
const ctxAt = (now: Date) => ({ now, cache: { list: () => [] } }) as unknown as ReconcileContext;

/** openSource, counting what it was asked to open. */
function counting(redirect?: Partial<OpenSourceOptions>) {
  const opened: (string | undefined)[] = [];
  const open = (spec: DataContractSpec, options: OpenSourceOptions) => {
    opened.push(options.server);
    return openSource(spec, { ...options, ...redirect });
  };
  return { opened, open };
}

describe('nextTestAt: the contract schedule', () => {
  const spec = exampleObject().spec;
  it('follows an SLA frequency when no rule has a schedule', () => {
    expect(nextTestAt(spec, NOW)).toEqual(new Date(NOW.getTime() + 24 * HOUR));
    const sixHourly = { ...spec, slaProperties: [{ property: 'frequency', value: 6, unit: 'h' }] };
    expect(nextTestAt(sixHourly, NOW)).toEqual(new Date(NOW.getTime() + 6 * HOUR));
  });

  it('follows the earliest cron schedule of the quality rules, in UTC', () => {
    const scheduled = structuredClone(spec);
    scheduled.schema![0]!.quality![0]!.schedule = '0 20 * * *';
    scheduled.schema![0]!.quality![0]!.scheduler = 'cron';
    scheduled.schema![0]!.properties![2]!.quality![0]!.schedule = '30 7 * * *';
    expect(nextTestAt(scheduled, NOW)).toEqual(new Date('2026-06-01T07:30:00Z'));
  });

  it('is once a day when the contract says nothing', () => {
    expect(nextTestAt({ ...spec, slaProperties: [] }, NOW)).toEqual(new Date(NOW.getTime() + 24 * HOUR));
  });
});

describe('dataContractController', () => {
  it('tests the sample file, writes counts only, and comes back when the SLA frequency says', async () => {
    const { opened, open } = counting();
    const controller = dataContractController({ dataDir: GOVERNANCE_ROOT, open, env: {} });
    const obj = exampleObject();
    const first = await controller.reconcile(ctxAt(NOW), obj);
    expect(opened).toEqual(['sample']);
    expect(first.status?.lastTest).toEqual({
      result: 'Passed',
      version: '1.2.0',
      at: '2026-06-01T06:00:00Z',
      where: 'sample: data/uci-diabetes-130/encounters-sample.csv',
      rows: 5399,
      rulesChecked: 92,
    });
    expect(first.requeueAfter).toBe(24 * HOUR);

    // Three hours on, with that status: the result stands, and the next test is 21 hours away.
    const tested = { ...obj, status: { ...first.status, observedGeneration: 1 } };
    const later = await controller.reconcile(ctxAt(new Date(NOW.getTime() + 3 * HOUR)), tested);
    expect(opened).toHaveLength(1);
    expect(later.requeueAfter).toBe(21 * HOUR);

    // A day on, it tests again.
    await controller.reconcile(ctxAt(new Date(NOW.getTime() + 24 * HOUR)), tested);
    expect(opened).toHaveLength(2);
  });

  it('tests a PostgreSQL server only with a login, and a Databricks one only when a workspace is set', () => {
    const spec = exampleObject().spec;
    const warehouse = {
      server: 'warehouse',
      type: 'postgres',
      host: 'db',
      port: 5432,
      database: 'd',
      schema: 's',
    } as const;
    const withWarehouse = { ...spec, servers: [...spec.servers!, warehouse] };
    expect(controllerServer(withWarehouse, { env: { PGUSER: 'vigil' } })).toMatchObject({
      server: 'warehouse',
    });
    expect(controllerServer({ ...spec, servers: [warehouse] }, { env: {} })).toEqual({
      reason: 'NoReadableServer',
      message:
        'no server the controller can read: set PGUSER and PGPASSWORD to test warehouse; servers: warehouse (postgres)',
    });
    expect(controllerServer(spec, { env: {} })).toEqual({
      reason: 'NoDataSource',
      message: 'the controller runs without a data directory',
    });
    const onlyLakehouse = { ...spec, servers: [spec.servers![0]!] };
    expect(controllerServer(onlyLakehouse, { env: {} })).toMatchObject({ reason: 'NoReadableServer' });
    expect(
      controllerServer(onlyLakehouse, {
        env: {
          DATABRICKS_HOST: 'x.cloud.databricks.com',
          DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/1',
          DATABRICKS_TOKEN: 't',
        },
      }),
    ).toMatchObject({ server: 'lakehouse-prod' });
  });

  it('runs the same test for a database server on its schedule', async () => {
    // The database is stood in for by the sample file, through the same runner: what matters here is which
    // server the controller asks for, and when.
    const { opened, open } = counting({ server: 'sample', baseDir: GOVERNANCE_ROOT });
    const obj = exampleObject();
    obj.spec.servers = [
      { server: 'warehouse', type: 'postgres', host: 'db', port: 5432, database: 'd', schema: 's' },
      ...obj.spec.servers!,
    ];
    obj.spec.schema![0]!.quality![0]!.schedule = '0 20 * * *';
    obj.spec.schema![0]!.quality![0]!.scheduler = 'cron';
    const result = await dataContractController({ open, env: { PGUSER: 'vigil' } }).reconcile(
      ctxAt(NOW),
      obj,
    );
    expect(opened).toEqual(['warehouse']);
    expect(result.status?.lastTest).toMatchObject({ result: 'Passed', rows: 5399 });
    expect(result.requeueAfter).toBe(14 * HOUR);
    expect(result.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Tested', status: 'True', message: 'tested against server warehouse' }),
    );
  });

  it('keeps a result vigil contract test --report wrote when it cannot test the data itself', async () => {
    const reported = {
      result: 'Failed' as const,
      version: '1.2.0',
      at: '2026-06-01T05:00:00Z',
      where: 'lakehouse-prod: databricks clinical.inpatient',
      rows: 120000,
      rulesChecked: 92,
      failures: [
        {
          rule: 'race-mostly-recorded',
          message: 'race: missingValues 6% must be less than 5% (7200 of 120000 rows)',
        },
      ],
    };
    const obj = { ...exampleObject(), status: { lastTest: reported, observedGeneration: 1 } };
    const result = await dataContractController({ env: {} }).reconcile(ctxAt(NOW), obj);
    expect(result.status?.lastTest).toEqual(reported);
    expect(result.requeueAfter).toBeUndefined();
  });
});
