import { expect, it } from 'vitest';
import { reviewRefusal } from './reviews.js';

it('refuses self-approval, self-requested changes and bodiless change requests, as GitHub does', () => {
  expect(reviewRefusal('APPROVE', 'platform-bot', 'platform-bot', '')).toBe(
    'Can not approve your own pull request',
  );
  expect(reviewRefusal('REQUEST_CHANGES', 'a', 'a', 'x')).toBe(
    'Can not request changes on your own pull request',
  );
  expect(reviewRefusal('COMMENT', 'a', 'b', ' ')).toMatch(/Body is required/);
  expect(reviewRefusal('APPROVE', 'a', 'b', '')).toBeUndefined();
});
