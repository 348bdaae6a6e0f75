// The audit record assembled from observed objects, without I/O: what an auditor checks is there (approvers by role
// with times, the policy revision, the evidence digest, the merge, break-glass and its retrospective, breaches with
// actions), scoped and dated as asked, with disagreements between the cluster and the forge called out.
import { describe, expect, it } from 'vitest';
import { parsePeriod } from './period.js';
import { renderHtml } from './render-html.js';
import { renderMarkdown } from './render-md.js';
import { type AuditInputs, type AuditReport, assembleAuditReport, type ForgePullRequest } from './report.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const URL = 'https://github.example/northwind-health/ai-deployments/pull/7';

function inputs(overrides: Partial<AuditInputs> = {}): AuditInputs {
  return {
    generatedAt: '2026-04-02T08:00:00Z',
    scope: {},
    period: {},
    useCases: [
      {
        metadata: { name: 'denials-triage', namespace: 'revenue-cycle' },
        spec: {
          title: 'Denials triage',
          riskClass: 'operational',
          signoffPolicy: 'governance-signoff',
          surveillancePolicy: 'denials-triage-surveillance',
          deployment: { repository: 'northwind-health/ai-deployments' },
        },
        status: { productionVersion: '3.2.0' },
      },
    ],
    promotions: [
      {
        metadata: {
          name: 'denials-triage-production-3-2-0',
          namespace: 'revenue-cycle',
          creationTimestamp: '2026-03-10T11:00:00Z',
        },
        spec: {
          useCase: 'denials-triage',
          type: 'promotion',
          trigger: 'train',
          releaseTrain: 'monthly-release',
          from: 'staging',
          to: 'production',
          version: '3.2.0',
          previousVersion: '3.1.4',
        },
        status: {
          phase: 'Merged',
          pullRequest: { number: 7, url: URL, branch: 'vigil/promote/x', headSha: 'c0ffee' },
          gates: [{ name: 'evaluation', passed: true, message: 'accuracy 0.884 >= 0.85' }],
          signoffs: [
            {
              role: 'data-science',
              login: 'ds-lead',
              at: '2026-03-10T12:00:00Z',
              reviewId: 1,
              commit: 'c0ffee',
            },
            {
              role: 'compliance',
              login: 'compliance-1',
              at: '2026-03-10T13:00:00Z',
              reviewId: 2,
              commit: 'c0ffee',
            },
          ],
          signoffSummary: '2/2',
          policyRevision: 'generation:3',
          evidenceDigest: DIGEST,
          mergedAt: '2026-03-10T14:00:00Z',
        },
      },
    ],
    surveillancePolicies: [
      {
        metadata: { name: 'denials-triage-surveillance', namespace: 'revenue-cycle' },
        status: {
          actions: [
            {
              at: '2026-03-20T06:00:00Z',
              metric: 'override-rate',
              tier: 'review',
              action: 'review',
              reference: `${URL}#x`,
            },
            { at: '2025-12-01T06:00:00Z', metric: 'psi', tier: 'notify', action: 'notify' },
          ],
        },
      },
    ],
    forge: { pullRequests: new Map(), problems: [] },
    ...overrides,
  };
}

const atForge = (extra: Partial<ForgePullRequest> = {}): ForgePullRequest => ({
  repository: 'northwind-health/ai-deployments',
  number: 7,
  title: 'Promote denials-triage 3.2.0 to production',
  url: URL,
  state: 'closed',
  merged: true,
  mergedAt: '2026-03-10T14:00:00Z',
  author: 'platform-bot',
  headSha: 'c0ffee',
  reviews: [
    { id: 1, login: 'ds-lead', state: 'APPROVED', submittedAt: '2026-03-10T12:00:00Z', commitId: 'c0ffee' },
    {
      id: 2,
      login: 'compliance-1',
      state: 'APPROVED',
      submittedAt: '2026-03-10T13:00:00Z',
      commitId: 'c0ffee',
    },
    { id: 3, login: 'ds-2', state: 'COMMENTED', submittedAt: '2026-03-10T12:30:00Z', commitId: 'c0ffee' },
  ],
  ...extra,
});

