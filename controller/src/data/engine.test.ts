import { mkdtempSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataEngine } from './engine.js';
import { DataSourceError, QueryError, SqlRefusedError } from './errors.js';

// Made at load time: the tables of cases below name paths inside it.
const root = mkdtempSync(path.join(tmpdir(), 'vigil-engine-'));
const repo = path.join(root, 'repo');
const outside = path.join(root, 'outside');

beforeAll(async () => {
  await mkdir(path.join(repo, 'data', 'parts'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(repo, 'data', 'feed.csv'), 'id,site,score\n1,north,0.5\n2,?,0.25\n3,,0.75\n');
  await writeFile(path.join(repo, 'data', 'parts', 'a.csv'), 'id,score\n1,0.1\n');
  await writeFile(path.join(repo, 'data', 'parts', 'b.csv'), 'id,score\n2,0.2\n');
  await writeFile(path.join(repo, 'data', 'feed.jsonl'), '{"id":1,"ok":true}\n{"id":2,"ok":false}\n');
  await writeFile(path.join(outside, 'secret.csv'), 'x\n42\n');
  await symlink(path.join(outside, 'secret.csv'), path.join(repo, 'data', 'link.csv'));
  // A Parquet file, written by DuckDB itself before any sandbox applies.
  const writer = await DataEngine.open(repo);
  await writer.register('feed', 'data/feed.csv');
  writer.close();
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(
    `COPY (SELECT 1 AS id, 0.5 AS score UNION ALL SELECT 2, 0.9) TO '${path.join(repo, 'data', 'feed.parquet')}' (FORMAT parquet)`,
  );
  c.closeSync();
  db.closeSync();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('DataEngine: registering files', () => {
  let engine: DataEngine;
  beforeEach(async () => {
    engine = await DataEngine.open(repo);
  });
  afterEach(() => engine.close());

  it('reads a CSV with null markers as NULL, the empty field included', async () => {
    await engine.register('feed', 'data/feed.csv', { nullMarkers: ['?'] });
    expect(await engine.query('SELECT count(*) AS n, count(site) AS sites FROM feed')).toEqual([
      { n: 3, sites: 1 },
    ]);
  });

  it('reads Parquet and JSON by extension, and a CSV glob', async () => {
    await engine.register('p', 'data/feed.parquet');
    await engine.register('j', 'data/feed.jsonl');
    await engine.register('g', 'data/parts/*.csv');
    expect(
      await engine.query(
        'SELECT (SELECT sum(score) FROM p) AS p, (SELECT count(*) FROM j WHERE ok) AS j, (SELECT count(*) FROM g) AS g',
      ),
    ).toEqual([{ p: 1.4, j: 1, g: 2 }]);
  });

  it('takes an explicit format over the extension, and a file:// URI inside the repository', async () => {
    await engine.register('f', `file://${path.join(repo, 'data', 'feed.csv')}`, { format: 'csv' });
    expect(await engine.query('SELECT count(*) AS n FROM f')).toEqual([{ n: 3 }]);
  });

  it('binds $parameters, a Date as a timestamp', async () => {
    await engine.register('feed', 'data/feed.csv');
    const rows = await engine.query(
      'SELECT count(*) AS n, $at + INTERVAL 1 DAY AS next FROM feed WHERE score > $min',
      { min: 0.3, at: new Date('2026-06-01T00:00:00Z'), unused: 'x' },
    );
    expect(rows).toEqual([{ n: 2, next: new Date('2026-06-02T00:00:00Z') }]);
  });

  it('lists the columns of a view', async () => {
    await engine.register('feed', 'data/feed.csv');
    expect(await engine.columns('feed')).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'site', type: 'VARCHAR' },
      { name: 'score', type: 'DOUBLE' },
    ]);
  });

  it.each([
    ['its dialect and types pinned', 'visits.csv', 'visit', true],
    ['a types name in another case, read by the names first', 'visits.csv', 'SITE', true],
    ["a quote in a column's name, sniffed at each query", 'quoted.csv', 'visit', false],
  ])('reads a CSV where it is exactly as into a table: %s', async (_, file, typed, pinned) => {
    await writeFile(
      path.join(repo, 'data', 'visits.csv'),
      'visit;Site;seen;flag;score\n1;"north; east";2026-01-02;Yes;0.5\n2;?;2026-02-03;No;\n3;"say ""hi""";?;Yes;1e3\n',
    );
    await writeFile(path.join(repo, 'data', 'quoted.csv'), "visit,it's\n1,a\n2,?\n");
    const options = { nullMarkers: ['?'], columnTypes: { [typed]: 'VARCHAR', flag: 'VARCHAR' } };
    await engine.register('t', `data/${file}`, options);
    await engine.register('v', `data/${file}`, { ...options, readWhereItIs: true });
    expect(await engine.columns('v')).toEqual(await engine.columns('t'));
    expect(await engine.query('SELECT * FROM v ORDER BY ALL')).toEqual(
      await engine.query('SELECT * FROM t ORDER BY ALL'),
    );
    const [view] = await engine.query("SELECT sql FROM duckdb_views() WHERE view_name = 'v'");
    expect(String(view!.sql).includes('auto_detect')).toBe(pinned);
  });

  it.each([
    [
      'a path escaping the repository',
      '../outside/secret.csv',
      'PathOutsideRepository',
      /outside the governance/,
    ],
    ['an absolute path outside it', '/etc/passwd', 'PathOutsideRepository', /outside the governance/],
    ['a symbolic link leading out', 'data/link.csv', 'PathOutsideRepository', /symbolic link/],
    ['a remote object store', 's3://bucket/feed.parquet', 'UnsupportedLocation', /s3:\/\/ is not supported/],
    ['an https URL', 'https://example.org/feed.csv', 'UnsupportedLocation', /only local files/],
    ['a missing file', 'data/nope.csv', 'DataSourceUnavailable', /no such file/],
    ['an unknown extension', 'data/feed.txt', 'UnsupportedFormat', /cannot tell the format/],
  ])('refuses %s', async (_, location, reason, message) => {
    const err = await engine.register('x', location).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataSourceError);
    expect(err).toMatchObject({ reason, message: expect.stringContaining(location) });
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a view name SQL cannot carry, and registering after the first query', async () => {
    await expect(engine.register('bad name', 'data/feed.csv')).rejects.toThrow(/cannot name a table/);
    await engine.register('feed', 'data/feed.csv');
    await engine.query('SELECT 1 AS one');
    await expect(engine.register('again', 'data/feed.csv')).rejects.toThrow(/sealed/);
  });
});

