import { describe, expect, it } from 'vitest';
import { objectPath } from './file-server.js';

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
