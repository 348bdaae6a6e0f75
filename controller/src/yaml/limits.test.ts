import { describe, expect, it } from 'vitest';
import { formatBytes, tooLargeMessage } from './limits.js';

describe('formatBytes', () => {
  it.each([
    [1, '1 byte'],
    [512, '512 bytes'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024, '1 MiB'],
    [Math.round(3.2 * 1024 * 1024), '3.2 MiB'],
  ])('%i -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('tooLargeMessage', () => {
  it.each([
    [Math.round(3.2 * 1024 * 1024), 1024 * 1024, 'file is 3.2 MiB; the limit is 1 MiB'],
    [2048, 1024, 'file is 2 KiB; the limit is 1 KiB'],
    // Rounds alike: exact counts instead of "1 MiB; the limit is 1 MiB".
    [1024 * 1024 + 1, 1024 * 1024, 'file is 1048577 bytes; the limit is 1048576 bytes'],
  ])('%i over %i', (size, limit, message) => {
    expect(tooLargeMessage(size, limit)).toBe(message);
  });
});