describe('DataEngine: the sandbox for SQL from specs', () => {
  let engine: DataEngine;
  beforeAll(async () => {
    engine = await DataEngine.open(repo);
    await engine.register('feed', 'data/feed.csv');
    await engine.register('parts', 'data/parts/*.csv');
    await engine.query('SELECT 1 AS one');
  });
  afterAll(() => engine.close());

  it.each([
    [
      'COPY ... TO a file',
      `COPY (SELECT * FROM feed) TO '${path.join(repo, 'out.csv')}'`,
      /a COPY statement/,
    ],
    ['COPY FROM into a table', `COPY feed FROM '${path.join(repo, 'data', 'feed.csv')}'`, /a COPY statement/],
    ['ATTACH a database', `ATTACH '${path.join(repo, 'x.duckdb')}' AS x`, /ATTACH statement/],
    ['CREATE TABLE', 'CREATE TABLE t AS SELECT 1', /CREATE statement/],
    ['INSTALL an extension', 'INSTALL httpfs', /statement/],
    ['SET a setting', 'SET enable_external_access = true', /SET statement/],
    ['PRAGMA, which DuckDB rewrites into a SELECT', 'PRAGMA version', /a PRAGMA statement/],
    ['a statement behind a comment', '/* SELECT */ -- SELECT\n DETACH x', /a DETACH statement/],
    ['an empty text', '  ', /found no statement/],
    ['two statements', 'SELECT 1; SELECT 2', /found 2 statements/],
    ['a query hidden after a harmless one', "SELECT 1; COPY feed TO '/tmp/x.csv'", /found 2 statements/],
    ['EXPLAIN', 'EXPLAIN SELECT * FROM feed', /EXPLAIN statement/],
    ['a DELETE behind a WITH', 'WITH t AS (SELECT 1) DELETE FROM feed', /a DELETE statement/],
    ['an UPDATE of the loaded data', 'UPDATE feed SET score = 0', /an UPDATE statement/],
    ['read_csv of /etc/passwd', "SELECT * FROM read_csv('/etc/passwd')", /outside the registered files/],
    [
      'read_text of a file beside the data',
      `SELECT * FROM read_text('${path.join(repo, 'data', 'feed.jsonl')}')`,
      /outside the registered files/,
    ],
    ['glob of the root', "SELECT * FROM glob('/*')", /outside the registered files/],
    ['a URL', "SELECT * FROM read_csv('https://example.org/x.csv')", /outside the registered files/],
  ])('refuses %s', async (_, sql, message) => {
    const err = await engine.query(sql).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqlRefusedError);
    expect((err as Error).message).toMatch(message);
  });

  it('does not read a file outside by a bare path either', async () => {
    await expect(engine.query("SELECT * FROM '/etc/passwd'")).rejects.toThrow(/does not exist/);
  });

  it('still reads the registered files after refusing', async () => {
    expect(await engine.query('SELECT count(*) AS n FROM feed')).toEqual([{ n: 3 }]);
    expect(await engine.query('WITH p AS (SELECT * FROM parts) SELECT count(*) AS n FROM p')).toEqual([
      { n: 2 },
    ]);
  });

  it('reports a query DuckDB cannot run without quoting values from the data', async () => {
    await expect(engine.query('SELECT nope FROM feed')).rejects.toThrow(QueryError);
    const err = await engine
      .query("SELECT CAST(site AS INTEGER) FROM feed WHERE site = 'north'")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect((err as Error).message).toMatch(/Conversion Error/);
    expect((err as Error).message).not.toContain('north');
  });

  it('names a $parameter that is not defined', async () => {
    await expect(engine.query('SELECT $when AS w', { now: new Date() })).rejects.toThrow(
      'the query uses $when, which is not defined; it may use $now',
    );
  });
});

