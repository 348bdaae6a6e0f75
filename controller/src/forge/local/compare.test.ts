import { describe, expect, it } from 'vitest';
import { comparisonStatus, parseBasehead } from './compare.js';

describe('parseBasehead', () => {
  it('reads BASE...HEAD, branch names with slashes, and owner-qualified sides', () => {
    expect(parseBasehead('main...vigil/promote/x')).toEqual({ base: 'main', head: 'vigil/promote/x' });
    expect(parseBasehead('acme:main...acme:feature')).toEqual({ base: 'main', head: 'feature' });
    expect(parseBasehead('main..feature')).toEqual({ base: 'main', head: 'feature' });
    expect(parseBasehead('main')).toBeUndefined();
  });
});

describe('comparisonStatus', () => {
  it('is GitHub status from the commits on each side', () => {
    expect(comparisonStatus(0, 0)).toBe('identical');
    expect(comparisonStatus(3, 0)).toBe('ahead');
    expect(comparisonStatus(0, 2)).toBe('behind');
    expect(comparisonStatus(3, 2)).toBe('diverged');
  });
});
