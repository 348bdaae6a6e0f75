import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataSourceError } from './errors.js';
import { formatOf, globBase, isInside, resolveDataLocation } from './location.js';
import { ident, literal, readerSql } from './sql.js';

const base = path.resolve('/repo/governance');

describe('resolveDataLocation', () => {
  it.each([
    ['a relative path', 'data/feed.csv', '/repo/governance/data/feed.csv', false],
    ['a ./ path', './data/feed.csv', '/repo/governance/data/feed.csv', false],
    ['a path that comes back inside', 'data/../data/feed.csv', '/repo/governance/data/feed.csv', false],
    ['an absolute path inside', '/repo/governance/feed.parquet', '/repo/governance/feed.parquet', false],
    [
      'a file:// URI inside',
      'file:///repo/governance/data/feed.csv',
      '/repo/governance/data/feed.csv',
      false,
    ],
    ['a glob', 'data/2026-*/part-*.parquet', '/repo/governance/data/2026-*/part-*.parquet', true],
  ])('resolves %s', (_, location, expected, glob) => {
    expect(resolveDataLocation(base, location)).toEqual({ written: location, path: expected, glob });
  });

  it.each([
    ['../other/feed.csv', 'PathOutsideRepository'],
    ['data/../../feed.csv', 'PathOutsideRepository'],
    ['/etc/passwd', 'PathOutsideRepository'],
    ['/repo/governance-twin/feed.csv', 'PathOutsideRepository'],
    ['file:///etc/passwd', 'PathOutsideRepository'],
    ['s3://bucket/feed.parquet', 'UnsupportedLocation'],
    ['gs://bucket/feed.parquet', 'UnsupportedLocation'],
    ['https://example.org/feed.csv', 'UnsupportedLocation'],
    ['abfss://container@account.dfs.core.windows.net/feed', 'UnsupportedLocation'],
  ])('refuses %s (%s)', (location, reason) => {
    const err = (() => {
      try {
        resolveDataLocation(base, location);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DataSourceError);
    expect(err).toMatchObject({
      reason,
      message: expect.stringMatching(new RegExp(`^${location.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `)),
    });
  });
});

describe('isInside and globBase', () => {
  it.each([
    ['/a/b', '/a/b', true],
    ['/a/b', '/a/b/c', true],
    ['/a/b', '/a/bc', false],
    ['/a/b', '/a', false],
  ])('%s holds %s: %s', (root, target, inside) => {
    expect(isInside(root, target)).toBe(inside);
  });

  it('takes the directory before the first glob segment', () => {
    expect(globBase('/r/data/2026-*/part-*.parquet')).toBe('/r/data');
    expect(globBase('/r/data/*.csv')).toBe('/r/data');
  });
});

describe('formatOf', () => {
  it.each([
    ['feed.csv', undefined, 'csv'],
    ['feed.tsv', undefined, 'csv'],
    ['feed.csv.gz', undefined, 'csv'],
    ['feed.parquet', undefined, 'parquet'],
    ['feed.jsonl', undefined, 'json'],
    ['feed.ndjson', undefined, 'json'],
    ['feed.json', undefined, 'json'],
    ['feed.dat', 'csv', 'csv'],
    ['feed.csv', 'Parquet', 'parquet'],
  ])('%s with format %s is %s', (location, explicit, expected) => {
    expect(formatOf(location, explicit)).toBe(expected);
  });

  it('refuses formats it cannot read', () => {
    expect(() => formatOf('feed.avro')).toThrow('feed.avro: cannot tell the format from the extension');
    expect(() => formatOf('table', 'delta')).toThrow(
      'table: format "delta" cannot be read; expected one of csv, parquet, json',
    );
  });
});

describe('SQL quoting', () => {
  it('quotes identifiers and literals, doubling the quote inside', () => {
    expect(ident('glyburide-metformin')).toBe('"glyburide-metformin"');
    expect(ident('a"b')).toBe('"a""b"');
    expect(literal("O'Brien")).toBe("'O''Brien'");
  });

  it('reads a CSV with the empty field and the null markers as NULL', () => {
    expect(readerSql('/r/a.csv', { format: 'csv', nullMarkers: ['?', ''] })).toBe(
      "read_csv('/r/a.csv', header = true, nullstr = ['', '?'])",
    );
    expect(readerSql('/r/a.parquet', { format: 'parquet' })).toBe("read_parquet('/r/a.parquet')");
  });
});