describe('DataEngine: queries at once', () => {
  it('refuses reads outside the registered files on every connection, from queries started together', async () => {
    const engine = await DataEngine.open(repo, { queriesAtOnce: 3 });
    try {
      await engine.register('feed', 'data/feed.csv');
      // Started together, with the seal the first of them sets: every one waits for it, whatever connection it gets.
      const outcomes = await Promise.all([
        engine.query('SELECT count(*) AS n FROM feed'),
        ...Array.from({ length: 5 }, () =>
          engine
            .query(`SELECT * FROM read_csv('${path.join(outside, 'secret.csv')}')`)
            .catch((e: unknown) => e),
        ),
        engine.query("SELECT current_setting('TimeZone') AS tz"),
      ]);
      expect(outcomes[0]).toEqual([{ n: 3 }]);
      for (const refused of outcomes.slice(1, 6)) {
        expect(refused).toBeInstanceOf(SqlRefusedError);
        expect((refused as Error).message).toMatch(/outside the registered files/);
      }
      expect(outcomes[6]).toEqual([{ tz: 'UTC' }]);
    } finally {
      engine.close();
    }
  });

  it('runs more queries than it has connections, each with its own result, in any order of finishing', async () => {
    const engine = await DataEngine.open(repo, { queriesAtOnce: 2 });
    try {
      await engine.register('feed', 'data/feed.csv');
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          engine.query(`SELECT ${i} AS i, count(*) AS n FROM feed, range(${(i % 3) * 20000})`),
        ),
      );
      expect(results).toEqual(Array.from({ length: 12 }, (_, i) => [{ i, n: 3 * (i % 3) * 20000 }]));
    } finally {
      engine.close();
    }
  });
});
