import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Condition } from '../../../../specs/common.js';
import { DataContract, type DataContractSpec } from '../../../../specs/datacontract.js';
import { ReleaseTrain } from '../../../../specs/releasetrain.js';
import { SignoffPolicy } from '../../../../specs/signoffpolicy.js';
import { SurveillancePolicy } from '../../../../specs/surveillancepolicy.js';
import { UseCase, type UseCaseSpec } from '../../../../specs/usecase.js';
import { decideUseCaseStatus, type UseCaseObservation } from './status.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8'));
const NOW = new Date('2026-08-01T12:00:00Z');
const EARLIER = '2026-07-15T00:00:00Z';

const cond = (type: string, status: Condition['status'], reason: string, message = ''): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: EARLIER,
});

const denials = UseCase.parse(load('revenue-cycle/denials-triage.yaml')).spec;
const claims = DataContract.parse(load('revenue-cycle/claims-remittance.yaml')).spec;
const readyContract = { spec: claims, status: { conditions: [cond('Ready', 'True', 'ContractTestPassed')] } };
const surveillance = (worstTier?: string, healthy?: string) => ({
  spec: SurveillancePolicy.parse(load('revenue-cycle/denials-triage-surveillance.yaml')).spec,
  status: {
    ...(worstTier ? { worstTier } : {}),
    ...(healthy ? { conditions: [cond('Healthy', 'False', 'Degraded', healthy)] } : {}),
  },
});

/** denials-triage with everything it names present and in order. */
const observation = (change: Partial<UseCaseObservation> = {}): UseCaseObservation => ({
  namespace: 'revenue-cycle',
  spec: denials,
  status: {
    stages: [
      { stage: 'staging', version: '3.2.0', since: EARLIER },
      { stage: 'production', version: '3.1.4', since: '2026-05-10T11:00:00Z' },
    ],
  },
  train: { spec: ReleaseTrain.parse(load('revenue-cycle/monthly-release.yaml')).spec },
  contracts: { 'claims-remittance': readyContract },
  surveillancePolicy: surveillance('none'),
  signoffPolicy: { spec: SignoffPolicy.parse(load('revenue-cycle/governance-signoff.yaml')).spec },
  observations: { staging: { labelledOutcomes: 1600 } },
  now: NOW,
  ...change,
});

const conditionOf = (d: ReturnType<typeof decideUseCaseStatus>, type: string) =>
  d.conditions.find((c) => c.type === type);

describe('decideUseCaseStatus: denials-triage as the examples declare it', () => {
  const decision = decideUseCaseStatus(observation());

  it('reports versions per stage, keeping when each was first seen, and the readiness summary', () => {
    expect(decision.status).toEqual({
      productionVersion: '3.1.4',
      candidateVersion: '3.2.0',
      stages: [
        { stage: 'staging', version: '3.2.0', since: EARLIER },
        { stage: 'production', version: '3.1.4', since: '2026-05-10T11:00:00Z' },
      ],
      readiness: '7/8',
      surveillanceTier: 'none',
      // What the candidate waits on, in a few words, for kubectl get uc -o wide.
      waitingOn: 'readiness 7/8',
    });
  });

  it('is Ready, and not PromotionReady while governance approval is open', () => {
    expect(decision.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Reconciled',
        message: 'production runs 3.1.4; candidate 3.2.0 waits on 1 gate for production',
      },
      {
        type: 'Valid',
        status: 'True',
        reason: 'ReferencesResolved',
        message: 'all 4 references resolve in namespace "revenue-cycle"',
      },
      {
        type: 'ContractsSatisfied',
        status: 'True',
        reason: 'ContractsReady',
        message: 'Ready at the versions the use case was built on: claims-remittance 2.1.0',
      },
      {
        type: 'SurveillanceHealthy',
        status: 'True',
        reason: 'Healthy',
        message: 'SurveillancePolicy "denials-triage-surveillance": no metric has reached a tier',
      },
      {
        type: 'PromotionReady',
        status: 'False',
        reason: 'GatesNotMet',
        message:
          'candidate 3.2.0 for production: 1 of 9 gates fail: 7/8 readiness items done; open: governanceApproval (in-progress)',
      },
      {
        type: 'DeploymentOwned',
        status: 'True',
        reason: 'SoleClaimant',
        message: 'no other use case claims its deployment files',
      },
    ]);
    expect(decision.promotion?.to).toBe('production');
  });

  it('dates a version newly seen in a stage from now', () => {
    const d = decideUseCaseStatus(
      observation({ status: { stages: [{ stage: 'staging', version: '3.1.4', since: EARLIER }] } }),
    );
    expect(d.status.stages).toEqual([
      { stage: 'staging', version: '3.2.0', since: '2026-08-01T12:00:00Z' },
      { stage: 'production', version: '3.1.4', since: '2026-08-01T12:00:00Z' },
    ]);
    // The soak starts over: the candidate has only just been seen in staging.
    expect(conditionOf(d, 'PromotionReady')?.message).toContain(
      '3.2.0 entered staging at 2026-08-01T12:00Z; minSoak is 14d, so it soaks until 2026-08-15T12:00Z',
    );
    expect(d.wakeAt).toEqual(new Date('2026-08-15T12:00:00Z'));
  });
});

