import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDeliveryStore, SeenDeliveries } from './deliveries.js';

const dirs: string[] = [];
const storeFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-deliveries-'));
  dirs.push(dir);
  return join(dir, 'state', 'deliveries.log');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SeenDeliveries', () => {
  it('remembers ids across a restart when given a file', () => {
    const file = storeFile();
    const first = new SeenDeliveries(100, { store: new FileDeliveryStore(file) });
    expect(first.add('d-1')).toBe(true);
    const restarted = new SeenDeliveries(100, { store: new FileDeliveryStore(file) });
    expect(restarted.has('d-1')).toBe(true);
    expect(restarted.add('d-1')).toBe(false);
    expect(restarted.add('d-2')).toBe(true);
  });

  it('forgets the oldest beyond its capacity and ids past the TTL, in memory and on disk', () => {
    const file = storeFile();
    let now = 1_000;
    const seen = new SeenDeliveries(3, { store: new FileDeliveryStore(file), ttlMs: 10_000, now: () => now });
    for (const id of ['a', 'b', 'c', 'd']) seen.add(id);
    expect(['a', 'b', 'c', 'd'].map((id) => seen.has(id))).toEqual([false, true, true, true]);
    now += 10_000;
    expect(seen.has('d')).toBe(false);
    const reloaded = new SeenDeliveries(3, {
      store: new FileDeliveryStore(file),
      ttlMs: 10_000,
      now: () => now,
    });
    expect(reloaded.size).toBe(0);
  });

  it('keeps the file bounded: rewritten whole once it holds twice the capacity', () => {
    const file = storeFile();
    const seen = new SeenDeliveries(2, { store: new FileDeliveryStore(file) });
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) seen.add(id);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines.at(-1)).toMatch(/ f$/);
    const reloaded = new SeenDeliveries(2, { store: new FileDeliveryStore(file) });
    expect(['d', 'e', 'f'].map((id) => reloaded.has(id))).toEqual([false, true, true]);
  });

  it('skips a line cut short by a crash', () => {
    const file = storeFile();
    new SeenDeliveries(10, { store: new FileDeliveryStore(file) }).add('whole');
    writeFileSync(file, `${readFileSync(file, 'utf8')}17000`, { flag: 'w' });
    const reloaded = new SeenDeliveries(10, { store: new FileDeliveryStore(file) });
    expect(reloaded.has('whole')).toBe(true);
    expect(reloaded.size).toBe(1);
  });
});
