import { describe, expect, it } from 'vitest';
import { canonicalMicroTime, canonicalTime, specChanged, validateObjectMeta } from './metadata.js';

describe('metadata rules', () => {
  it('counts a generation only for changes outside metadata (and status, with a status subresource)', () => {
    const base = { metadata: { name: 'a' }, spec: { x: 1 }, status: { y: 1 } };
    expect(specChanged({ ...base, metadata: { name: 'a', labels: { l: 'v' } } }, base, true)).toBe(false);
    expect(specChanged({ ...base, status: { y: 2 } }, base, true)).toBe(false);
    expect(specChanged({ ...base, status: { y: 2 } }, base, false)).toBe(true);
    expect(specChanged({ ...base, spec: { x: 2 } }, base, true)).toBe(true);
  });

  it('refuses names that are not DNS subdomains, with the real message', () => {
    const causes = validateObjectMeta({ name: 'Bad_Name', namespace: 'n' }, true, false);
    expect(causes[0]?.field).toBe('metadata.name');
    expect(causes[0]?.message).toContain(
      'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters',
    );
  });

  it('re-serialises times the way Go clients expect them', () => {
    expect(canonicalTime('2025-03-01T10:00:00.123Z')).toBe('2025-03-01T10:00:00Z');
    expect(canonicalMicroTime('2025-03-01T10:00:00.123Z')).toBe('2025-03-01T10:00:00.123000Z');
    expect(canonicalMicroTime('2025-03-01T10:00:00Z')).toBe('2025-03-01T10:00:00.000000Z');
  });
});
