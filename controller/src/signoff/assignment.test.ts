import { describe, expect, it } from 'vitest';
import { assignRoles } from './assignment.js';

const assign = (roles: string[], candidates: Record<string, string[]>) =>
  Object.fromEntries(assignRoles(roles, new Map(Object.entries(candidates))));

describe('assignRoles', () => {
  it('fills both roles where greedy would strand one (A in X and Y, B only in X)', () => {
    expect(assign(['x', 'y'], { x: ['a', 'b'], y: ['a'] })).toEqual({ x: 'b', y: 'a' });
  });

  it('never gives one person two roles', () => {
    expect(assign(['x', 'y'], { x: ['a'], y: ['a'] })).toEqual({ x: 'a' });
  });

  it('follows a chain of re-assignments to fill the last role', () => {
    // a->x, b->y, c->z, d->v first; w can only take a, so each of them moves one along to make room.
    const roles = ['x', 'y', 'z', 'v', 'w'];
    const result = assign(roles, { x: ['a', 'b'], y: ['b', 'c'], z: ['c', 'd'], v: ['d', 'e'], w: ['a'] });
    expect(result).toEqual({ x: 'b', y: 'c', z: 'd', v: 'e', w: 'a' });
  });

  it('prefers earlier candidates and earlier roles when several assignments are maximal', () => {
    expect(assign(['x', 'y'], { x: ['a', 'b'], y: ['a', 'b'] })).toEqual({ x: 'a', y: 'b' });
    expect(assign(['x', 'y'], { x: ['b', 'a'], y: ['a', 'b'] })).toEqual({ x: 'b', y: 'a' });
  });

  it('returns roles in the order given, and skips roles nobody can fill', () => {
    const result = assignRoles(
      ['z', 'x', 'y'],
      new Map([
        ['y', ['a']],
        ['z', ['b']],
      ]),
    );
    expect([...result]).toEqual([
      ['z', 'b'],
      ['y', 'a'],
    ]);
  });

  it('finds a maximum assignment on every small instance (checked against brute force)', () => {
    // Deterministic pseudo-random graphs: 4 roles, 4 people.
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const roles = ['r0', 'r1', 'r2', 'r3'];
    const people = ['p0', 'p1', 'p2', 'p3'];
    for (let n = 0; n < 300; n++) {
      const candidates = new Map(roles.map((r) => [r, people.filter(() => rand() < 0.4)]));
      const got = assignRoles(roles, candidates).size;
      expect(got).toBe(bruteForceMax(roles, candidates));
    }
  });
});

function bruteForceMax(
  roles: string[],
  candidates: Map<string, string[]>,
  used = new Set<string>(),
  i = 0,
): number {
  if (i === roles.length) return 0;
  let best = bruteForceMax(roles, candidates, used, i + 1);
  for (const p of candidates.get(roles[i]!) ?? []) {
    if (used.has(p)) continue;
    used.add(p);
    best = Math.max(best, 1 + bruteForceMax(roles, candidates, used, i + 1));
    used.delete(p);
  }
  return best;
}
