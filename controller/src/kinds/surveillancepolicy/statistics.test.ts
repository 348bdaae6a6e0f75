import { describe, expect, it } from 'vitest';
import { ks, PSI_EMPTY_BIN_SHARE, psi } from './statistics.js';

/** A deterministic stream of numbers in [0, 1) (a linear congruential generator), for larger samples. */
function sample(seed: number, n: number, shape: (u: number) => number = (u) => u): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return shape(x / 2 ** 31);
  });
}

describe('psi', () => {
  it('is 0 for the same distribution', () => {
    const b = sample(1, 1000);
    expect(psi(b, b)).toBe(0);
  });

  it('matches the formula worked by hand on two bins', () => {
    // Baseline [1, 2, 3, 4] splits at its median 3: 50% / 50%. Current [1, 1, 1, 4]: 75% / 25%.
    const byHand = (0.75 - 0.5) * Math.log(0.75 / 0.5) + (0.25 - 0.5) * Math.log(0.25 / 0.5);
    expect(psi([1, 2, 3, 4], [1, 1, 1, 4], 2)).toBeCloseTo(byHand, 12);
    expect(byHand).toBeCloseTo(0.274653, 6);
  });

  it('bins by baseline deciles and floors empty bins', () => {
    // Baseline 0..99: deciles at 10, 20, ... 90, 10% each. Current: half in the first decile, half in the last.
    const baseline = Array.from({ length: 100 }, (_, i) => i);
    const current = [
      ...Array.from({ length: 50 }, (_, i) => i % 10),
      ...Array.from({ length: 50 }, (_, i) => 90 + (i % 10)),
    ];
    const e = PSI_EMPTY_BIN_SHARE;
    const byHand = 2 * (0.5 - 0.1) * Math.log(0.5 / 0.1) + 8 * (e - 0.1) * Math.log(e / 0.1);
    expect(psi(baseline, current)).toBeCloseTo(byHand, 12);
    expect(byHand).toBeCloseTo(6.808228, 6);
  });

  it('counts current values beyond the baseline range in the end bins', () => {
    expect(psi([1, 2, 3, 4], [-10, -5, 20, 30], 2)).toBe(0);
  });

  it('grows with the shift of a score', () => {
    const baseline = sample(7, 5000);
    const small = psi(
      baseline,
      sample(8, 5000, (u) => Math.min(1, u * 1.05)),
    )!;
    const large = psi(
      baseline,
      sample(8, 5000, (u) => u ** 2),
    )!;
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.25);
  });

  it('is undefined without data', () => {
    expect(psi([], [1])).toBeUndefined();
    expect(psi([1], [])).toBeUndefined();
  });

  it('leaves NaN and infinite values out, as if they were not there', () => {
    // NaN sorted with a comparator returning NaN scrambles the baseline quantiles; it must not count at all.
    const baseline = [0.1, Number.NaN, 0.2, 0.3, 0.4, Number.POSITIVE_INFINITY, 0.5, 0.6, 0.7, 0.8];
    const current = [0.15, 0.25, Number.NaN, 0.35, 0.9, Number.NEGATIVE_INFINITY];
    expect(psi(baseline, current, 4)).toBe(
      psi([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.15, 0.25, 0.35, 0.9], 4),
    );
    expect(psi([Number.NaN], [1])).toBeUndefined();
  });
});

describe('ks', () => {
  /** The definition, computed the slow way: the largest gap between the two empirical CDFs at any value. */
  const bySlowDefinition = (a: number[], b: number[]) => {
    const cdf = (xs: number[], x: number) => xs.filter((v) => v <= x).length / xs.length;
    return Math.max(...[...a, ...b].map((x) => Math.abs(cdf(a, x) - cdf(b, x))));
  };

  it.each([
    ['identical samples', [1, 2, 3], [1, 2, 3], 0],
    ['disjoint samples', [1, 2, 3], [4, 5, 6], 1],
    ['half overlapping', [1, 2, 3, 4], [3, 4, 5, 6], 0.5],
    ['ties stepped over together', [1, 1, 2], [1, 2, 2], 1 / 3],
    ['samples of different sizes', [1, 2], [1, 1, 1, 3], 0.25],
  ])('%s', (_, a, b, expected) => {
    expect(ks(a, b)).toBeCloseTo(expected, 12);
    expect(bySlowDefinition(a, b)).toBeCloseTo(expected, 12);
  });

  it('agrees with the definition on larger samples with ties', () => {
    const a = sample(3, 400, (u) => Math.round(u * 50));
    const b = sample(4, 300, (u) => Math.round(u ** 1.3 * 50));
    expect(ks(a, b)).toBeCloseTo(bySlowDefinition(a, b), 12);
  });

  it('is undefined without data', () => {
    expect(ks([], [1])).toBeUndefined();
  });

  it('ends, and leaves NaN and infinite values out, when a sample holds them', () => {
    // A NaN never equals itself, so stepping over ties once never moved past it: the loop never ended.
    expect(ks([1, Number.NaN, 2, 3], [1, 2, Number.NaN, 2])).toBe(ks([1, 2, 3], [1, 2, 2]));
    expect(ks([Number.NaN], [1])).toBeUndefined();
    expect(ks([1, Number.POSITIVE_INFINITY], [1])).toBe(0);
  });
});
