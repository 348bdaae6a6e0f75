import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PromotionSpec, PromotionStatus } from '../../../specs/promotion.js';
import { SignoffPolicy, type SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { UseCase, type UseCaseSpec, type UseCaseStatus } from '../../../specs/usecase.js';
import { noForgeReport, referenceRollbacks, rollbackReport } from '../kinds/surveillancepolicy/rollbacks.js';
import type { ActionRecord } from '../kinds/surveillancepolicy/status.js';
import type { CacheReader, ClusterClient, KubeObject } from '../runtime/index.js';
import {
  breakGlassAllowed,
  createRollbacks,
  type KnownPromotion,
  planRollback,
  previousVersion,
  type RollbackRequest,
} from './rollback.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8'));
const denials = UseCase.parse(load('revenue-cycle/denials-triage.yaml')).spec;
const policy = SignoffPolicy.parse(load('revenue-cycle/governance-signoff.yaml')).spec;
const { breakGlass: _, ...withoutBreakGlass } = policy;
const NS = 'revenue-cycle';

/** denials-triage after 3.2.0 reached production: staging and production both run it. */
const degraded: UseCaseStatus = {
  productionVersion: '3.2.0',
  stages: [
    { stage: 'staging', version: '3.2.0', since: '2026-07-01T00:00:00Z' },
    { stage: 'production', version: '3.2.0', since: '2026-07-20T00:00:00Z' },
  ],
};

const promotion = (
  name: string,
  spec: Partial<PromotionSpec> & Pick<PromotionSpec, 'to' | 'version'>,
  status: PromotionStatus = {},
): KnownPromotion => ({
  name,
  spec: { useCase: 'denials-triage', type: 'promotion', trigger: 'train', breakGlass: false, ...spec },
  status,
});

/** The merged promotion that brought 3.2.0 to production, replacing 3.1.4. */
const promotedToProduction = promotion(
  'denials-triage-production-3-2-0',
  { to: 'production', from: 'staging', version: '3.2.0', previousVersion: '3.1.4' },
  { phase: 'Merged', mergedAt: '2026-07-20T00:00:00Z' },
);

const request = (over: Partial<RollbackRequest> = {}): RollbackRequest => ({
  useCase: { namespace: NS, name: 'denials-triage', uid: 'uid-1', spec: denials, status: degraded },
  signoffPolicy: policy,
  promotions: [promotedToProduction],
  ...over,
});

