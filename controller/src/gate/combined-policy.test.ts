import { describe, expect, it } from 'vitest';
import { type SignoffPolicySpec, signoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { evaluateSignoff } from '../signoff/index.js';
import { baseInput, policy as clinical, HEAD, review, teams } from '../signoff/test-fixtures.js';
import { combinePolicies, type PolicyEntry } from './combined-policy.js';

/** A weaker policy a second use case brings: one role, filled by a team of its own. */
const sandbox: SignoffPolicySpec = signoffPolicySpec.parse({
  roles: [
    { name: 'compliance', team: 'northwind-health/sandbox-owners' },
    { name: 'data-science', team: 'northwind-health/data-science' },
  ],
  requirements: [
    { riskClass: 'medical-device', roles: ['compliance'] },
    { riskClass: 'operational', roles: ['data-science'] },
  ],
  rules: { approvalExpiry: '30d' },
  enforcement: { repository: 'northwind-health/ai-deployments' },
});

const entry = (overrides: Partial<PolicyEntry>): PolicyEntry => ({
  useCase: 'care-management/readmission-risk',
  riskClass: 'clinical-decision-support',
  policy: 'care-management/clinical-signoff',
  spec: clinical,
  ...overrides,
});
const squatter = entry({
  useCase: 'sandbox/quiet-helper',
  riskClass: 'medical-device',
  policy: 'sandbox/sandbox-signoff',
  spec: sandbox,
});

describe('combinePolicies', () => {
  it('passes one policy through unchanged', () => {
    const c = combinePolicies([entry({ revision: 'abc123' })]);
    expect(c.spec).toBe(clinical);
    expect(c).toMatchObject({
      riskClass: 'clinical-decision-support',
      name: 'care-management/clinical-signoff',
      revision: 'abc123',
    });
  });

  it('asks every role of every policy; a same-named role on another team is another role', () => {
    const c = combinePolicies([entry({}), squatter]);
    expect(c.riskClass).toBe('medical-device');
    expect(c.name).toBe('sandbox/sandbox-signoff + care-management/clinical-signoff');
    expect(c.spec?.requirements).toEqual([
      {
        riskClass: 'medical-device',
        roles: [
          'compliance (sandbox/sandbox-signoff)',
          'data-science',
          'clinical-safety',
          'compliance (care-management/clinical-signoff)',
        ],
      },
    ]);
    // The strictest rules: the shorter expiry, verified commits, no break-glass, nobody lifts another's objection.
    expect(c.spec?.rules).toMatchObject({
      approvalExpiry: '7d',
      requireVerifiedCommits: true,
      objectionsDismissibleBy: [],
    });
    expect(c.spec?.breakGlass).toBeUndefined();
  });

  it('a second use case cannot lower the bar: the first policy’s roles still must sign', () => {
    const c = combinePolicies([entry({}), squatter]);
    const sandboxTeams = { ...teams, 'northwind-health/sandbox-owners': { active: ['insider'] } };
    // Only the squatter's own role approves: not enough.
    const r = evaluateSignoff(
      baseInput({
        policy: c.spec,
        riskClass: c.riskClass,
        teams: sandboxTeams,
        reviews: [review('insider', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 9)],
      }),
    );
    expect(r.conclusion).toBe('failure');
    expect(r.summary).toBe('1/4 roles signed off');
    // Everyone approves, and separation of duties holds across the set: success.
    const all = evaluateSignoff(
      baseInput({
        policy: c.spec,
        riskClass: c.riskClass,
        teams: sandboxTeams,
        reviews: [...baseInput().reviews!, review('insider', 'APPROVED', '2026-03-02T12:30:00Z', HEAD, 9)],
      }),
    );
    expect(all.conclusion).toBe('success');
  });

  it('fails closed when any policy is missing or does not cover its use case', () => {
    const missing = combinePolicies([entry({}), { ...squatter, spec: undefined }]);
    expect(missing.spec).toBeUndefined();
    expect(missing.blockers.map((b) => b.code)).toEqual(['policy-unavailable']);
    const uncovered = combinePolicies([entry({}), { ...squatter, riskClass: 'administrative' }]);
    expect(uncovered.blockers.map((b) => b.code)).toEqual(['no-requirement']);
  });
});