describe('decideUseCaseStatus: Valid', () => {
  it('names each missing object, and Ready follows', () => {
    const d = decideUseCaseStatus(observation({ train: undefined, contracts: {} }));
    const message =
      'DataContract "claims-remittance" not found in namespace "revenue-cycle"; ReleaseTrain "monthly-release" not found in namespace "revenue-cycle"';
    expect(conditionOf(d, 'Valid')).toEqual({
      type: 'Valid',
      status: 'False',
      reason: 'MissingReference',
      message,
    });
    expect(conditionOf(d, 'Ready')).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'MissingReference',
      message,
    });
    expect(conditionOf(d, 'PromotionReady')).toMatchObject({ status: 'Unknown', reason: 'MissingReference' });
    expect(d.status.productionVersion).toBeUndefined();
    expect(d.status.stages?.map((s) => s.stage)).toEqual(['staging', 'production']);
    expect(d.events).toEqual([{ type: 'Warning', reason: 'MissingReference', message }]);
  });

  it('refuses a stage the train does not have', () => {
    const spec: UseCaseSpec = {
      ...denials,
      versions: [...denials.versions, { stage: 'canary', version: '3.2.0' }],
    };
    expect(conditionOf(decideUseCaseStatus(observation({ spec })), 'Valid')).toEqual({
      type: 'Valid',
      status: 'False',
      reason: 'UnknownStage',
      message: 'stage "canary" not on ReleaseTrain "monthly-release" (its stages: staging, production)',
    });
  });

  it('refuses a sign-off policy with no requirement for the risk class', () => {
    const spec: UseCaseSpec = {
      ...denials,
      riskClass: 'medical-device',
      sponsors: { ...denials.sponsors, clinical: 'cmio-office' },
    };
    expect(conditionOf(decideUseCaseStatus(observation({ spec })), 'Valid')).toMatchObject({
      status: 'False',
      reason: 'NoSignoffRequirement',
    });
  });
});