describe('planRollback', () => {
  it('rolls production back to the version the merged promotion replaced, with break-glass the policy allows', () => {
    const plan = planRollback(request());
    expect(plan.version).toBe('3.2.0');
    expect(plan.rollbacks).toHaveLength(1);
    const [r] = plan.rollbacks;
    expect(r).toMatchObject({
      stage: 'production',
      from: '3.2.0',
      to: '3.1.4',
      name: 'denials-triage-rollback-production-3-1-4',
      breakGlass: true,
    });
    expect(r!.create).toMatchObject({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'Promotion',
      metadata: {
        name: 'denials-triage-rollback-production-3-1-4',
        namespace: NS,
        labels: { 'vigil.dev/use-case': 'denials-triage', 'vigil.dev/stage': 'production' },
        ownerReferences: [{ kind: 'UseCase', name: 'denials-triage', uid: 'uid-1' }],
      },
      spec: {
        useCase: 'denials-triage',
        type: 'rollback',
        trigger: 'surveillance',
        to: 'production',
        version: '3.1.4',
        previousVersion: '3.2.0',
        breakGlass: true,
      },
    });
    expect(r!.create!.spec.from).toBeUndefined();
  });

  it('leaves a stage with no known earlier version as it is, and says why', () => {
    const plan = planRollback(request());
    expect(plan.skipped).toEqual([
      {
        stage: 'staging',
        reason: 'NoPreviousVersion',
        message: expect.stringContaining('staging runs 3.2.0 and no good version it ran before is known'),
      },
    ]);
  });

  it('creates nothing when no stage has a known earlier version', () => {
    const plan = planRollback(request({ promotions: [] }));
    expect(plan.rollbacks).toEqual([]);
    expect(plan.skipped.map((s) => `${s.stage}:${s.reason}`)).toEqual([
      'staging:NoPreviousVersion',
      'production:NoPreviousVersion',
    ]);
  });

  it('does not learn a previous version from a promotion that has not merged', () => {
    const open = { ...promotedToProduction, status: { phase: 'Open' as const } };
    expect(planRollback(request({ promotions: [open] })).rollbacks).toEqual([]);
  });

  it('sets breakGlass false where the policy has no break-glass, no requirement for the risk class, or is missing', () => {
    const noGlass = planRollback(request({ signoffPolicy: withoutBreakGlass as SignoffPolicySpec }));
    expect(noGlass.rollbacks[0]!.create!.spec.breakGlass).toBe(false);
    expect(noGlass.breakGlass).toEqual({ allowed: false, why: 'its SignoffPolicy allows no break-glass' });

    const medical = { ...denials, riskClass: 'medical-device' as const };
    const noRequirement = planRollback(
      request({ useCase: { namespace: NS, name: 'denials-triage', spec: medical, status: degraded } }),
    );
    expect(noRequirement.rollbacks[0]!.create!.spec.breakGlass).toBe(false);
    expect(noRequirement.breakGlass.why).toContain('no requirement for risk class "medical-device"');

    const missing = planRollback(request({ signoffPolicy: undefined }));
    expect(missing.rollbacks[0]!.create!.spec.breakGlass).toBe(false);
  });

  it('reuses a rollback Promotion that already exists for the same use case, stage and versions', () => {
    const existing = promotion(
      'denials-triage-rollback-production-3-1-4',
      {
        type: 'rollback',
        trigger: 'surveillance',
        to: 'production',
        version: '3.1.4',
        previousVersion: '3.2.0',
        breakGlass: true,
      },
      { phase: 'Open' },
    );
    const plan = planRollback(request({ promotions: [promotedToProduction, existing] }));
    expect(plan.rollbacks).toEqual([
      {
        stage: 'production',
        from: '3.2.0',
        to: '3.1.4',
        name: 'denials-triage-rollback-production-3-1-4',
        breakGlass: true,
      },
    ]);
  });

  it('refuses a name an earlier rollback from another version holds, rather than claim it as this one', () => {
    const earlier = promotion(
      'denials-triage-rollback-production-3-1-4',
      {
        type: 'rollback',
        trigger: 'surveillance',
        to: 'production',
        version: '3.1.4',
        previousVersion: '3.1.9',
      },
      { phase: 'Merged', mergedAt: '2026-06-01T00:00:00Z' },
    );
    const plan = planRollback(request({ promotions: [promotedToProduction, earlier] }));
    expect(plan.rollbacks).toEqual([]);
    expect(plan.skipped).toContainEqual({
      stage: 'production',
      reason: 'NameTaken',
      message: expect.stringContaining('already records another change (rollback of 3.1.4 from 3.1.9)'),
    });
  });

  it('rolls back every stage that runs the degraded version, each to its own earlier version', () => {
    const promotedToStaging = promotion(
      'denials-triage-staging-3-2-0',
      { to: 'staging', version: '3.2.0', previousVersion: '3.1.9' },
      { phase: 'Merged', mergedAt: '2026-07-01T00:00:00Z' },
    );
    const plan = planRollback(request({ promotions: [promotedToStaging, promotedToProduction] }));
    expect(plan.skipped).toEqual([]);
    expect(plan.rollbacks.map((r) => [r.stage, r.to, r.name])).toEqual([
      ['staging', '3.1.9', 'denials-triage-rollback-staging-3-1-9'],
      ['production', '3.1.4', 'denials-triage-rollback-production-3-1-4'],
    ]);
  });

  it('has nothing to roll back when the use case shows no production version', () => {
    const plan = planRollback(
      request({ useCase: { namespace: NS, name: 'denials-triage', spec: denials, status: {} } }),
    );
    expect(plan.rollbacks).toEqual([]);
    expect(plan.skipped).toEqual([
      { reason: 'NotDeployed', message: expect.stringContaining('no production') },
    ]);
  });
});

describe('previousVersion', () => {
  const history = (...ps: KnownPromotion[]) => ps;

  it('takes the newest merged promotion of the version to the stage', () => {
    const older = promotion(
      'a',
      { to: 'production', version: '3.2.0', previousVersion: '3.0.0' },
      { phase: 'Merged', mergedAt: '2026-01-01T00:00:00Z' },
    );
    expect(
      previousVersion('denials-triage', 'production', '3.2.0', history(older, promotedToProduction)),
    ).toBe('3.1.4');
  });

  it('skips a version a merged rollback already left for being degraded', () => {
    const rolledAway = promotion(
      'denials-triage-rollback-production-3-0-0',
      { type: 'rollback', to: 'production', version: '3.0.0', previousVersion: '3.1.4' },
      { phase: 'Merged', mergedAt: '2026-05-01T00:00:00Z' },
    );
    expect(
      previousVersion('denials-triage', 'production', '3.2.0', history(promotedToProduction, rolledAway)),
    ).toBeUndefined();
  });

  it('ignores other use cases and other stages', () => {
    const other = { ...promotedToProduction, spec: { ...promotedToProduction.spec, useCase: 'prior-auth' } };
    expect(previousVersion('denials-triage', 'production', '3.2.0', [other])).toBeUndefined();
    expect(previousVersion('denials-triage', 'staging', '3.2.0', [promotedToProduction])).toBeUndefined();
  });
});