const withForge = (pr: ForgePullRequest) => ({
  forge: {
    url: 'https://github.example/api/v3',
    pullRequests: new Map([['northwind-health/ai-deployments#7', pr]]),
    problems: [],
  },
});

describe('assembleAuditReport', () => {
  it('records a merged promotion with approvers by role, policy revision, evidence digest and gates', () => {
    const r = assembleAuditReport(inputs());
    expect(r.empty).toBe(false);
    expect(r.summary).toEqual([
      {
        namespace: 'revenue-cycle',
        useCase: 'denials-triage',
        promotions: 1,
        rollbacks: 0,
        merged: 1,
        notMerged: 0,
        inProgress: 0,
        breakGlass: 0,
        breaches: 2,
        findings: 0,
      },
    ]);
    const p = r.useCases[0]!.promotions[0]!;
    expect(p).toMatchObject({
      phase: 'Merged',
      mergedAt: '2026-03-10T14:00:00Z',
      evidenceDigest: DIGEST,
      policy: { name: 'governance-signoff', revision: 'generation:3' },
      gates: [{ name: 'evaluation', passed: true }],
    });
    // Sorted by role, each with who and when.
    expect(p.approvals.map((a) => [a.role, a.login, a.at])).toEqual([
      ['compliance', 'compliance-1', '2026-03-10T13:00:00Z'],
      ['data-science', 'ds-lead', '2026-03-10T12:00:00Z'],
    ]);
  });

  it('adds the forge history: title, state, every review and the role each one filled', () => {
    const r = assembleAuditReport(
      inputs(withForge(atForge({ mergedBy: 'platform-eng', mergeCommitSha: 'beef' }))),
    );
    const p = r.useCases[0]!.promotions[0]!;
    expect(p.pullRequest).toMatchObject({
      title: 'Promote denials-triage 3.2.0 to production',
      state: 'merged',
    });
    expect(p.mergedBy).toBe('platform-eng');
    expect(p.pullRequest?.mergeCommitSha).toBe('beef');
    expect(p.reviews.map((x) => [x.login, x.countedFor ?? '-'])).toEqual([
      ['ds-lead', 'data-science'],
      ['ds-2', '-'],
      ['compliance-1', 'compliance'],
    ]);
    expect(p.findings).toEqual([]);
  });

  it('calls out where the cluster and the forge disagree', () => {
    const notMerged = atForge({ merged: false, state: 'open', reviews: [] });
    const p = assembleAuditReport(inputs(withForge(notMerged))).useCases[0]!.promotions[0]!;
    expect(p.findings).toContain(
      'The controller recorded a merge; the forge shows the pull request not merged.',
    );
    expect(p.findings).toContain(
      'The approval counted for data-science (review 1) is no longer at the forge.',
    );

    const base = inputs();
    const open = {
      ...base.promotions[0]!,
      status: { ...base.promotions[0]!.status, phase: 'SignedOff' as const },
    };
    delete open.status.mergedAt;
    const unseen = assembleAuditReport({ ...base, promotions: [open], ...withForge(atForge()) });
    expect(unseen.useCases[0]!.promotions[0]!.findings).toEqual([
      'The forge shows the pull request merged; the controller has not recorded the merge yet.',
    ]);
  });

  it('flags a merge without evidence digest, policy revision or approval', () => {
    const base = inputs();
    const bare = {
      ...base.promotions[0]!,
      status: { phase: 'Merged' as const, mergedAt: '2026-03-10T14:00:00Z' },
    };
    const p = assembleAuditReport({ ...base, promotions: [bare] }).useCases[0]!.promotions[0]!;
    expect(p.findings).toEqual([
      'Merged without a recorded evidence digest.',
      'Merged without a recorded sign-off policy revision.',
      'Merged with no approval recorded by the controller.',
    ]);
  });

  it('reports break-glass with its retrospective: due, overdue, done', () => {
    const base = inputs();
    const withBg = (retrospectiveDoneAt?: string) => ({
      ...base,
      promotions: [
        {
          ...base.promotions[0]!,
          spec: { ...base.promotions[0]!.spec, type: 'rollback' as const, trigger: 'surveillance' as const },
          status: {
            ...base.promotions[0]!.status,
            breakGlass: {
              by: 'ds-lead',
              at: '2026-03-10T12:00:00Z',
              retrospectiveDue: '2026-03-13T12:00:00Z',
              ...(retrospectiveDoneAt ? { retrospectiveDoneAt } : {}),
            },
          },
        },
      ],
    });
    const overdue = assembleAuditReport(withBg());
    expect(overdue.summary[0]).toMatchObject({ rollbacks: 1, promotions: 0, breakGlass: 1, findings: 1 });
    expect(overdue.useCases[0]!.promotions[0]!.breakGlass?.retrospective).toBe('overdue');
    expect(renderMarkdown(overdue)).toContain('retrospective sign-off OVERDUE');
    const due = assembleAuditReport({ ...withBg(), generatedAt: '2026-03-11T00:00:00Z' });
    expect(due.useCases[0]!.promotions[0]!.breakGlass?.retrospective).toBe('due');
    const done = assembleAuditReport(withBg('2026-03-12T09:00:00Z'));
    expect(done.useCases[0]!.promotions[0]!.breakGlass?.retrospective).toBe('done');
  });

  it('shows each breach with the issue or the rollback pull request it produced, and when it cleared', () => {
    const [sp] = inputs().surveillancePolicies;
    const issue = 'https://github.com/northwind-health/ai-governance/issues/12';
    const r = assembleAuditReport(
      inputs({
        surveillancePolicies: [
          {
            ...sp!,
            status: {
              actions: [
                {
                  at: '2026-03-20T06:00:00Z',
                  metric: 'override-rate',
                  tier: 'review',
                  action: 'review',
                  reference: issue,
                  issue: { repository: 'northwind-health/ai-governance', number: 12, url: issue },
                  cleared: { at: '2026-03-22T06:00:00Z', value: 0.12 },
                },
                {
                  at: '2026-03-21T06:00:00Z',
                  metric: 'override-rate',
                  tier: 'rollback',
                  action: 'rollback',
                  useCase: 'denials-triage',
                  reference: 'denials-triage-production-3-2-0, denials-triage-rollback-staging-3-1-4',
                },
              ],
            },
          },
        ],
      }),
    );
    expect(r.useCases[0]!.breaches.map((b) => [b.action, b.reference, b.cleared])).toEqual([
      ['review', issue, '2026-03-22T06:00:00Z'],
      [
        'rollback',
        `denials-triage-production-3-2-0 (${URL}), denials-triage-rollback-staging-3-1-4`,
        undefined,
      ],
    ]);
    const md = renderMarkdown(r);
    expect(md).toContain('| Issue or pull request | Cleared |');
    expect(md).toContain(issue);
    expect(md).toContain('not yet');
  });

  it('keeps to the period: promotions open in it, surveillance actions taken in it', () => {
    const march = parsePeriod('2026-03-01', '2026-03-31');
    if ('error' in march) throw new Error(march.error);
    const r = assembleAuditReport(inputs({ period: march.period }));
    expect(r.useCases[0]!.promotions).toHaveLength(1);
    expect(r.useCases[0]!.breaches.map((b) => [b.metric, b.action])).toEqual([['override-rate', 'review']]);

    const april = parsePeriod('2026-04-01', undefined);
    if ('error' in april) throw new Error(april.error);
    const quiet = assembleAuditReport(inputs({ period: april.period }));
    expect(quiet.empty).toBe(true);
    expect(quiet.useCases[0]!.promotions).toEqual([]);
    expect(renderMarkdown(quiet)).toContain('No promotions, rollbacks or surveillance actions were found');
  });

  it('says surveillance was not evaluated, rather than that it took no action, when it was not', () => {
    const april = parsePeriod('2026-04-01', '2026-04-30');
    if ('error' in april) throw new Error(april.error);
    const withEvaluation = (lastEvaluated: string | undefined) => {
      const base = inputs({ period: april.period });
      const [sp] = base.surveillancePolicies;
      return assembleAuditReport({
        ...base,
        surveillancePolicies: [
          { ...sp!, status: { ...sp!.status, ...(lastEvaluated ? { lastEvaluated } : {}) } },
        ],
      });
    };
    const lines = (r: AuditReport) => [renderMarkdown(r), renderHtml(r)];

    for (const text of lines(withEvaluation(undefined))) {
      expect(text).toContain(
        'Surveillance not evaluated in this period: SurveillancePolicy denials-triage-surveillance has never been evaluated.',
      );
      expect(text).not.toContain('No surveillance action');
    }
    for (const text of lines(withEvaluation('2026-03-28T06:00:00Z'))) {
      expect(text).toContain(
        'Surveillance not evaluated in this period: SurveillancePolicy denials-triage-surveillance was last evaluated 2026-03-28 06:00 UTC, before it.',
      );
    }
    for (const text of lines(withEvaluation('2026-04-29T06:00:00Z'))) {
      expect(text).toContain(
        'No surveillance action in this period; SurveillancePolicy denials-triage-surveillance was last evaluated 2026-04-29 06:00 UTC.',
      );
    }
    const missing = assembleAuditReport(inputs({ period: april.period, surveillancePolicies: [] }));
    expect(renderMarkdown(missing)).toContain(
      'Surveillance not evaluated in this period: SurveillancePolicy denials-triage-surveillance is not in the cluster.',
    );
    expect(missing.useCases[0]!.surveillance).toEqual({ found: false });
  });

  it('keeps to the scope, and keeps promotions of a use case no longer declared', () => {
    expect(assembleAuditReport(inputs({ scope: { namespace: 'care-management' } })).useCases).toEqual([]);
    expect(assembleAuditReport(inputs({ scope: { useCase: 'readmission-risk' } })).empty).toBe(true);
    const orphan = assembleAuditReport(inputs({ useCases: [] }));
    expect(orphan.useCases[0]).toMatchObject({ name: 'denials-triage', declared: false });
    expect(orphan.useCases[0]!.promotions).toHaveLength(1);
  });
});