describe('decideUseCaseStatus: ContractsSatisfied', () => {
  const breaking = [
    {
      path: 'schema[0].properties',
      kind: 'property-removed' as const,
      message: 'property "denied_claim_lines.carc_code" was removed',
    },
  ];
  const at = (version: string, status: object): { spec: DataContractSpec; status: object } => ({
    spec: { ...claims, version },
    status,
  });
  const cases: {
    name: string;
    pinned?: string;
    contract: ReturnType<typeof at>;
    reason: string;
    message: string;
  }[] = [
    {
      name: 'a new version than the one the use case pins',
      pinned: '2.1.0',
      contract: at('2.2.0', { conditions: [cond('Ready', 'True', 'ContractTestPassed')] }),
      reason: 'ContractVersionMismatch',
      message: 'DataContract "claims-remittance" is at 2.2.0; the use case was built on 2.1.0',
    },
    {
      name: 'a new major version that breaks what the use case pins',
      pinned: '2.1.0',
      contract: at('3.0.0', {
        conditions: [cond('Ready', 'True', 'ContractTestPassed')],
        breakingChanges: breaking,
      }),
      reason: 'ContractVersionMismatch',
      message:
        'DataContract "claims-remittance" is at 3.0.0; the use case was built on 2.1.0, and 3.0.0 has 1 breaking change: property "denied_claim_lines.carc_code" was removed',
    },
    {
      name: 'breaking changes and no pin: what the model was built on is not known',
      contract: at('3.0.0', {
        conditions: [cond('Ready', 'True', 'ContractTestPassed')],
        breakingChanges: breaking,
      }),
      reason: 'BreakingChange',
      message:
        'DataContract "claims-remittance" 3.0.0 has 1 breaking change against 2.0.0: property "denied_claim_lines.carc_code" was removed; pin the version the model was built on',
    },
    {
      name: 'no pin, and breaking changes against the previous version not checked',
      contract: at('2.1.0', { conditions: [cond('Ready', 'True', 'PreviousVersionUnavailable')] }),
      reason: 'BreakingChangesUnchecked',
      message:
        'DataContract "claims-remittance" 2.1.0 replaces 2.0.0, which could not be compared; pin the version the model was built on',
    },
    {
      name: 'a contract that is not Ready',
      pinned: '2.1.0',
      contract: at('2.1.0', {
        conditions: [cond('Ready', 'False', 'ContractTestFailed', '1 rule failed against lakehouse-prod')],
      }),
      reason: 'ContractNotReady',
      message:
        'DataContract "claims-remittance" is not Ready (ContractTestFailed: 1 rule failed against lakehouse-prod)',
    },
    {
      name: 'a contract not reconciled yet',
      pinned: '2.1.0',
      contract: at('2.1.0', {}),
      reason: 'ContractNotReady',
      message: 'DataContract "claims-remittance" has not been reconciled yet',
    },
  ];
  it.each(cases)('not satisfied by $name', ({ pinned, contract, reason, message }) => {
    const spec: UseCaseSpec = {
      ...denials,
      dataContracts: [{ name: 'claims-remittance', ...(pinned ? { version: pinned } : {}) }],
    };
    const d = decideUseCaseStatus(observation({ spec, contracts: { 'claims-remittance': contract } }));
    expect(conditionOf(d, 'ContractsSatisfied')).toEqual({
      type: 'ContractsSatisfied',
      status: 'False',
      reason,
      message,
    });
    expect(conditionOf(d, 'Ready')).toMatchObject({ status: 'False', reason });
  });

  it('is satisfied by a pinned contract whose previous version could not be compared', () => {
    const contract = at('2.1.0', { conditions: [cond('Ready', 'True', 'PreviousVersionUnavailable')] });
    const d = decideUseCaseStatus(observation({ contracts: { 'claims-remittance': contract } }));
    expect(conditionOf(d, 'ContractsSatisfied')?.status).toBe('True');
  });

  it('is satisfied when the use case pins the version it reads, breaking changes against older ones aside', () => {
    const contract = at('3.0.0', {
      conditions: [cond('Ready', 'True', 'ContractTestPassed')],
      breakingChanges: breaking,
    });
    const spec: UseCaseSpec = {
      ...denials,
      dataContracts: [{ name: 'claims-remittance', version: '3.0.0' }],
    };
    const d = decideUseCaseStatus(observation({ spec, contracts: { 'claims-remittance': contract } }));
    expect(conditionOf(d, 'ContractsSatisfied')?.status).toBe('True');
  });
});

describe('decideUseCaseStatus: SurveillanceHealthy does not decide Ready', () => {
  const cases: { tier?: string; status: string; reason: string }[] = [
    { tier: undefined, status: 'Unknown', reason: 'NotEvaluated' },
    { tier: 'none', status: 'True', reason: 'Healthy' },
    { tier: 'notify', status: 'True', reason: 'NotifyTier' },
    { tier: 'review', status: 'False', reason: 'ReviewTier' },
    { tier: 'rollback', status: 'False', reason: 'RollbackTier' },
  ];
  it.each(cases)('worst tier $tier -> $status $reason, Ready stays True', ({ tier, status, reason }) => {
    const d = decideUseCaseStatus(
      observation({ surveillancePolicy: surveillance(tier, 'top1-accuracy at red (review)') }),
    );
    expect(conditionOf(d, 'SurveillanceHealthy')).toMatchObject({ status, reason });
    expect(conditionOf(d, 'Ready')?.status).toBe('True');
  });

  it("quotes the policy's own verdict and names the tier in Ready's message", () => {
    const d = decideUseCaseStatus(
      observation({ surveillancePolicy: surveillance('review', 'top1-accuracy at red (review)') }),
    );
    expect(conditionOf(d, 'SurveillanceHealthy')?.message).toBe(
      'SurveillancePolicy "denials-triage-surveillance" reached review; a governance review is due: top1-accuracy at red (review)',
    );
    expect(conditionOf(d, 'Ready')?.message).toBe(
      'production runs 3.1.4; candidate 3.2.0 waits on 1 gate for production; surveillance: ReviewTier',
    );
    expect(d.status.surveillanceTier).toBe('review');
  });

  it('is Unknown without a surveillance policy', () => {
    const { surveillancePolicy: _, ...spec } = denials;
    const d = decideUseCaseStatus(observation({ spec: spec as UseCaseSpec, surveillancePolicy: undefined }));
    expect(conditionOf(d, 'SurveillanceHealthy')).toEqual({
      type: 'SurveillanceHealthy',
      status: 'Unknown',
      reason: 'NoSurveillancePolicy',
      message: 'no surveillance policy: nothing watches the deployed version',
    });
  });
});