describe('a version deployed before Vigil managed the stage', () => {
  it('is learned from the deployment file history when no merged promotion records one', () => {
    const plan = planRollback(
      request({
        promotions: [],
        deployedBefore: new Map([
          ['production', ['3.2.0', '3.1.4']],
          ['staging', ['3.2.0', '3.2.0', '3.1.9']],
        ]),
      }),
    );
    expect(plan.rollbacks.map((r) => `${r.stage} ${r.from} -> ${r.to}`).sort()).toEqual([
      'production 3.2.0 -> 3.1.4',
      'staging 3.2.0 -> 3.1.9',
    ]);
    expect(plan.skipped).toEqual([]);
  });

  it('comes after what a merged promotion records, and skips a version a merged rollback left', () => {
    expect(
      previousVersion('denials-triage', 'production', '3.2.0', [promotedToProduction], ['3.2.0', '3.0.0']),
    ).toBe('3.1.4');
    const leftBehind = promotion(
      'denials-triage-rollback-production-3-1-9',
      { type: 'rollback', to: 'production', version: '3.1.9', previousVersion: '3.1.9' },
      { phase: 'Merged', mergedAt: '2026-07-01T00:00:00Z' },
    );
    expect(
      previousVersion('denials-triage', 'production', '3.2.0', [leftBehind], ['3.2.0', '3.1.9', '3.1.4']),
    ).toBe('3.1.4');
    expect(previousVersion('denials-triage', 'production', '3.2.0', [], ['3.2.0'])).toBeUndefined();
  });
});

describe('breakGlassAllowed', () => {
  it('allows break-glass only where the policy declares it and covers the risk class', () => {
    expect(breakGlassAllowed(policy, 'operational')).toEqual({
      allowed: true,
      why: 'break-glass by data-science, retrospective sign-off within 72h',
    });
    expect(breakGlassAllowed(policy, 'medical-device').allowed).toBe(false);
    expect(breakGlassAllowed(undefined, 'operational').allowed).toBe(false);
  });
});

describe('several use cases breached at once', () => {
  const priorAuth: UseCaseSpec = { ...denials, riskClass: 'administrative' };
  const plans = [
    planRollback(request()),
    planRollback({
      useCase: { namespace: NS, name: 'prior-auth', spec: priorAuth, status: degraded },
      signoffPolicy: policy,
      promotions: [
        promotion(
          'prior-auth-production-3-2-0',
          { useCase: 'prior-auth', to: 'production', version: '3.2.0', previousVersion: '3.0.2' },
          { phase: 'Merged', mergedAt: '2026-07-02T00:00:00Z' },
        ),
      ],
    }),
  ];

  it('plans one rollback per use case, each named for its own use case', () => {
    expect(plans.flatMap((p) => p.rollbacks.map((r) => r.name))).toEqual([
      'denials-triage-rollback-production-3-1-4',
      'prior-auth-rollback-production-3-0-2',
    ]);
  });

  it("records each use case's Promotion on this pass's rollback actions only", () => {
    const at = '2026-08-01T00:00:00Z';
    const actions: ActionRecord[] = [
      {
        at: '2026-07-01T00:00:00Z',
        metric: 'auroc',
        tier: 'rollback',
        action: 'rollback',
        useCase: 'prior-auth',
      },
      { at, metric: 'auroc', tier: 'rollback', action: 'rollback', useCase: 'denials-triage' },
      { at, metric: 'auroc', tier: 'rollback', action: 'rollback', useCase: 'prior-auth' },
      { at, metric: 'psi', tier: 'review', action: 'review', useCase: 'prior-auth' },
    ];
    expect(referenceRollbacks(actions, 1, plans).map((a) => a.reference)).toEqual([
      undefined,
      'denials-triage-rollback-production-3-1-4',
      'prior-auth-rollback-production-3-0-2',
      undefined,
    ]);
  });

  it('names in the breach record only the rollbacks the controller created, by name and uid', () => {
    const at = '2026-08-01T00:00:00Z';
    const dt = 'denials-triage-rollback-production-3-1-4';
    const pa = 'prior-auth-rollback-production-3-0-2';
    const actions: ActionRecord[] = [
      {
        at: '2026-07-01T00:00:00Z',
        metric: 'auroc',
        tier: 'rollback',
        action: 'rollback',
        useCase: 'prior-auth',
        rollbacks: [{ name: pa, uid: 'uid-pa', stage: 'production', version: '3.0.2' }],
      },
      { at, metric: 'auroc', tier: 'rollback', action: 'rollback', useCase: 'denials-triage' },
      { at, metric: 'auroc', tier: 'rollback', action: 'rollback', useCase: 'prior-auth' },
    ];
    const record = (created: [string, string][], existing: [string, string][]) =>
      referenceRollbacks(actions, 1, plans, new Map(created), new Map(existing))
        .slice(1)
        .map((a) => a.rollbacks);
    // Created now: recorded with the uid the API server answered.
    expect(record([[dt, 'uid-dt']], [[pa, 'uid-pa']])).toEqual([
      [{ name: dt, uid: 'uid-dt', stage: 'production', version: '3.1.4' }],
      [{ name: pa, uid: 'uid-pa', stage: 'production', version: '3.0.2' }],
    ]);
    // Found under the planned name, never recorded (a person made it first), or re-made under another uid.
    expect(
      record(
        [],
        [
          [dt, 'uid-by-hand'],
          [pa, 'uid-remade'],
        ],
      ),
    ).toEqual([undefined, undefined]);
  });

  it('reports False, naming the stages left as they are, when any stage could not be rolled back', () => {
    const report = rollbackReport(plans, new Set(['denials-triage-rollback-production-3-1-4']));
    expect(report.condition).toMatchObject({
      type: 'RollbackOpened',
      status: 'False',
      reason: 'NoPreviousVersion',
    });
    expect(report.condition.message).toContain('rollback Promotion denials-triage-rollback-production-3-1-4');
    expect(report.events.map((e) => `${e.type} ${e.reason} ${e.message.split(':')[0]}`)).toEqual([
      'Normal RollbackOpened created rollback Promotion denials-triage-rollback-production-3-1-4',
      'Warning RollbackNotOpened denials-triage staging runs 3.2.0 and no good version it ran before is known (no merged promotion of 3.2.0 to staging records one, nor does the history of its deployment file); roll it back by hand',
      'Normal RollbackOpened found rollback Promotion prior-auth-rollback-production-3-0-2',
      'Warning RollbackNotOpened prior-auth staging runs 3.2.0 and no good version it ran before is known (no merged promotion of 3.2.0 to staging records one, nor does the history of its deployment file); roll it back by hand',
    ]);
  });

  it('reports True when every stage running the degraded version has its rollback', () => {
    const only = { ...plans[0]!, skipped: [] };
    expect(rollbackReport([only], new Set()).condition).toMatchObject({
      status: 'True',
      reason: 'RollbackOpened',
    });
  });
});

