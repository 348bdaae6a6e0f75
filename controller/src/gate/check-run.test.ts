import { describe, expect, it } from 'vitest';
import type { CheckRun } from '../forge/forge.js';
import { evaluatedLine } from '../signoff/index.js';
import {
  checkRunWrite,
  clockTime,
  notEvaluatedCheckRun,
  StandingChecks,
  withdrawnCheckRun,
} from './check-run.js';

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

describe('when the check was evaluated', () => {
  const at = (iso: string) => `${desired.summary}\n\n${evaluatedLine(iso)}`;

  it('is shown to the second, and an unchanged decision evaluated later writes nothing', () => {
    expect(evaluatedLine('2026-03-02T14:05:31.250Z')).toMatch(/^Evaluated at 2026-03-02 14:05:31 UTC;/);
    const standing = existing({
      output: { title: desired.title, summary: at('2026-03-02T14:05:31Z'), text: 't' },
    });
    expect(checkRunWrite(standing, { ...desired, summary: at('2026-03-02T15:00:00Z') })).toEqual({
      kind: 'unchanged',
      id: 9,
    });
    expect(
      checkRunWrite(standing, { ...desired, summary: `other\n\n${evaluatedLine('2026-03-02T15:00:00Z')}` }),
    ).toEqual({ kind: 'update', id: 9 });
  });
});

describe('withdrawing a sign-off that can no longer be confirmed', () => {
  it('is a failure that says why and when, and claims nothing else', () => {
    const out = withdrawnCheckRun(
      'GitHub rate limit in force until 12:04 UTC; sign-off not evaluated',
      new Date('2026-03-02T11:58:07Z'),
    );
    expect(out.conclusion).toBe('failure');
    expect(out.title).toBe(
      'Not signed off: GitHub rate limit in force until 12:04 UTC; sign-off not evaluated',
    );
    expect(out.summary).toContain('Any sign-off given earlier on this commit no longer counts.');
    expect(out.summary).toMatch(/^Evaluated at 2026-03-02 11:58:07 UTC;/m);
  });

  it('remembers the check last set on each pull request, the oldest forgotten first', () => {
    const standing = new StandingChecks(2);
    standing.remember('Org/Repo', 1, { headSha: 'a', id: 11, conclusion: 'success' });
    standing.remember('org/repo', 2, { headSha: 'b', id: 12, conclusion: 'failure' });
    standing.remember('org/repo', 1, { headSha: 'c', id: 13, conclusion: 'success' });
    standing.remember('org/repo', 3, { headSha: 'd', id: 14, conclusion: 'success' });
    expect(standing.get('ORG/repo', 1)).toEqual({ headSha: 'c', id: 13, conclusion: 'success' });
    expect(standing.get('org/repo', 2)).toBeUndefined();
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