describe('decideUseCaseStatus: events on what changed', () => {
  const approved: UseCaseSpec = {
    ...denials,
    readiness: {
      ...denials.readiness,
      governanceApproval: { status: 'done', evidence: 'https://wiki.example/minutes' },
    },
  };
  it('announces a candidate that became ready, once', () => {
    const first = decideUseCaseStatus(observation({ spec: approved }));
    expect(first.events).toEqual([
      {
        type: 'Normal',
        reason: 'CandidateReady',
        message: 'candidate 3.2.0 meets all 9 gates for production',
      },
    ]);
    const written = first.conditions.map((c) => ({ ...c, lastTransitionTime: NOW.toISOString() }));
    const again = decideUseCaseStatus(
      observation({ spec: approved, status: { ...observation().status, conditions: written } }),
    );
    expect(again.events).toEqual([]);
  });

  it('keeps messages short enough to read in a terminal', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `feed-${i}` }));
    const d = decideUseCaseStatus(observation({ spec: { ...denials, dataContracts: many }, contracts: {} }));
    expect(conditionOf(d, 'Valid')!.message.length).toBeLessThanOrEqual(300);
    expect(conditionOf(d, 'Valid')!.message.endsWith('...')).toBe(true);
  });
});

describe('decideUseCaseStatus: a deployment file another use case claims', () => {
  const conflict = {
    repository: 'northwind-health/ai-deployments',
    branch: 'main',
    path: 'revenue-cycle/denials-triage/production.yaml',
    claimants: ['sandbox/quiet-helper'],
  };

  it('is not Ready, names the file and the other claimant, and warns once', () => {
    const d = decideUseCaseStatus(observation({ claimConflicts: [conflict] }));
    expect(conditionOf(d, 'DeploymentOwned')).toMatchObject({ status: 'False', reason: 'ClaimConflict' });
    expect(conditionOf(d, 'DeploymentOwned')?.message).toContain(
      'revenue-cycle/denials-triage/production.yaml is also claimed by sandbox/quiet-helper',
    );
    expect(conditionOf(d, 'Ready')).toMatchObject({ status: 'False', reason: 'ClaimConflict' });
    expect(d.events.filter((e) => e.reason === 'ClaimConflict')).toHaveLength(1);
    const again = decideUseCaseStatus(
      observation({
        claimConflicts: [conflict],
        status: {
          ...observation().status,
          conditions: d.conditions.map((c) => ({ ...c, lastTransitionTime: NOW.toISOString() })),
        },
      }),
    );
    expect(again.events.filter((e) => e.reason === 'ClaimConflict')).toEqual([]);
  });

  it('owns its files when nobody else claims them', () => {
    expect(conditionOf(decideUseCaseStatus(observation()), 'DeploymentOwned')).toMatchObject({
      status: 'True',
      reason: 'SoleClaimant',
    });
  });
});

describe('decideUseCaseStatus: a wave whose expansion criteria hold', () => {
  const spec = UseCase.parse(load('utilization-management/prior-auth-summarization.yaml')).spec;
  const train = ReleaseTrain.parse(load('utilization-management/wave-rollout.yaml')).spec;
  const decideAt = (now: string) =>
    decideUseCaseStatus({
      namespace: 'utilization-management',
      spec,
      status: { stages: [{ stage: 'pilot-clinic', version: '1.4.0', since: '2026-06-01T00:00:00Z' }] },
      train: { spec: train },
      contracts: {},
      now: new Date(now),
      observations: {
        'pilot-clinic': {
          encounters: 1000,
          labelledOutcomes: 900,
          reviewed: 1000,
          reviewedOf: 1000,
          metrics: [
            { metric: 'cycle-time-p50-hours', value: 10 },
            { metric: 'cycle-time-p90-hours', value: 30 },
            { metric: 'first-pass-approval-rate', value: 0.9 },
            { metric: 'rework-rate', value: 0.01 },
          ],
        },
      },
    });

  it('says a deny window holds it, until when, and decides again when the window ends', () => {
    // Sunday 02:00 in Chicago: the weekly EHR maintenance window (00:00, 6 hours) holds every expansion.
    const sunday = decideAt('2026-09-06T07:00:00Z');
    expect(sunday.promotion).toMatchObject({ ready: true, reason: 'GatesMet', to: 'twelve-clinics' });
    expect(sunday.status.waitingOn).toBe(
      'gates met; expansion to twelve-clinics held by deny window ehr-sunday-maintenance until 2026-09-06T06:00:00-05:00',
    );
    expect(sunday.wakeAt).toEqual(new Date('2026-09-06T11:00:00Z'));
    // At the window's end nothing holds it: the train opens the expansion, and the use case waits on nothing.
    const after = decideAt('2026-09-06T11:00:00Z');
    expect(after.promotion?.ready).toBe(true);
    expect(after.status.waitingOn).toBeUndefined();
  });
});