describe('without a forge', () => {
  it('creates no Promotion nobody would follow, and says the rollback is left to a person', () => {
    const report = noForgeReport(['denials-triage']);
    expect(report.condition).toMatchObject({ type: 'RollbackOpened', status: 'False', reason: 'NoForge' });
    expect(report.condition.message).toContain('no rollback pull request can be opened for denials-triage');
    expect(report.events).toEqual([
      { type: 'Warning', reason: 'RollbackNotOpened', message: report.condition.message },
    ]);
  });
});

describe('createRollbacks', () => {
  const plan = planRollback(request());
  const name = 'denials-triage-rollback-production-3-1-4';

  function fakeClient(fail?: { code: number }) {
    const bodies: KubeObject[] = [];
    const client = {
      customObjects: {
        createNamespacedCustomObject: async (req: { body: KubeObject }) => {
          bodies.push(req.body);
          if (fail) throw Object.assign(new Error('refused'), fail);
          return { ...req.body, metadata: { ...req.body.metadata, uid: `uid-of-${req.body.metadata.name}` } };
        },
      },
    } as unknown as ClusterClient;
    return { client, bodies };
  }
  const cache = (...names: string[]): CacheReader => ({
    get: (_kind, _ns, n) => (names.includes(n) ? ({ metadata: { name: n } } as KubeObject) : undefined),
    list: () => [],
  });

  it('creates the planned Promotion once, and returns the uid the API server gave it', async () => {
    const { client, bodies } = fakeClient();
    expect(await createRollbacks(client, cache(), plan)).toEqual([{ name, uid: `uid-of-${name}` }]);
    expect(bodies.map((b) => b.metadata.name)).toEqual([name]);
  });

  it('writes nothing for a Promotion the cache already holds', async () => {
    const { client, bodies } = fakeClient();
    expect(await createRollbacks(client, cache(name), plan)).toEqual([]);
    expect(bodies).toEqual([]);
  });

  it('takes a 409 as the same Promotion made by another replica, and throws anything else', async () => {
    expect(await createRollbacks(fakeClient({ code: 409 }).client, cache(), plan)).toEqual([]);
    await expect(createRollbacks(fakeClient({ code: 500 }).client, cache(), plan)).rejects.toThrow('refused');
  });

  it('writes nothing once leadership is lost', async () => {
    const { client, bodies } = fakeClient();
    const lost = new AbortController();
    lost.abort();
    await expect(createRollbacks(client, cache(), plan, lost.signal)).rejects.toThrow();
    expect(bodies).toEqual([]);
  });
});
