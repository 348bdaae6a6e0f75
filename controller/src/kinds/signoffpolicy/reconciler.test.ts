// The SignoffPolicy reconciler with and without a forge: teams, protection and the policy's revision read
// through it, an outage waits for GitHub, a missing permission needs a person.
import { describe, expect, it } from 'vitest';
import { ForbiddenError, type Forge, ForgeUnavailableError, NotFoundError } from '../../forge/forge.js';
import { type KubeObject, type ReconcileContext, StalledError, WaitingError } from '../../runtime/index.js';
import { createSignoffPolicyController, signoffPolicyController } from './reconciler.js';
import { GovernanceRepoFake } from './test-support.js';

const now = new Date('2026-03-02T12:00:00Z');
const ctx = { now } as ReconcileContext;
const policy: KubeObject = {
  apiVersion: 'vigil.dev/v1alpha1',
  kind: 'SignoffPolicy',
  metadata: { namespace: 'revenue-cycle', name: 'governance-signoff', generation: 1 },
  spec: {
    roles: [
      { name: 'data-science', team: 'northwind-health/data-science' },
      { name: 'compliance', team: 'northwind-health/compliance' },
    ],
    requirements: [{ riskClass: 'operational', roles: ['data-science', 'compliance'] }],
    enforcement: { repository: 'northwind-health/ai-deployments' },
  },
};
// The policy's enforcement repository, where (without spec.governance) its YAML is looked for.
const governance = new GovernanceRepoFake('northwind-health/ai-deployments');
const POLICY_FILE = 'revenue-cycle/governance-signoff.yaml';
const policyCommit = governance.commit('main', {
  [POLICY_FILE]: `apiVersion: vigil.dev/v1alpha1
kind: SignoffPolicy
metadata: { name: governance-signoff }
spec: ${JSON.stringify(policy.spec)}
`,
});
const forge = (overrides: Partial<Forge>) =>
  ({
    ...governance.forge(),
    teamMembers: async (_org: string, team: string) => {
      if (team === 'compliance') throw new NotFoundError('GET team', 'Not Found', 404);
      return ['ds-lead', 'ds-2'];
    },
    branchProtection: async () => ({
      appId: 17,
      rulesets: [
        {
          id: 7,
          name: 'governed main',
          requiredChecks: [{ context: 'vigil/sign-off', appId: 17 }],
          requiresPullRequest: true,
          blocksForcePushes: true,
          restrictsDismissals: true,
          bypassActors: [],
        },
      ],
    }),
    ...overrides,
  }) as unknown as Forge;

describe('signoffPolicyController', () => {
  it('without a forge checks nothing, as before', async () => {
    const result = await signoffPolicyController.reconcile(ctx, policy);
    expect(result.status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'Unknown',
      reason: 'NoForge',
    });
  });

  it('with a forge reports the teams it found and the ruleset that holds the gate, and checks again later', async () => {
    const result = await createSignoffPolicyController({ forge: forge({}), recheckAfterMs: 1000 }).reconcile(
      ctx,
      policy,
    );
    expect(result.status).toMatchObject({
      enforced: true,
      enforcedBy: 'ruleset',
      teams: [
        { role: 'data-science', members: 2, resolved: true },
        { role: 'compliance', resolved: false },
      ],
    });
    expect(result.requeueAfter).toBe(1000);
  });

  it('waits for GitHub until its reset, and stalls on a missing permission', async () => {
    const down = forge({
      branchProtection: async () => {
        throw new ForgeUnavailableError(
          'GET protection',
          'limit',
          new Date(now.getTime() + 60_000),
          'rate-limit',
          403,
        );
      },
    });
    const waiting = await createSignoffPolicyController({ forge: down })
      .reconcile(ctx, policy)
      .catch((e: unknown) => e);
    expect(waiting).toBeInstanceOf(WaitingError);
    expect((waiting as WaitingError).retryAfterMs).toBe(60_000);

    const forbidden = forge({
      branchProtection: async () => {
        throw new ForbiddenError('GET protection', 'Resource not accessible by integration', 403);
      },
    });
    const stalled = await createSignoffPolicyController({ forge: forbidden })
      .reconcile(ctx, policy)
      .catch((e: unknown) => e);
    expect(stalled).toBeInstanceOf(StalledError);
    expect((stalled as StalledError).reason).toBe('ForgeForbidden');
  });
});

describe('the policy revision', () => {
  const annotated = (value: string): KubeObject => ({
    ...policy,
    metadata: { ...policy.metadata, annotations: { 'vigil.dev/source-revision': value } },
  });
  const commit = '3f1c2a9e8b7d6c5f4e3d2c1b0a99887766554433';

  it('is the git commit the source annotation names', async () => {
    const result = await signoffPolicyController.reconcile(ctx, annotated(commit));
    expect((result.status as { revision?: string }).revision).toBe(commit);
  });

  it('is not recorded from an annotation that is not a full commit id', async () => {
    for (const value of ['3f1c2a9', 'main', `${commit}\n`]) {
      const result = await signoffPolicyController.reconcile(ctx, annotated(value));
      expect((result.status as { revision?: string }).revision).toBeUndefined();
    }
  });
});

describe('the policy revision with a forge', () => {
  const annotated = (value: string): KubeObject => ({
    ...policy,
    metadata: { ...policy.metadata, uid: 'u-1', annotations: { 'vigil.dev/source-revision': value } },
  });

  it('is the commit of the governance repository that last changed the policy file, without an annotation', async () => {
    const result = await createSignoffPolicyController({ forge: forge({}) }).reconcile(ctx, policy);
    expect((result.status as { revision?: string }).revision).toBe(policyCommit);
    expect(result.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'RevisionConfirmed', status: 'True', reason: 'FromRepository' }),
    );
  });

  it('reads the repository again when the annotation changes, and not on a resync', async () => {
    const controller = createSignoffPolicyController({ forge: forge({}) });
    const forged = 'deadbeef'.repeat(5);
    await controller.reconcile(ctx, annotated(policyCommit));
    const listed = governance.calls.listFiles ?? 0;
    await controller.reconcile(ctx, annotated(policyCommit));
    expect(governance.calls.listFiles).toBe(listed);
    const result = await controller.reconcile(ctx, annotated(forged));
    expect(governance.calls.listFiles).toBeGreaterThan(listed);
    expect((result.status as { revision?: string }).revision).toBe(policyCommit);
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: 'AnnotationDisagrees' }),
    );
  });
});
