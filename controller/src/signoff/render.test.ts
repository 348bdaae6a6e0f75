import { describe, expect, it } from 'vitest';
import { evaluateSignoff } from './evaluate.js';
import { renderCheckRun, sameCheckRunOutput } from './render.js';
import { baseInput, HEAD, OLD, review } from './test-fixtures.js';

const context = {
  policy: 'care-management/clinical-signoff',
  policyRevision: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
};

describe('renderCheckRun', () => {
  it('renders a failing sign-off as a compliance officer reads it (exact Markdown)', () => {
    const result = evaluateSignoff(
      baseInput({
        reviews: [
          review('ds-lead', 'APPROVED', '2026-03-01T08:00:00Z', OLD, 11),
          review('dual-member', 'APPROVED', '2026-03-02T09:15:00Z', HEAD, 12),
          review('ml-engineer', 'APPROVED', '2026-03-02T09:20:00Z', HEAD, 13),
          review('compliance-1', 'APPROVED', '2026-03-02T10:40:00Z', HEAD, 14),
          review('compliance-2', 'CHANGES_REQUESTED', '2026-03-02T11:05:00Z', HEAD, 15),
        ],
      }),
    );
    const out = renderCheckRun(result, context);
    expect(out.conclusion).toBe('failure');
    expect(out.title).toBe('Not signed off: changes requested by compliance-2');
    expect(out.summary).toBe(
      [
        '**Not signed off.** 2 of 3 roles required for risk class `clinical-decision-support` have approved on commit `a1b2c3d`. The change cannot merge until every role has signed off and nothing blocks it.',
        'Policy: `care-management/clinical-signoff` at revision `9f8e7d6c5b4a39281706f5e4d3c2b1a098765432`.',
        '',
        '**Blocking:**',
        '',
        '- compliance-2 (northwind-health/compliance) requested changes in review #15; the merge stays blocked until compliance-2 approves.',
        '',
        '| Role | Team | Signed off by | When | Status |',
        '| --- | --- | --- | --- | --- |',
        '| data-science | northwind-health/data-science | dual-member (review #12) | 2026-03-02 09:15 UTC | Signed off on `a1b2c3d` |',
        '| clinical-safety | northwind-health/clinical-safety | - | - | Missing: dual-member already signs off as data-science; one person fills at most one role, so another member of northwind-health/clinical-safety must approve. |',
        '| compliance | northwind-health/compliance | compliance-1 (review #14) | 2026-03-02 10:40 UTC | Signed off on `a1b2c3d` |',
        '',
        'The earliest approval that counts expires 2026-03-09 09:15 UTC; the check is evaluated again then.',
      ].join('\n'),
    );
    expect(out.text).toBe(
      [
        '### Reviews that did not count',
        '',
        '| Review | Reviewer | State | Submitted | Why it did not count | Details |',
        '| --- | --- | --- | --- | --- | --- |',
        '| #11 | ds-lead | approved on `0f1e2d3` | 2026-03-01 08:00 UTC | Before the last push | Given on commit 0f1e2d3; the change has been pushed since (head is a1b2c3d), so it must be approved again. |',
        '| #12 | dual-member | approved on `a1b2c3d` | 2026-03-02 09:15 UTC | Separation of duties (for clinical-safety) | Counts for data-science only: one person fills at most one role, so it cannot also sign off as clinical-safety. |',
        '| #13 | ml-engineer | approved on `a1b2c3d` | 2026-03-02 09:20 UTC | Self-approval by the author | ml-engineer opened the pull request; an author cannot sign off their own change. |',
        '| #15 | compliance-2 | changes requested on `a1b2c3d` | 2026-03-02 11:05 UTC | Changes requested | An objection from a member of northwind-health/compliance: it blocks the merge until compliance-2 approves. |',
        '',
        '### Rules in force',
        '',
        'Policy `care-management/clinical-signoff` at revision `9f8e7d6c5b4a39281706f5e4d3c2b1a098765432`:',
        '',
        '- A push after an approval invalidates it: yes',
        '- The author cannot sign off: yes',
        '- Anyone with a commit in the change cannot sign off: yes',
        '- One person fills at most one role: yes',
        '- Approvals expire after: 7d',
        "- Only each person's latest approval or change request counts; a comment changes nothing.",
        '- Changes requested by a member of a required team block until that person approves or someone in a role the policy names for it dismisses the review.',
      ].join('\n'),
    );
  });

  it('titles a complete sign-off with the count', () => {
    const out = renderCheckRun(evaluateSignoff(baseInput()), context);
    expect(out.conclusion).toBe('success');
    expect(out.title).toBe('Signed off: 3/3 roles signed off');
    expect(out.summary.split('\n')[0]).toBe(
      '**Signed off.** All 3 roles required for risk class `clinical-decision-support` have approved on commit `a1b2c3d`.',
    );
    expect(out.text).toContain('None: every submitted review was taken into account.');
  });

  it('says who broke the glass and what is owed by when', () => {
    const result = evaluateSignoff(
      baseInput({
        reviews: [review('cs-lead', 'APPROVED', '2026-03-02T11:00:00Z', HEAD, 80)],
        breakGlass: { eligibleRollback: true },
      }),
    );
    const out = renderCheckRun(result, context);
    expect(out.conclusion).toBe('success');
    expect(out.title).toBe('Signed off under break-glass by cs-lead; 2 roles owe a retrospective sign-off');
    expect(out.summary).toContain(
      'Retrospective sign-off is owed by data-science, compliance before 2026-03-05 11:00 UTC.',
    );
  });

  it('names the reason when sign-off cannot be evaluated at all', () => {
    const out = renderCheckRun(evaluateSignoff(baseInput({ policy: undefined })), context);
    expect(out.conclusion).toBe('failure');
    expect(out.title).toBe('Not signed off: sign-off cannot be evaluated');
    expect(out.summary).toContain('- The sign-off policy could not be read.');
  });

  it('keeps a value with a pipe or a newline inside its table cell', () => {
    const result = evaluateSignoff(baseInput({ reviews: [] }));
    result.roles[0]!.missing = { code: 'no-approval', message: 'a | b\nc' };
    expect(renderCheckRun(result, context).summary).toContain('Missing: a \\| b c |');
  });

  it('is the same for the same decision: no evaluation time in the output, so nothing to rewrite', () => {
    const a = renderCheckRun(evaluateSignoff(baseInput()), context);
    const b = renderCheckRun(evaluateSignoff(baseInput({ now: new Date('2026-03-04T08:00:00Z') })), context);
    expect(b).toEqual(a);
  });

  it('says when it was evaluated, on a line of its own that comparing the same decision leaves out', () => {
    const at = (iso: string) =>
      renderCheckRun(evaluateSignoff(baseInput({ now: new Date(iso) })), { ...context, evaluatedAt: iso });
    const first = at('2026-03-02T12:00:05Z');
    const later = at('2026-03-02T12:30:41Z');
    expect(first.summary.split('\n').at(-1)).toBe(
      'Evaluated at 2026-03-02 12:00:05 UTC; evaluated again on every change, rewritten when the decision changes.',
    );
    expect(later.summary).not.toBe(first.summary);
    expect(sameCheckRunOutput(first, later)).toBe(true);
    const other = renderCheckRun(
      evaluateSignoff(
        baseInput({ reviews: [review('ds-lead', 'APPROVED', '2026-03-02T09:00:00Z', HEAD, 21)] }),
      ),
      { ...context, evaluatedAt: '2026-03-02T12:30:41Z' },
    );
    expect(sameCheckRunOutput(first, other)).toBe(false);
  });

  it('stays within GitHub’s 65,535 characters however many reviews there are', () => {
    const reviews = Array.from({ length: 2000 }, (_, i) =>
      review(`outsider-${i}`, 'APPROVED', '2026-03-02T10:00:00Z', HEAD, 1000 + i),
    );
    const out = renderCheckRun(evaluateSignoff(baseInput({ reviews })), context);
    expect(out.text.length).toBeLessThanOrEqual(65_535);
    expect(out.text).toContain('... and 1800 more.');
  });
});
