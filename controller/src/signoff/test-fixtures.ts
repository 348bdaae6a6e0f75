// Shared fixtures for the sign-off tests: the care-management policy and a pull request every test varies by one
// fact. Users are role-like handles.
import { signoffPolicySpec } from '../../../specs/signoffpolicy.js';
import type { Review, SignoffInput, TeamMembership } from './evaluate.js';

export const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const OLD = '0f1e2d3c4b5a69788796a5b4c3d2e1f012345678';

export const policy = signoffPolicySpec.parse({
  roles: [
    { name: 'data-science', team: 'northwind-health/data-science' },
    { name: 'clinical-safety', team: 'northwind-health/clinical-safety' },
    { name: 'compliance', team: 'northwind-health/compliance' },
  ],
  requirements: [
    { riskClass: 'operational', roles: ['data-science', 'compliance'] },
    { riskClass: 'clinical-decision-support', roles: ['data-science', 'clinical-safety', 'compliance'] },
  ],
  rules: {
    dismissOnPush: true,
    authorCannotApprove: true,
    committersCannotApprove: true,
    separationOfDuties: true,
    approvalExpiry: '7d',
  },
  breakGlass: { roles: ['clinical-safety'], retrospectiveWithin: '72h' },
  enforcement: { repository: 'northwind-health/ai-deployments', branch: 'main' },
});

export const teams: Record<string, TeamMembership> = {
  'northwind-health/data-science': { active: ['ds-lead', 'ds-2', 'dual-member'] },
  'northwind-health/clinical-safety': { active: ['cs-lead', 'dual-member'] },
  'northwind-health/compliance': { active: ['compliance-1', 'compliance-2'], pending: ['compliance-new'] },
};

export const LAST_PUSH = '2026-03-01T09:00:00Z';

let nextId = 100;
export function review(
  login: string,
  state: Review['state'],
  at: string,
  commitId = HEAD,
  id?: number,
): Review {
  nextId += 1;
  return { id: id ?? nextId, login, state, submittedAt: at, commitId };
}

/** The happy path: the three roles approve the head commit after the last push. */
export function baseInput(overrides: Partial<SignoffInput> = {}): SignoffInput {
  return {
    policy,
    riskClass: 'clinical-decision-support',
    pullRequest: {
      author: 'ml-engineer',
      headSha: HEAD,
      commits: [{ sha: HEAD, authorLogin: 'ml-engineer', committerLogin: 'ml-engineer', verified: true }],
      lastPushAt: LAST_PUSH,
    },
    reviews: [
      review('ds-lead', 'APPROVED', '2026-03-02T10:00:00Z', HEAD, 1),
      review('cs-lead', 'APPROVED', '2026-03-02T11:00:00Z', HEAD, 2),
      review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 3),
    ],
    teams,
    now: new Date('2026-03-03T08:00:00Z'),
    ...overrides,
  };
}
