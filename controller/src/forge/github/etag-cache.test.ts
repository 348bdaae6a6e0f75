import { describe, expect, it } from 'vitest';
import { EtagCache } from './etag-cache.js';

const entry = (etag: string, body = '[]') => ({
  etag,
  body,
  headers: { 'content-type': 'application/json' },
});

describe('EtagCache', () => {
  it('keeps the last answer per URL and representation', () => {
    const cache = new EtagCache();
    const json = EtagCache.key('https://api.test/repos/o/r/pulls/1', 'application/vnd.github+json');
    const raw = EtagCache.key('https://api.test/repos/o/r/pulls/1', 'application/vnd.github.raw');
    cache.set(json, entry('"a"'));
    cache.set(raw, entry('"b"'));
    expect(cache.get(json)?.etag).toBe('"a"');
    expect(cache.get(raw)?.etag).toBe('"b"');
    cache.set(json, entry('"c"'));
    expect(cache.get(json)?.etag).toBe('"c"');
    expect(cache.size).toBe(2);
  });

  it('forgets the least recently used entry beyond its size', () => {
    const cache = new EtagCache(2);
    cache.set('a', entry('"1"'));
    cache.set('b', entry('"2"'));
    cache.get('a'); // a is now the most recently used
    cache.set('c', entry('"3"'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.etag).toBe('"1"');
    expect(cache.get('c')?.etag).toBe('"3"');
  });

  it('does not keep a body larger than its limit, and drops what it had for that URL', () => {
    const cache = new EtagCache(10, 8);
    cache.set('a', entry('"1"', '[1]'));
    cache.set('a', entry('"2"', '[1,2,3,4,5]'));
    expect(cache.get('a')).toBeUndefined();
  });
});
