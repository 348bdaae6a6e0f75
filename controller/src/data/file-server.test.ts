import { describe, expect, it } from 'vitest';
import { dataContractSpec } from '../../../specs/datacontract.js';
import { fileServerOf, objectPath } from './file-server.js';

const spec = (servers: object[]) =>
  dataContractSpec.parse({ id: 'c', version: '1.0.0', status: 'active', ownerTeam: 'org/team', servers });
const warehouse = { server: 'prod', type: 'databricks', catalog: 'c', schema: 's' };

describe('fileServerOf', () => {
  it.each([
    [
      'the first server with a file',
      [warehouse, { server: 'sample', type: 'local', path: 'data/a.csv', format: 'csv' }],
      undefined,
      { server: 'sample', path: 'data/a.csv', format: 'csv' },
    ],
    [
      'a custom server with a path',
      [{ server: 'dev', type: 'custom', path: 'data/a.parquet' }],
      undefined,
      { server: 'dev', path: 'data/a.parquet' },
    ],
    [
      'a file:// location',
      [{ server: 'dev', type: 'custom', location: 'file:///repo/a.json', format: 'json' }],
      undefined,
      { server: 'dev', path: 'file:///repo/a.json', format: 'json' },
    ],
    [
      'the server named',
      [
        { server: 'a', type: 'local', path: 'a.csv', format: 'csv' },
        { server: 'b', type: 'local', path: 'b.csv', format: 'csv' },
      ],
      'b',
      { server: 'b', path: 'b.csv', format: 'csv' },
    ],
  ])('picks %s', (_, servers, name, expected) => {
    expect(fileServerOf(spec(servers), name)).toEqual(expected);
  });

  it('says why no server can be read', () => {
    expect(fileServerOf(spec([warehouse]), 'prod')).toEqual({
      error: expect.stringMatching(
        /^server prod is of type databricks, which contract tests cannot read yet/,
      ),
    });
    expect(fileServerOf(spec([warehouse]))).toEqual({
      error: expect.stringMatching(/; servers: prod \(databricks\)$/),
    });
    expect(fileServerOf(spec([]))).toEqual({ error: expect.stringMatching(/; servers: none$/) });
  });
});

describe('objectPath', () => {
  const server = { server: 's', path: 'data/{object}.csv' };
  it('names each object’s file, or takes the one path for one object', () => {
    expect(objectPath(server, 'encounters', 2)).toBe('data/encounters.csv');
    expect(objectPath({ server: 's', path: 'data/{model}.csv' }, 'visits', 2)).toBe('data/visits.csv');
    expect(objectPath({ server: 's', path: 'data/a.csv' }, 'encounters', 1)).toBe('data/a.csv');
  });
  it('refuses one path for several objects', () => {
    expect(objectPath({ server: 's', path: 'data/a.csv' }, 'encounters', 2)).toEqual({
      error:
        "server s has one path for 2 schema objects; name each object's file with {object}, e.g. data/{object}.csv",
    });
  });
});
