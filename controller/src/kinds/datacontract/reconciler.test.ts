// The DataContract reconciler tests the contract's data on the contract's own schedule, on whichever engine its
// server needs, and writes counts only to status.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DataContract, type DataContractSpec } from '../../../../specs/datacontract.js';
import { type OpenSourceOptions, openSource } from '../../data/contract-source.js';
import { DataHosts } from '../../data/data-hosts.js';
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
    expect(controllerServer(withWarehouse, { env: { PGUSER: 'vigil', PGHOST: 'db' } })).toMatchObject({
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
    const result = await dataContractController({ open, env: { PGUSER: 'vigil', PGHOST: 'db' } }).reconcile(
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

// Anyone who may create a DataContract in one namespace writes its servers. The controller's own login
// (PGUSER, PGPASSWORD, DATABRICKS_TOKEN) must not follow a contract's host to a server of theirs, and the
// controller must not fetch a URL a contract names from inside the cluster's network.
describe('a contract naming a host the operator did not list', () => {
  /** A TCP server that records each connection and says nothing: where an attacker would collect a login. */
  async function listener() {
    const connections: string[] = [];
    const server = net.createServer((socket) => {
      socket.once('data', (chunk) => connections.push(chunk.toString('latin1')));
      setTimeout(() => socket.destroy(), 200);
    });
    server.on('connection', () => connections.push('connected'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    return { connections, port, close: () => new Promise<void>((r) => server.close(() => r())) };
  }
  const login = { PGUSER: 'vigil', PGPASSWORD: 'controller-secret', PGHOST: 'db.internal' };
  /** The contract was not tested, and its Tested condition says why, in these words. */
  const expectRefused = (result: { status?: { conditions?: unknown[] } }, message: string) =>
    expect(result.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Tested', status: 'Unknown', reason: 'HostNotAllowed', message }),
    );
  const pointedAt = (port: number) => {
    const obj = exampleObject();
    obj.spec.servers = [
      { server: 'warehouse', type: 'postgres', host: '127.0.0.1', port, database: 'd', schema: 's' },
    ];
    return obj;
  };

  it('does not send the PostgreSQL login there, and says why in the Tested condition', async () => {
    const trap = await listener();
    try {
      const result = await dataContractController({ env: login }).reconcile(ctxAt(NOW), pointedAt(trap.port));
      expect(trap.connections).toEqual([]);
      expectRefused(
        result,
        `server warehouse names host 127.0.0.1:${trap.port}; the PostgreSQL login in this environment (PGUSER, PGPASSWORD) is sent only to PGHOST (db.internal) or a host listed in VIGIL_DATA_HOSTS or the controller's --data-host (none is): list 127.0.0.1 there if it is your database`,
      );
      expect(result.status?.lastTest ?? null).toBeNull();
      expect(JSON.stringify(result)).not.toContain('controller-secret');
    } finally {
      await trap.close();
    }
  });

  it('does connect once the operator lists the host (so the refusal above is the allow-list at work)', async () => {
    const trap = await listener();
    try {
      const hosts = DataHosts.from({ VIGIL_DATA_HOSTS: `127.0.0.1:${trap.port}` });
      const result = await dataContractController({ env: login, hosts }).reconcile(
        ctxAt(NOW),
        pointedAt(trap.port),
      );
      expect(trap.connections[0]).toBe('connected');
      expect(result.status?.lastTest).toMatchObject({ result: 'Error' });
    } finally {
      await trap.close();
    }
  });

  it('does not send DATABRICKS_TOKEN to a workspace host the contract names', async () => {
    const obj = exampleObject();
    obj.spec.servers = [
      { server: 'lake', type: 'databricks', host: 'token-catcher.example', catalog: 'c', schema: 's' },
    ];
    const workspace = {
      DATABRICKS_HOST: 'adb-1.azuredatabricks.net',
      DATABRICKS_HTTP_PATH: '/sql/1.0/warehouses/1',
      DATABRICKS_TOKEN: 'dapi-controller',
    };
    const opened: string[] = [];
    const open: typeof openSource = async (spec, options) => {
      opened.push(options.server ?? '');
      return openSource(spec, options);
    };
    const result = await dataContractController({ env: workspace, open }).reconcile(ctxAt(NOW), obj);
    expect(opened).toEqual([]);
    expect(result.status?.conditions).toContainEqual(
      expect.objectContaining({
        type: 'Tested',
        reason: 'HostNotAllowed',
        message: expect.stringContaining(
          'server lake names host token-catcher.example; DATABRICKS_TOKEN is sent only to DATABRICKS_HOST (adb-1.azuredatabricks.net)',
        ),
      }),
    );
  });

  it('does not fetch a data URL from a host nobody listed', async () => {
    const trap = await listener();
    try {
      const obj = exampleObject();
      obj.spec.servers = [
        { server: 'sample', type: 'custom', path: `http://127.0.0.1:${trap.port}/latest/meta-data/x.csv` },
      ];
      const result = await dataContractController({ dataDir: GOVERNANCE_ROOT, env: {} }).reconcile(
        ctxAt(NOW),
        obj,
      );
      expect(trap.connections).toEqual([]);
      expectRefused(
        result,
        `server sample names host 127.0.0.1, which this controller does not reach: it reads only from a host listed in VIGIL_DATA_HOSTS or the controller's --data-host (none is)`,
      );
    } finally {
      await trap.close();
    }
  });
});
