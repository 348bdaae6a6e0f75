import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from './persistence.js';

describe('log records', () => {
  it('round-trip and reject torn or altered lines', () => {
    const line = encodeRecord('{"op":"put","k":"x","rv":1,"o":"{}"}');
    expect(line.endsWith('\n')).toBe(true);
    expect(decodeRecord(line.slice(0, -1))).toBe('{"op":"put","k":"x","rv":1,"o":"{}"}');
    expect(decodeRecord(line.slice(0, 20))).toBeUndefined();
    expect(decodeRecord(line.slice(0, -1).replace('"rv":1', '"rv":2'))).toBeUndefined();
  });
});
