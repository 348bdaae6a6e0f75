import { describe, expect, it } from 'vitest';
import { etagMatches, tokenFrom } from './server.js';

describe('request headers read the way GitHub reads them', () => {
  it('takes a token from "token X" or "Bearer X" only', () => {
    expect(tokenFrom('token abc12345')).toBe('abc12345');
    expect(tokenFrom('Bearer abc12345')).toBe('abc12345');
    expect(tokenFrom('Basic abc12345')).toBeUndefined();
    expect(tokenFrom(undefined)).toBeUndefined();
  });

  it('compares ETags weakly and accepts a list', () => {
    expect(etagMatches('W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"x", W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"x"', 'W/"abc"')).toBe(false);
    expect(etagMatches(undefined, 'W/"abc"')).toBe(false);
  });
});
