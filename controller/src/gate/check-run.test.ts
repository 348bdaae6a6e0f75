import { describe, expect, it } from 'vitest';
import type { CheckRun } from '../forge/forge.js';
import { checkRunWrite, clockTime, notEvaluatedCheckRun } from './check-run.js';

const desired = {
  conclusion: 'failure' as const,
  title: 'Not signed off: 1/2 roles signed off',
  summary: 's',
  text: 't',
};
const existing = (over: Partial<CheckRun> = {}): CheckRun => ({
  id: 9,
  name: 'vigil/sign-off',
  headSha: 'a'.repeat(40),
  status: 'completed',
  conclusion: 'failure',
  output: { title: desired.title, summary: 's', text: 't' },
  url: '',
  ...over,
});

describe('checkRunWrite', () => {
  it('creates when there is none, writes nothing when it says the same, updates otherwise', () => {
    expect(checkRunWrite(undefined, desired)).toEqual({ kind: 'create' });
    expect(checkRunWrite(existing(), desired)).toEqual({ kind: 'unchanged', id: 9 });
    expect(checkRunWrite(existing({ conclusion: 'success' }), desired)).toEqual({ kind: 'update', id: 9 });
    expect(checkRunWrite(existing({ status: 'in_progress' }), desired)).toEqual({ kind: 'update', id: 9 });
    expect(checkRunWrite(existing({ output: { title: desired.title, summary: 's' } }), desired)).toEqual({
      kind: 'update',
      id: 9,
    });
  });
});

describe('notEvaluatedCheckRun', () => {
  it('is always failure and says why first', () => {
    const out = notEvaluatedCheckRun(
      { ...desired, conclusion: 'success' },
      'GitHub unavailable until 12:04 UTC; sign-off not evaluated',
    );
    expect(out.conclusion).toBe('failure');
    expect(out.title).toBe('Not signed off: GitHub unavailable until 12:04 UTC; sign-off not evaluated');
    expect(out.summary.split('\n')[0]).toBe(
      '**GitHub unavailable until 12:04 UTC; sign-off not evaluated.** The check stays failed until the sign-off can be evaluated again.',
    );
  });

  it('shows the time alone today, with the date otherwise', () => {
    const now = new Date('2026-03-02T11:00:00Z');
    expect(clockTime(new Date('2026-03-02T12:04:30Z'), now)).toBe('12:04 UTC');
    expect(clockTime(new Date('2026-03-03T00:10:00Z'), now)).toBe('2026-03-03 00:10 UTC');
  });
});
