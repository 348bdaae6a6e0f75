// Enforced means enforced, against the local forge and the real controller loop: a branch that lacks any one
// setting the gate needs (the check pinned to Vigil's App, administrators held, no bypass, pull requests only,
// no force push, review dismissals restricted) leaves the SignoffPolicy Enforced=False naming that setting, in
// its status, its conditions, a Warning Event and `kubectl get so -A`; a fully protected branch, by classic
// protection or by a ruleset, shows Enforced=True. Before this, a branch that merely named the check passed.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forge } from '../../controller/src/forge/forge.js';
import { appCredentialsFromSecret, tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import { type LocalForge, type Seed, startLocalForge } from '../../controller/src/forge/local/index.js';
import { createSignoffPolicyController } from '../../controller/src/kinds/signoffpolicy/reconciler.js';
import { registerControllers } from '../../controller/src/reconcilers.js';
import { type KubeObject, Manager, type ReconcileContext } from '../../controller/src/runtime/index.js';
import type { SignoffPolicyStatus } from '../../specs/signoffpolicy.js';
import {
  createNamespace,
  eventually,
  startTestCluster,
  type TestCluster,
  testLogger,
} from '../runtime/cluster-fixture.js';

const ORG = 'northwind-health';
const VIGIL_APP = 1043;
const OTHER_APP = 2077;
const CHECK = 'vigil/sign-off';
const pinned = [{ context: CHECK, appId: VIGIL_APP }];
const restricted = { teams: ['compliance'] };
const VIGIL_KEYS = generateKeyPairSync('rsa', { modulusLength: 2048 });

type Protection = NonNullable<NonNullable<Seed['repositories']>[number]['protection']>;

/** Each repository's protection, and the settings the SignoffPolicy must name as missing (none: enforced). */
const BRANCHES: Record<string, { protection: Protection; missing: string[] }> = {
  'classic-full': {
    protection: {
      enforcedBy: 'branch-protection',
      requiredChecks: pinned,
      dismissalRestrictions: restricted,
    },
    missing: [],
  },
  'ruleset-full': {
    protection: { enforcedBy: 'ruleset', requiredChecks: pinned, dismissalRestrictions: restricted },
    missing: [],
  },
  'no-check': {
    protection: {
      enforcedBy: 'branch-protection',
      requiredChecks: ['ci/build'],
      dismissalRestrictions: restricted,
    },
    missing: ['required-check'],
  },
  'check-from-anyone': {
    protection: {
      enforcedBy: 'branch-protection',
      requiredChecks: [CHECK],
      dismissalRestrictions: restricted,
    },
    missing: ['check-from-app'],
  },
  'check-from-other-app': {
    protection: {
      enforcedBy: 'ruleset',
      requiredChecks: [{ context: CHECK, appId: OTHER_APP }],
      dismissalRestrictions: restricted,
    },
    missing: ['check-from-app'],
  },
  'admins-exempt': {
    protection: {
      enforcedBy: 'branch-protection',
      requiredChecks: pinned,
      dismissalRestrictions: restricted,
      enforceAdmins: false,
    },
    missing: ['enforce-admins'],
  },
  // A ruleset that does not hold administrators names the admin role among its bypass actors.
  'ruleset-admins-exempt': {
    protection: {
      enforcedBy: 'ruleset',
      requiredChecks: pinned,
      dismissalRestrictions: restricted,
      enforceAdmins: false,
    },
    missing: ['no-bypass'],
  },
  'bypass-allowance': {
    protection: {
      enforcedBy: 'branch-protection',
      requiredChecks: pinned,
      dismissalRestrictions: restricted,
      bypassActors: { users: ['ds-lead'] },
    },
    missing: ['no-bypass'],
  },
  'ruleset-bypass': {
    protection: {
      enforcedBy: 'ruleset',
      requiredChecks: pinned,
      dismissalRestrictions: restricted,
      bypassActors: { teams: ['platform'] },
    },
    missing: ['no-bypass'],
  },
  // Without a required pull request there are no reviews whose dismissal could be restricted either.
  'direct-pushes': {
    protection: { enforcedBy: 'branch-protection', requiredChecks: pinned, requirePullRequest: false },
    missing: ['pull-request', 'dismissal-restrictions'],
  },
  'force-pushes': {
    protection: {
      enforcedBy: 'branch-protection',
      requiredChecks: pinned,
      dismissalRestrictions: restricted,
      allowForcePushes: true,
    },
    missing: ['no-force-push'],
  },
  'ruleset-force-pushes': {
    protection: {
      enforcedBy: 'ruleset',
      requiredChecks: pinned,
      dismissalRestrictions: restricted,
      allowForcePushes: true,
    },
    missing: ['no-force-push'],
  },
  'anyone-dismisses': {
    protection: { enforcedBy: 'branch-protection', requiredChecks: pinned },
    missing: ['dismissal-restrictions'],
  },
};

const seed: Seed = {
  organizations: [
    {
      login: ORG,
      teams: [
        { slug: 'compliance', maintainers: ['compliance-1'], members: [] },
        { slug: 'data-science', maintainers: ['ds-lead'], members: [] },
        { slug: 'platform', maintainers: ['platform-eng'], members: [] },
      ],
    },
  ],
  users: [
    { login: 'platform-eng', token: 'enforced-test-platform-eng' },
    { login: 'ds-lead', token: 'enforced-test-ds-lead' },
    { login: 'compliance-1', token: 'enforced-test-compliance-1' },
  ],
  apps: [
    {
      id: VIGIL_APP,
      slug: 'vigil',
      name: 'Vigil',
      owner: ORG,
      installationId: 50431,
      token: 'enforced-test-app-vigil',
      publicKey: VIGIL_KEYS.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
    {
      id: OTHER_APP,
      slug: 'other-ci',
      name: 'Other CI',
      owner: ORG,
      installationId: 50432,
      token: 'enforced-test-app-other',
    },
  ],
  repositories: Object.entries(BRANCHES).map(([name, { protection }]) => ({
    fullName: `${ORG}/${name}`,
    content: { 'README.md': `${name}\n` },
    initialCommitter: 'platform-eng',
    protection,
    access: { base: 'read', teams: { platform: 'admin', 'data-science': 'write' } },
  })),
};

const policy = (repository: string, namespace = 'gate-enforcement'): KubeObject => ({
  apiVersion: 'vigil.dev/v1alpha1',
  kind: 'SignoffPolicy',
  metadata: { namespace, name: repository.split('/')[1]!, generation: 1 },
  spec: {
    roles: [
      { name: 'data-science', team: `${ORG}/data-science` },
      { name: 'compliance', team: `${ORG}/compliance` },
    ],
    requirements: [{ riskClass: 'operational', roles: ['data-science', 'compliance'] }],
    enforcement: { repository },
  },
});

let local: LocalForge;
/** Vigil as it runs: a GitHub App, signing in with its private key for installation tokens. */
let forge: Forge;

/** Vigil given the App's installation token as a bare token: nothing says which App it is. */
const tokenForge = () =>
  createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app-token'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });

beforeAll(async () => {
  local = await startLocalForge({ seed, openApiCheck: true });
  forge = await createGitHubForge({
    credentials: appCredentialsFromSecret(
      { appId: VIGIL_APP, installationId: 50431 },
      Buffer.from(VIGIL_KEYS.privateKey.export({ type: 'pkcs1', format: 'pem' })),
      'test/vigil-app',
    ),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

describe('SignoffPolicy Enforced, read from the local forge', { timeout: 60_000 }, () => {
  const ctx = () => ({ now: new Date() }) as ReconcileContext;
  const reconcile = async (name: string, through = forge) => {
    const result = await createSignoffPolicyController({ forge: through }).reconcile(
      ctx(),
      policy(`${ORG}/${name}`),
    );
    return { ...result, status: result.status as SignoffPolicyStatus };
  };

  it('with a bare token, says the check cannot be pinned until a check run it wrote names its App', async () => {
    const bare = await tokenForge();
    const before = await reconcile('classic-full', bare);
    expect(before.status.enforced).toBe(false);
    expect(before.status.missingProtection).toEqual(['check-from-app']);
    expect(before.events).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'PersonalToken',
        message: expect.stringContaining("a personal token's check cannot be pinned to an App"),
      }),
    ]);
    // Vigil writes its check on a commit, as on every governed pull request; GitHub names the App in the run.
    const head = await bare.branchHead(`${ORG}/classic-full`, 'main');
    await bare.createCheckRun(`${ORG}/classic-full`, {
      name: CHECK,
      headSha: head!,
      status: 'completed',
      conclusion: 'neutral',
      output: { title: 'Not a pull request', summary: 'Nothing to sign off on main itself.' },
    });
    expect((await reconcile('classic-full', bare)).status.enforced).toBe(true);
  });

  it("with a person's token, says plainly that the check cannot be pinned: only an App may write a check", async () => {
    const personal = await createGitHubForge({
      credentials: tokenFromSecret(Buffer.from(local.tokens['platform-eng']!), 'test/platform-eng'),
      baseUrl: local.url,
      retryBaseMs: 10,
    });
    const head = await personal.branchHead(`${ORG}/classic-full`, 'main');
    await expect(
      personal.createCheckRun(`${ORG}/classic-full`, { name: CHECK, headSha: head!, status: 'in_progress' }),
    ).rejects.toMatchObject({ status: 403 });
    const result = await reconcile('classic-full', personal);
    expect(result.status).toMatchObject({ enforced: false, missingProtection: ['check-from-app'] });
    expect(result.status.conditions?.find((c) => c.type === 'Enforced')).toMatchObject({
      status: 'False',
      reason: 'PersonalToken',
    });
  });

  it.each(Object.entries(BRANCHES))('%s', async (name, { missing }) => {
    const result = await reconcile(name);
    const enforcedCondition = result.status.conditions?.find((c) => c.type === 'Enforced');
    if (missing.length === 0) {
      expect(result.status).toMatchObject({
        enforced: true,
        enforcedBy: name.split('-')[0] === 'ruleset' ? 'ruleset' : 'branch-protection',
      });
      expect(result.status.missingProtection).toBeUndefined();
      expect(enforcedCondition).toMatchObject({ status: 'True', reason: 'BranchProtected' });
      expect(result.events).toEqual([]);
      return;
    }
    expect(result.status.enforced).toBe(false);
    expect(result.status.missingProtection).toEqual(missing);
    expect(enforcedCondition?.status).toBe('False');
    for (const setting of missing) expect(enforcedCondition?.message).toContain(setting);
    expect(result.events).toHaveLength(1);
    expect(result.events?.[0]).toMatchObject({ type: 'Warning', reason: enforcedCondition?.reason });
    // The Event says how to set each one.
    for (const gap of result.status.protectionGaps ?? [])
      expect(result.events?.[0]?.message).toContain(gap.message);
  });

  it('sent nothing the OpenAPI description does not allow, and the forge answered within it', () => {
    expect(local.violations).toEqual([]);
  });
});

describe('kubectl get so -A, with the real controller loop', { timeout: 90_000 }, () => {
  const NS = 'gate-enforcement';
  const SHOWN = ['classic-full', 'ruleset-full', 'admins-exempt', 'force-pushes', 'check-from-anyone'];
  let cluster: TestCluster;
  let manager: Manager | undefined;

  beforeAll(async () => {
    cluster = await startTestCluster();
    const client = cluster.client();
    await createNamespace(client, NS);
    for (const name of SHOWN) {
      const { metadata, ...rest } = policy(`${ORG}/${name}`);
      await client.customObjects.createNamespacedCustomObject({
        group: 'vigil.dev',
        version: 'v1alpha1',
        namespace: NS,
        plural: 'signoffpolicies',
        body: { ...rest, metadata: { name: metadata!.name, namespace: NS } },
      });
    }
    manager = new Manager({ client, leaderElection: false, probes: false, logger: testLogger() });
    registerControllers(manager, { forge });
    await manager.start();
  }, 90_000);

  afterAll(async () => {
    await manager?.stop();
    await cluster?.stop();
  });

  it('shows ENFORCED false and the missing settings, and a Warning Event naming them', async () => {
    const kubectl = async (args: string[]) =>
      (
        await promisify(execFile)('kubectl', args, {
          // A HOME of the cluster's own: without one, kubectl writes its discovery cache under the working
          // directory (the repository).
          env: {
            PATH: process.env.PATH ?? '',
            KUBECONFIG: cluster.cluster.kubeconfigPath,
            HOME: dirname(cluster.cluster.kubeconfigPath),
          },
        })
      ).stdout;
    // Cells are read by the header's column positions: an empty cell is blank.
    const table = (out: string) => {
      const [header, ...lines] = out.trimEnd().split('\n');
      const starts = [...header!.matchAll(/\S+/g)].map((m) => [m[0], m.index] as const);
      return new Map(
        lines.map((line) => {
          const cells = Object.fromEntries(
            starts.map(([name, at], k) => [name, line.slice(at, starts[k + 1]?.[1]).trim()]),
          );
          return [cells.NAME!, cells] as const;
        }),
      );
    };
    const rows = await eventually(async () => {
      const out = await kubectl(['get', 'so', '-A']);
      expect(out.split('\n')[0]).toMatch(
        /^NAMESPACE\s+NAME\s+REPOSITORY\s+BRANCH\s+ENFORCED\s+MISSING\s+READY\s+AGE$/,
      );
      const byName = table(out);
      for (const name of SHOWN) expect(byName.get(name)?.ENFORCED).toMatch(/^(true|false)$/);
      return byName;
    }, 30_000);
    const shown = (name: string) => {
      const { ENFORCED, MISSING, READY } = rows.get(name)!;
      return [ENFORCED, MISSING, READY];
    };
    expect(shown('classic-full')).toEqual(['true', '', 'True']);
    expect(shown('ruleset-full')).toEqual(['true', '', 'True']);
    expect(shown('admins-exempt')).toEqual(['false', '["enforce-admins"]', 'False']);
    expect(shown('force-pushes')).toEqual(['false', '["no-force-push"]', 'False']);
    expect(shown('check-from-anyone')).toEqual(['false', '["check-from-app"]', 'False']);

    const events = (await cluster.client().core.listNamespacedEvent({ namespace: NS })).items;
    const about = (name: string) =>
      events.filter((e) => e.involvedObject.kind === 'SignoffPolicy' && e.involvedObject.name === name);
    // The runtime also records the Ready transition; the decision's own Event says how to set each setting.
    expect(about('admins-exempt')).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'ProtectionIncomplete',
        message: expect.stringContaining('"Do not allow bypassing the above settings"'),
      }),
    );
    expect(about('classic-full').filter((e) => e.type === 'Warning')).toEqual([]);
  });
});
