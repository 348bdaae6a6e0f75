import { expect, it } from 'vitest';
import { headBranch } from './pulls.js';

it('reads a pull request head as owner:branch or branch', () => {
  expect(headBranch('northwind-health:vigil/x', 'northwind-health')).toBe('vigil/x');
  expect(headBranch('vigil/x', 'northwind-health')).toBe('vigil/x');
  expect(headBranch('someone-else:vigil/x', 'northwind-health')).toBeUndefined();
});