describe('parsePeriod', () => {
  it.each([
    ['2026-03-01', '2026-03-31', { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T23:59:59.999Z' }],
    ['2026-03-01T09:00:00+01:00', undefined, { from: '2026-03-01T08:00:00.000Z' }],
    [undefined, undefined, {}],
  ])('%s .. %s', (from, to, expected) => {
    expect(parsePeriod(from, to)).toEqual({ period: expected });
  });

  it.each([
    ['2026-03-31', '2026-03-01', '--from (2026-03-31) is after --to (2026-03-01)'],
    ['2026-02-30', undefined, 'no such day'],
    ['March 1', undefined, 'must be a date (YYYY-MM-DD)'],
    [undefined, '2026-13-01', 'no such day'],
  ])('refuses %s .. %s', (from, to, message) => {
    const r = parsePeriod(from, to);
    expect('error' in r && r.error).toContain(message);
  });
});

describe('renderings', () => {
  const hostile = inputs();
  hostile.useCases[0]!.spec!.title = '<script>alert(1)</script> | *bold* [x](http://evil)';

  it('HTML: one self-contained printable page, every value escaped', () => {
    const html = renderHtml(assembleAuditReport(hostile));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('@media print');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/i);
    expect(html).toContain(DIGEST);
    expect(html).toContain('<h2>Summary</h2>');
  });

  it('Markdown: a value cannot break a table or make a link', () => {
    const md = renderMarkdown(assembleAuditReport(hostile));
    expect(md).toContain('\\<script\\>');
    expect(md).toContain('\\| \\*bold\\* \\[x\\](http://evil)');
    expect(md).toContain('| data-science | ds-lead | 2026-03-10 12:00 UTC | c0ffee | 1 |');
  });
});
