// `vigil contract test` as a user runs it: the example encounter contract over the real UCI sample the project
// ships, its missing shares held against a count made here without the engine; its output formats, exit codes,
// a file by URL, and --report into a real (local) cluster.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { installCrds, readCrds } from '../controller/src/apply/index.js';
import { type LocalCluster, startLocalCluster } from '../controller/src/local-cluster/index.js';
import { kubeconfigFor } from '../controller/src/local-cluster/kubeconfig.js';
import { ClusterClient, loadKubeConfig } from '../controller/src/runtime/index.js';
import { runVigil } from './support/cli-output.js';

const ROOT = resolve(import.meta.dirname, '..');
const CONTRACT = join(ROOT, 'examples/care-management/inpatient-encounters.yaml');
const SAMPLE = join(ROOT, 'examples/data/uci-diabetes-130/encounters-sample.csv');

/** `vigil ...args` in process, as main.ts runs it: what a terminal would show and the exit code. */
const vigil = (...args: string[]) => runVigil(args);

interface JsonReport {
  result: string;
  rows: number;
  rulesChecked: number;
  where: string;
  engine: string;
  rules: {
    rule: string;
    property?: string;
    check: string;
    rows: number;
    failures?: number;
    share?: number;
    result: string;
  }[];
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vigil-contract-test-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

// The independent count: the sample read here with Node, line by line (it has no quoted fields, which the test
// checks first), counting per column the cells the feed writes for a missing value ("?") or leaves empty.
function countMissing(): { rows: number; missing: Record<string, number> } {
  const text = readFileSync(SAMPLE, 'utf8');
  expect(text.includes('"')).toBe(false);
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const columns = header!.split(',');
  const missing = Object.fromEntries(columns.map((c) => [c, 0]));
  for (const line of lines) {
    const cells = line.split(',');
    expect(cells).toHaveLength(columns.length);
    cells.forEach((cell, i) => {
      if (cell === '?' || cell === '') missing[columns[i]!]! += 1;
    });
  }
  return { rows: lines.length, missing };
}

describe('vigil contract test: the encounter contract on the real UCI sample', () => {
  it('reports the true missing share of every column', async () => {
    const counted = countMissing();
    // The figures the count gives, kept here: 5399 encounters, race missing in 109 (2.019%), nothing else missing.
    expect(counted.rows).toBe(5399);
    expect(Object.entries(counted.missing).filter(([, n]) => n > 0)).toEqual([['race', 109]]);

    const r = await vigil('contract', 'test', CONTRACT, '-o', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as JsonReport;
    expect(report).toMatchObject({ result: 'Passed', rows: 5399, rulesChecked: 92, engine: 'duckdb' });
    expect(report.where).toBe('sample: data/uci-diabetes-130/encounters-sample.csv');

    // The nullable column: its missingValues rule.
    const race = report.rules.find((x) => x.rule === 'race-mostly-recorded')!;
    expect(race).toMatchObject({
      property: 'race',
      rows: 5399,
      failures: counted.missing.race,
      result: 'pass',
    });
    expect(race.share).toBeCloseTo((100 * counted.missing.race!) / counted.rows, 10);
    // Every required column: the nulls its required rule counted.
    const required = report.rules.filter((x) => x.rule.endsWith('.required'));
    expect(required).toHaveLength(43);
    for (const rule of required) {
      expect(rule.failures, rule.property).toBe(counted.missing[rule.property!]);
      expect(rule.share, rule.property).toBe((100 * counted.missing[rule.property!]!) / counted.rows);
    }
  });

  it('prints a table of counts, and nothing from the data', async () => {
    const r = await vigil('contract', 'test', CONTRACT);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^RULE\s+ELEMENT\s+CHECK\s+ROWS\s+FAILURES\s+SHARE\s+VALUE\s+THRESHOLD\s+RESULT$/,
    );
    expect(lines.find((l) => l.startsWith('race-mostly-recorded'))).toMatch(
      /^race-mostly-recorded\s+encounters\.race\s+missingValues\s+5399\s+109\s+2\.019%\s+must be less than 5%\s+PASS$/,
    );
    expect(lines.at(-1)).toBe(
      'Passed: inpatient-encounters 1.2.0 against sample: data/uci-diabetes-130/encounters-sample.csv (duckdb): 92 passed, 0 failed, 0 not checked',
    );
    // Identifiers of the first encounter and patient in the sample appear nowhere.
    for (const value of ['2278392', '8222157']) expect(r.out + r.err).not.toContain(value);
  });

  it('fails with exit 1 and a JUnit failure for each rule that does not hold', async () => {
    const doc = parse(readFileSync(CONTRACT, 'utf8'));
    const race = doc.spec.schema[0].properties.find((p: { name: string }) => p.name === 'race');
    race.quality[1].mustBeLessThan = 2;
    doc.spec.schema[0].quality[0].mustBeGreaterThan = 10_000;
    const file = join(work, 'stricter.yaml');
    writeFileSync(file, stringify(doc));
    const r = await vigil('contract', 'test', file, '--root', join(ROOT, 'examples'), '-o', 'junit');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="vigil contract test" tests="92" failures="2" errors="0">/,
    );
    expect(r.out.match(/<testcase /g)).toHaveLength(92);
    expect(r.out.match(/<failure /g)).toHaveLength(2);
    expect(r.out).toContain(
      '<testcase classname="inpatient-encounters.encounters.race" name="race-mostly-recorded: missingValues">\n      <failure message="race: missingValues 2.019% must be less than 2% (109 of 5399 rows)" type="RuleFailed">',
    );
  });

  it('reads a local file with --data, named as it was typed', async () => {
    const r = await vigil('contract', 'test', CONTRACT, '--data', SAMPLE, '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ result: 'Passed', rows: 5399, where: `--data: ${SAMPLE}` });
  });

  it('reads the data by URL with --data', async () => {
    const server: Server = createServer((req, res) => {
      if (req.url !== '/extract/encounters.csv') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/csv' }).end(readFileSync(SAMPLE));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    try {
      const url = `http://127.0.0.1:${port}/extract/encounters.csv`;
      const r = await vigil('contract', 'test', CONTRACT, '--data', url, '-o', 'json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ result: 'Passed', rows: 5399, where: `--data: ${url}` });
      const gone = await vigil(
        'contract',
        'test',
        CONTRACT,
        '--data',
        `http://127.0.0.1:${port}/nothing.csv`,
      );
      expect(gone.code).toBe(1);
      expect(gone.err).toBe(
        `vigil: inpatient-encounters: the test could not run: http://127.0.0.1:${port}/nothing.csv: the server answered 404\n`,
      );
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('shows progress on stderr when it is a terminal, and clears it before the result', async () => {
    const was = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const r = await vigil('contract', 'test', CONTRACT, '-o', 'json');
      expect(r.code).toBe(0);
      expect(r.err.split('\r\u001b[K').filter(Boolean)).toEqual([
        '[1/2] encounters: 91 counts in one pass',
        '[2/2] encounters: readmission-rate-plausible',
      ]);
      expect(JSON.parse(r.out)).toMatchObject({ result: 'Passed' });
    } finally {
      if (was) Object.defineProperty(process.stderr, 'isTTY', was);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
  });

  it('exits 2 on a usage error', async () => {
    expect((await vigil('contract', 'test', CONTRACT, '-o', 'csv')).code).toBe(2);
    expect((await vigil('contract', 'test', CONTRACT, '--now', 'yesterday')).code).toBe(2);
    const both = await vigil('contract', 'test', CONTRACT, '--data', SAMPLE, '--report');
    expect(both.code).toBe(2);
    expect(both.err).toBe(
      "vigil: --report records a test of the contract's own server; a test of --data is not reported\n",
    );
    expect((await vigil('contract', 'test')).code).toBe(2);
  });

  it('exits 1 when it cannot read the contract, or the server named is not there', async () => {
    const none = await vigil('contract', 'test', join(work, 'nothing.yaml'));
    expect(none).toMatchObject({
      code: 1,
      err: `vigil: cannot read ${join(work, 'nothing.yaml')}: no such file\n`,
    });
    const r = await vigil('contract', 'test', CONTRACT, '--server', 'nowhere', '-o', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ result: 'Error' });
    expect(r.err).toBe(
      'vigil: inpatient-encounters: the test could not run: the contract has no server "nowhere"; its servers: lakehouse-prod (databricks), sample (local)\n',
    );
  });
});

describe('vigil contract test: where the login goes', () => {
  // The governance repository's CI runs this on a pull request's contract, with a login in its environment: the
  // author of the pull request names the host, and must not collect the login there.
  it('does not send PGUSER and PGPASSWORD to a host the contract names unless it is PGHOST or listed', async () => {
    const connections: number[] = [];
    const trap = createTcpServer((socket) => {
      connections.push(1);
      socket.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    const port = (trap.address() as { port: number }).port;
    const doc = parse(readFileSync(CONTRACT, 'utf8'));
    doc.spec.servers.push({
      server: 'warehouse',
      type: 'postgres',
      host: '127.0.0.1',
      port,
      database: 'clinical',
      schema: 'inpatient',
    });
    const file = join(work, 'pointed-elsewhere.yaml');
    writeFileSync(file, stringify(doc));
    vi.stubEnv('PGUSER', 'ci-reader');
    vi.stubEnv('PGPASSWORD', 'ci-secret');
    vi.stubEnv('PGHOST', 'db.internal');
    vi.stubEnv('VIGIL_DATA_HOSTS', '');
    try {
      const r = await vigil('contract', 'test', file, '--server', 'warehouse');
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `vigil: inpatient-encounters: the test could not run: server warehouse names host 127.0.0.1:${port}; the PostgreSQL login in this environment (PGUSER, PGPASSWORD) is sent only to PGHOST (db.internal) or a host listed in VIGIL_DATA_HOSTS or the controller's --data-host (none is): list 127.0.0.1 there if it is your database\n`,
      );
      expect(connections).toEqual([]);
      // Listed, the same command does connect: the refusal above was the list at work.
      vi.stubEnv('VIGIL_DATA_HOSTS', `127.0.0.1:${port}`);
      const listed = await vigil('contract', 'test', file, '--server', 'warehouse');
      expect(listed.code).toBe(1);
      expect(connections.length).toBeGreaterThan(0);
      expect(listed.err).toContain('cannot connect');
    } finally {
      vi.unstubAllEnvs();
      trap.close();
    }
  });
});

describe('vigil contract test --report', () => {
  let cluster: LocalCluster;
  let kubeconfig: string;
  beforeAll(async () => {
    cluster = await startLocalCluster({ kubeconfigPath: join(work, 'kubeconfig') });
    kubeconfig = cluster.kubeconfigPath;
    const client = new ClusterClient(loadKubeConfig({ kubeconfig }));
    await installCrds(client, readCrds(join(ROOT, 'crd')));
    await client.core.createNamespace({ body: { metadata: { name: 'care-management' } } });
    const doc = parse(readFileSync(CONTRACT, 'utf8'));
    await client.customObjects.createNamespacedCustomObject({
      group: 'vigil.dev',
      version: 'v1alpha1',
      namespace: 'care-management',
      plural: 'datacontracts',
      body: doc,
    });
    client.close();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("writes the result to the DataContract's status, counts only", async () => {
    const r = await vigil(
      'contract',
      'test',
      CONTRACT,
      '--report',
      '--kubeconfig',
      kubeconfig,
      '--now',
      '2026-06-01T06:00:00Z',
    );
    expect(r.code).toBe(0);
    expect(r.err).toBe('Reported to DataContract care-management/inpatient-encounters: Passed\n');
    const client = new ClusterClient(loadKubeConfig({ kubeconfig }));
    const obj = (await client.customObjects.getNamespacedCustomObject({
      group: 'vigil.dev',
      version: 'v1alpha1',
      namespace: 'care-management',
      plural: 'datacontracts',
      name: 'inpatient-encounters',
    })) as { status?: { lastTest?: unknown } };
    client.close();
    expect(obj.status?.lastTest).toEqual({
      result: 'Passed',
      version: '1.2.0',
      at: '2026-06-01T06:00:00Z',
      where: 'sample: data/uci-diabetes-130/encounters-sample.csv',
      rows: 5399,
      rulesChecked: 92,
    });
  });

  it('says in one line that the cluster does not answer', async () => {
    const closed = createTcpServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const { port } = closed.address() as { port: number };
    await new Promise((done) => closed.close(done));
    const file = join(work, 'closed.kubeconfig');
    writeFileSync(file, kubeconfigFor(`http://127.0.0.1:${port}`));
    const r = await vigil('contract', 'test', CONTRACT, '--report', '--kubeconfig', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `vigil: cannot reach the cluster at http://127.0.0.1:${port}; is \`npm start\` running, is KUBECONFIG set?\n`,
    );
  });
});
