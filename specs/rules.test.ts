// Table tests for the schema rules of UseCase, ReleaseTrain, SurveillancePolicy, SignoffPolicy and the shared types.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { cronError, parseDuration, team, threshold } from './common.js';
import { releaseTrainSpec } from './releasetrain.js';
import { signoffPolicySpec } from './signoffpolicy.js';
import { surveillancePolicySpec } from './surveillancepolicy.js';
import { useCaseSpec } from './usecase.js';

type Obj = Record<string, unknown>;
/** A case: its label, the fields to change (dotted paths; DELETE removes), the issue path expected (null: valid), the message. */
type Case = [label: string, patch: Record<string, unknown>, path: string | null, message?: string | RegExp];

const DELETE = Symbol('delete');

function issues(schema: z.ZodType, value: unknown): { path: string; message: string }[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function patched(base: Obj, patch: Record<string, unknown>): Obj {
  const value = structuredClone(base);
  for (const [path, v] of Object.entries(patch)) {
    const keys = path.split('.');
    const last = keys.pop()!;
    const parent = keys.reduce<Obj>((acc, k) => acc[k] as Obj, value);
    if (v === DELETE) delete parent[last];
    else parent[last] = v;
  }
  return value;
}

function runTable(schema: z.ZodType, base: Obj, cases: Case[]): void {
  it('accepts the base example', () => expect(issues(schema, base)).toEqual([]));
  it.each(cases)('%s', (_label, patch, path, message) => {
    const found = issues(schema, patched(base, patch));
    if (path === null) {
      expect(found).toEqual([]);
      return;
    }
    const match = found.find((i) => i.path === path);
    expect(match, `no issue at "${path}"; got ${JSON.stringify(found)}`).toBeDefined();
    if (message !== undefined) expect(match!.message).toMatch(message);
  });
}

describe('shared types', () => {
  it.each([
    ['14d', 14 * 86_400],
    ['72h', 72 * 3_600],
    ['1h30m', 5_400],
    ['2w', 1_209_600],
    ['', undefined],
    ['3 days', undefined],
    ['10', undefined],
    ['1m1h', undefined],
  ])('duration %j is %s seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));

  it.each([
    ['0 6 1 * *', undefined],
    ['*/15 8-17 * * 1-5', undefined],
    ['0 6 1 *', /5 fields/],
    ['0 25 * * *', /hour/],
    ['61 * * * *', /minute/],
  ])('cron %j', (expr, why) => {
    const found = cronError(expr);
    if (why === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(why);
  });

  it.each([
    ['northwind-health/clinical-safety', true],
    ['org/team_1', true],
    ['team1', false],
    ['org/', false],
    ['/team', false],
    ['org/Team', false],
  ])('team %j valid: %s', (value, ok) => expect(team.safeParse(value).success).toBe(ok));

  it.each([
    [{ metric: 'auroc', min: 0.7 }, null],
    [{ metric: 'auroc', min: 0.9, max: 0.8 }, 'min (0.9) must not be greater than max (0.8)'],
    [{ metric: 'auroc' }, 'a threshold needs min, max or both'],
  ])('threshold %j', (value, message) => {
    const found = issues(threshold, value);
    if (message === null) expect(found).toEqual([]);
    else expect(found.map((i) => i.message)).toContain(message);
  });
});

const useCase: Obj = {
  title: 'Readmission risk',
  ownerTeam: 'northwind-health/data-science',
  sponsors: { clinical: 'cmo-office', executive: 'coo-office' },
  riskClass: 'clinical-decision-support',
  intendedUse: 'Flag adult inpatients at high risk of 30-day readmission for transition-of-care follow-up.',
  humanOversight: {
    mode: 'sample',
    samplePercent: 20,
    confidenceRouting: { standardAbove: 0.8, assistedAbove: 0.5 },
  },
  model: { name: 'readmission-risk', registryUri: 'models:/readmission-risk' },
  dataContracts: [{ name: 'inpatient-encounters' }],
  releaseTrain: 'monthly',
  surveillancePolicy: 'readmission-surveillance',
  signoffPolicy: 'clinical-signoff',
  deployment: {
    repository: 'northwind-health/ai-deployments',
    targets: [{ stage: 'production', file: 'readmission/values.yaml', field: 'model.version' }],
  },
  versions: [{ stage: 'production', version: '2.3.1' }],
  candidate: {
    version: '2.4.0',
    evaluation: { evaluatedAt: '2026-10-30T12:00:00Z', results: [{ metric: 'auroc', value: 0.74 }] },
  },
  readiness: {
    rollbackProcedure: { status: 'done', evidence: 'https://wiki.example.org/runbooks/readmission' },
  },
};

describe('UseCase spec', () => {
  runTable(useCaseSpec, useCase, [
    ['risk class outside the four', { riskClass: 'high' }, 'riskClass', /Invalid option/],
    ['team without org', { ownerTeam: 'team1' }, 'ownerTeam', /org\/team-slug/],
    [
      'version written as a number',
      { 'candidate.version': 1.1 },
      'candidate.version',
      /expected string, received number/,
    ],
    ['version that is not semver', { 'candidate.version': '2.4' }, 'candidate.version', /semantic version/],
    ['misspelled field', { riskclass: 'operational' }, '', /Unrecognized key: "riskclass"/],
    [
      'sample percent over 100',
      { 'humanOversight.samplePercent': 120 },
      'humanOversight.samplePercent',
      /<=100/,
    ],
    [
      'sample mode without percent',
      { 'humanOversight.samplePercent': DELETE },
      'humanOversight.samplePercent',
      'mode "sample" needs samplePercent',
    ],
    [
      'percent on review-all',
      { 'humanOversight.mode': 'review-all' },
      'humanOversight.samplePercent',
      /applies only to mode "sample"/,
    ],
    [
      'routing thresholds out of order',
      { 'humanOversight.confidenceRouting.assistedAbove': 0.9 },
      'humanOversight.confidenceRouting.assistedAbove',
      'assistedAbove (0.9) must be lower than standardAbove (0.8)',
    ],
    [
      'confidence over 1',
      { 'humanOversight.confidenceRouting.standardAbove': 80 },
      'humanOversight.confidenceRouting.standardAbove',
      /<=1/,
    ],
    [
      'readiness done without evidence',
      { readiness: { rollbackProcedure: { status: 'done' } } },
      'readiness.rollbackProcedure.evidence',
      'an item marked "done" needs an evidence link',
    ],
    [
      'readiness n/a without a note',
      { readiness: { financialBaseline: { status: 'not-applicable' } } },
      'readiness.financialBaseline.note',
      /needs a note/,
    ],
    [
      'unknown readiness item',
      { readiness: { vibes: { status: 'done', evidence: 'https://x.org' } } },
      'readiness',
      /Unrecognized key: "vibes"/,
    ],
    [
      'clinical risk without clinical sponsor',
      { sponsors: { executive: 'coo-office' } },
      'sponsors.clinical',
      'risk class "clinical-decision-support" needs a clinical sponsor',
    ],
    [
      'operational risk without clinical sponsor',
      { riskClass: 'operational', sponsors: { executive: 'coo-office' } },
      null,
    ],
    [
      'contract listed twice',
      { dataContracts: [{ name: 'a' }, { name: 'a' }] },
      'dataContracts.1.name',
      'contract "a" is listed twice',
    ],
    ['reference that is not a name', { releaseTrain: 'Monthly Train' }, 'releaseTrain', /lowercase name/],
    [
      'deployment file that is absolute',
      { 'deployment.targets': [{ stage: 'production', file: '/etc/values.yaml', field: 'model.version' }] },
      'deployment.targets.0.file',
      /relative path/,
    ],
    [
      'deployment stage twice',
      {
        'deployment.targets': [
          { stage: 'p', file: 'a.yaml', field: 'v' },
          { stage: 'p', file: 'b.yaml', field: 'v' },
        ],
      },
      'deployment.targets.1.stage',
      'stage "p" is listed twice',
    ],
    [
      'evaluation time that is not a timestamp',
      { 'candidate.evaluation.evaluatedAt': 'yesterday' },
      'candidate.evaluation.evaluatedAt',
      /datetime/,
    ],
    [
      'registry that is not a URI',
      { 'model.registryUri': 'readmission' },
      'model.registryUri',
      /absolute URI/,
    ],
    [
      'routing rule without bounds',
      { 'humanOversight.routingRules': [{ name: 'pediatric', field: 'age', route: 'manual' }] },
      'humanOversight.routingRules.0.below',
      /needs below, above or both/,
    ],
  ]);

  it('fills defaults a person would expect', () => {
    const parsed = useCaseSpec.parse({
      ...structuredClone(useCase),
      dataContracts: undefined,
      readiness: undefined,
    });
    expect(parsed.dataContracts).toEqual([]);
    expect(parsed.readiness).toEqual({});
    expect(parsed.deployment.branch).toBe('main');
    expect(parsed.suspend).toBe(false);
  });
});

const train: Obj = {
  schedule: { cron: '0 6 1 * *', timeZone: 'America/Chicago' },
  cutoff: '72h',
  denyWindows: [
    { name: 'ehr-maintenance', cron: '0 22 * * 6', duration: '6h' },
    { name: 'flu-season-peak', from: '2026-12-15T00:00:00Z', to: '2027-01-10T00:00:00Z' },
  ],
  stages: [
    { name: 'staging', gates: { evaluation: [{ metric: 'auroc', min: 0.72 }] } },
    { name: 'production', gates: { minSoak: '14d', minEncounters: 500 } },
  ],
  changeTicketPattern: '^CHG[0-9]{7}$',
};

describe('ReleaseTrain spec', () => {
  runTable(releaseTrainSpec, train, [
    [
      'invalid cron',
      { 'schedule.cron': '0 6 32 * *' },
      'schedule.cron',
      /invalid cron expression "0 6 32 \* \*"/,
    ],
    ['cron with six fields', { 'schedule.cron': '0 0 6 1 * *' }, 'schedule.cron', /5 fields/],
    [
      'time zone that does not exist',
      { 'schedule.timeZone': 'America/Springfield' },
      'schedule.timeZone',
      /IANA time zone/,
    ],
    ['cutoff that is not a duration', { cutoff: '3 days' }, 'cutoff', /duration/],
    [
      'deny window ending before it starts',
      { denyWindows: [{ name: 'x', from: '2027-01-10T00:00:00Z', to: '2026-12-15T00:00:00Z' }] },
      'denyWindows.0.to',
      /must be after from/,
    ],
    [
      'deny window with both forms',
      {
        denyWindows: [
          {
            name: 'x',
            from: '2027-01-10T00:00:00Z',
            to: '2027-01-11T00:00:00Z',
            cron: '0 1 * * *',
            duration: '1h',
          },
        ],
      },
      'denyWindows.0.cron',
      /not both/,
    ],
    [
      'recurring window without duration',
      { denyWindows: [{ name: 'x', cron: '0 1 * * *' }] },
      'denyWindows.0.duration',
      'a recurring window needs duration',
    ],
    ['no stages', { stages: [] }, 'stages', />=1 items/],
    [
      'stage listed twice',
      { stages: [{ name: 'a' }, { name: 'a' }] },
      'stages.1.name',
      'stage "a" is listed twice',
    ],
    [
      'gate min above max',
      { stages: [{ name: 'a', gates: { evaluation: [{ metric: 'auroc', min: 0.9, max: 0.8 }] } }] },
      'stages.0.gates.evaluation.0.min',
      'min (0.9) must not be greater than max (0.8)',
    ],
    [
      'expansion regression over 100%',
      {
        stages: [{ name: 'a', gates: { expansion: [{ metric: 'rework-rate', maxRegressionPercent: 150 }] } }],
      },
      'stages.0.gates.expansion.0.maxRegressionPercent',
      /<=100/,
    ],
    [
      'invalid ticket pattern',
      { changeTicketPattern: '^CHG[0-9' },
      'changeTicketPattern',
      /invalid regular expression/,
    ],
    [
      'negative encounters',
      { stages: [{ name: 'a', gates: { minEncounters: -1 } }] },
      'stages.0.gates.minEncounters',
      />=0/,
    ],
  ]);
});

const surveillance: Obj = {
  interval: '1h',
  inferenceLog: { uri: 'data/inference-log.csv' },
  metrics: [
    {
      name: 'auroc',
      kind: 'performance',
      source: { sql: 'select auroc as value, n as samples from inference_log' },
      baseline: 0.74,
      direction: 'higher-is-better',
      tiers: [
        { at: 5, action: 'notify' },
        { at: 10, action: 'review' },
        { at: 15, action: 'rollback' },
      ],
    },
    {
      name: 'score-psi',
      kind: 'drift',
      source: {
        drift: { statistic: 'psi', column: 'risk_score', baselineWindow: '30d', currentWindow: '7d' },
      },
      direction: 'lower-is-better',
      degradation: 'absolute',
      tiers: [
        { at: 0.1, action: 'notify' },
        { at: 0.25, action: 'review' },
      ],
    },
  ],
};

describe('SurveillancePolicy spec', () => {
  runTable(surveillancePolicySpec, surveillance, [
    [
      'tiers not ascending',
      {
        'metrics.0.tiers': [
          { at: 10, action: 'notify' },
          { at: 5, action: 'review' },
        ],
      },
      'metrics.0.tiers.1.at',
      'tiers must be strictly ascending: tier 1 is at 5, not above tier 0 at 10',
    ],
    [
      'tiers equal',
      {
        'metrics.0.tiers': [
          { at: 5, action: 'notify' },
          { at: 5, action: 'review' },
        ],
      },
      'metrics.0.tiers.1.at',
      /strictly ascending/,
    ],
    [
      'milder action at a higher tier',
      {
        'metrics.0.tiers': [
          { at: 5, action: 'review' },
          { at: 10, action: 'notify' },
        ],
      },
      'metrics.0.tiers.1.action',
      'a higher tier must not take a milder action: "notify" after "review"',
    ],
    [
      'relative tier over 100%',
      { 'metrics.0.tiers': [{ at: 150, action: 'notify' }] },
      'metrics.0.tiers.0.at',
      'relative degradation is a percentage from 0 to 100; found 150',
    ],
    [
      'relative without baseline',
      { 'metrics.0.baseline': DELETE },
      'metrics.0.baseline',
      'relative degradation needs a baseline',
    ],
    [
      'two sources',
      { 'metrics.0.source': { sql: 'select 1', prometheus: 'up' } },
      'metrics.0.source',
      /exactly one of sql, prometheus, drift or builtin; found 2/,
    ],
    ['no source', { 'metrics.0.source': {} }, 'metrics.0.source', /found 0/],
    [
      'samplesQuery without a prometheus query',
      { 'metrics.0.source': { sql: 'select 1', samplesQuery: 'sum(x)' } },
      'metrics.0.source.samplesQuery',
      'samplesQuery belongs to a prometheus source; this source has no prometheus query',
    ],
    [
      'range read of more points than Prometheus returns',
      { 'metrics.0.source': { prometheus: 'up', rangeQuery: { window: '30d', step: '1m' } } },
      'metrics.0.source.rangeQuery.step',
      /at most 11000 points/,
    ],
    [
      'range read with a zero step',
      { 'metrics.0.source': { prometheus: 'up', rangeQuery: { window: '1d', step: '0s' } } },
      'metrics.0.source.rangeQuery.step',
      'must be longer than 0s',
    ],
    [
      'prometheusUrl not a URL',
      { prometheusUrl: 'prometheus:9090' },
      'prometheusUrl',
      /http:\/\/ or https:\/\//,
    ],
    ['sql without inference log', { inferenceLog: DELETE }, 'metrics.0.source', /set spec.inferenceLog/],
    [
      'metric listed twice',
      { 'metrics.1.name': 'auroc', 'metrics.1.kind': 'performance' },
      'metrics.1.name',
      'metric "auroc" is listed twice',
    ],
    [
      'drift source on a performance metric',
      { 'metrics.1.kind': 'performance' },
      'metrics.1.kind',
      /drift source needs kind "drift"/,
    ],
    [
      'unknown action',
      { 'metrics.0.tiers': [{ at: 5, action: 'page' }] },
      'metrics.0.tiers.0.action',
      /Invalid option/,
    ],
    ['absolute degradation without baseline', { 'metrics.1.baseline': DELETE }, null],
    [
      'prometheus source with a range read and a samples query, the URL left to the controller',
      {
        'metrics.0.source': {
          prometheus: 'sum(rate(errors_total[1h]))',
          samplesQuery: 'sum(increase(requests_total[1h]))',
          rangeQuery: { window: '7d', step: '1h', reduce: 'max' },
        },
      },
      null,
    ],
  ]);
});

const signoff: Obj = {
  roles: [
    { name: 'data-science', team: 'northwind-health/data-science' },
    { name: 'clinical-safety', team: 'northwind-health/clinical-safety' },
    { name: 'compliance', team: 'northwind-health/compliance' },
  ],
  requirements: [
    { riskClass: 'operational', roles: ['data-science', 'compliance'] },
    { riskClass: 'clinical-decision-support', roles: ['data-science', 'clinical-safety', 'compliance'] },
  ],
  rules: { approvalExpiry: '14d' },
  breakGlass: { roles: ['clinical-safety'], retrospectiveWithin: '72h' },
  enforcement: { repository: 'northwind-health/ai-deployments' },
};

describe('SignoffPolicy spec', () => {
  runTable(signoffPolicySpec, signoff, [
    [
      'required role not defined',
      { 'requirements.0.roles': ['data-science', 'legal'] },
      'requirements.0.roles.1',
      'role "legal" is not defined in spec.roles (defined: data-science, clinical-safety, compliance)',
    ],
    [
      'break-glass role not defined',
      { 'breakGlass.roles': ['on-call'] },
      'breakGlass.roles.0',
      /role "on-call" is not defined/,
    ],
    [
      'governance role not defined',
      { governance: { repository: 'northwind-health/ai-governance', roles: ['compliance', 'legal'] } },
      'governance.roles.1',
      /role "legal" is not defined in spec.roles/,
    ],
    [
      'governance path that is absolute',
      { governance: { repository: 'northwind-health/ai-governance', paths: ['/care-management/'] } },
      'governance.paths.0',
      /relative path prefix/,
    ],
    [
      'governance declared in full',
      {
        governance: {
          repository: 'northwind-health/ai-governance',
          branch: 'main',
          paths: ['care-management/'],
          roles: ['compliance', 'clinical-safety'],
        },
      },
      null,
    ],
    [
      'role defined twice',
      { 'roles.2.name': 'clinical-safety' },
      'roles.2.name',
      'role "clinical-safety" is defined twice',
    ],
    [
      'risk class twice',
      { 'requirements.1.riskClass': 'operational' },
      'requirements.1.riskClass',
      /has two requirements/,
    ],
    ['team without org', { 'roles.0.team': 'team1' }, 'roles.0.team', /org\/team-slug/],
    [
      'expiry that is not a duration',
      { 'rules.approvalExpiry': 'two weeks' },
      'rules.approvalExpiry',
      /duration/,
    ],
    [
      'repository without org',
      { 'enforcement.repository': 'ai-deployments' },
      'enforcement.repository',
      /org\/repo/,
    ],
  ]);

  it('defaults to the strict rules', () => {
    const parsed = signoffPolicySpec.parse({ ...structuredClone(signoff), rules: undefined });
    expect(parsed.rules).toEqual({
      dismissOnPush: true,
      authorCannotApprove: true,
      committersCannotApprove: true,
      separationOfDuties: true,
      objectionsDismissibleBy: [],
    });
    expect(parsed.enforcement).toMatchObject({ branch: 'main', checkName: 'vigil/sign-off' });
  });
});
