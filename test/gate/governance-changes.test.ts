// Changes to governance itself are gated. The governance repository holds the SignoffPolicies and UseCases as
// YAML; a pull request there that lowers a use case's risk class, drops a role from a policy, or weakens a policy
// in two steps needs the sign-off of the policy in force (the cluster's), never the one it proposes. Played out
// against the local forge (the repository requires vigil/sign-off pinned to Vigil's App) through octokit as the
// people involved, with Vigil evaluating through its GitHub adapter as its App.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Octokit } from 'octokit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { type ChangeControl, startChangeControl } from '../../controller/src/change-control.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge, Seed } from '../../controller/src/forge/local/index.js';
import { GovernanceChangeGate, SignoffGate } from '../../controller/src/gate/index.js';
import type { CacheReader, KubeObject, Manager } from '../../controller/src/runtime/index.js';
import { as, OWNER, REPO_ROOT, SEED, startForge } from '../forge/harness.js';

const GOVERNANCE = 'ai-governance';
const repository = `${OWNER}/${GOVERNANCE}`;
const POLICY = 'care-management/clinical-signoff.yaml';
const USE_CASE = 'care-management/readmission-risk.yaml';
const SURVEILLANCE = 'care-management/readmission-surveillance.yaml';
const FILES = [POLICY, USE_CASE, SURVEILLANCE, 'utilization-management/um-signoff.yaml'];
const exampleText = (path: string) => readFileSync(resolve(REPO_ROOT, 'examples', path), 'utf8');

/** The Northwind seed, with the governance repository holding the examples' YAML and protected as main is. */
function seed(): Seed {
  const s = parse(readFileSync(SEED, 'utf8')) as {
    repositories: (Record<string, unknown> & { fullName: string })[];
  };
  const deployments = s.repositories.find((r) => r.fullName === `${OWNER}/ai-deployments`)!;
  deployments.content = resolve(REPO_ROOT, 'examples/forge', String(deployments.content));
  s.repositories = [
    ...s.repositories.filter((r) => r.fullName !== repository),
    {
      fullName: repository,
      defaultBranch: 'main',
      private: true,
      content: Object.fromEntries(FILES.map((f) => [f, exampleText(f)])),
      access: deployments.access,
      protection: deployments.protection,
    },
  ];
  return s as unknown as Seed;
}

/** What the cluster holds: the examples as they are on main, changed only when a test says it applied a merge. */
function clusterOf(objects: KubeObject[]): CacheReader {
  return {
    list: (kind, namespace) =>
      objects.filter(
        (o) => o.kind === kind.kind && (namespace === undefined || o.metadata.namespace === namespace),
      ),
    get: (kind, namespace, name) =>
      objects.find(
        (o) => o.kind === kind.kind && o.metadata.namespace === namespace && o.metadata.name === name,
      ),
  };
}
const examples = (): KubeObject[] =>
  FILES.flatMap((f) => parseAllDocuments(exampleText(f))).map((d) => d.toJS() as KubeObject);

let local: LocalForge;
let vigil: Awaited<ReturnType<typeof createGitHubForge>>;

beforeAll(async () => {
  local = await startForge({ seed: seed() });
  vigil = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
  });
});

afterAll(async () => {
  await local?.stop();
});

function gateOver(cluster: KubeObject[]) {
  return new GovernanceChangeGate({
    forge: vigil,
    gate: new SignoffGate({ forge: vigil }),
    cache: clusterOf(cluster),
  });
}

const repo = { owner: OWNER, repo: GOVERNANCE };

/** `who` branches off `from` and commits each edit through the contents API, one commit per file. */
async function branchWith(
  who: string,
  branch: string,
  edits: Record<string, (old: string) => string>,
  from = 'main',
): Promise<void> {
  const client = as(local, who);
  const { data: start } = await client.rest.git.getRef({ ...repo, ref: `heads/${from}` });
  await client.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: start.object.sha });
  for (const [path, edit] of Object.entries(edits)) {
    const { data: file } = await client.rest.repos.getContent({ ...repo, path, ref: branch });
    if (Array.isArray(file) || file.type !== 'file') throw new Error(`${path} is not a file`);
    const old = Buffer.from(file.content, 'base64').toString('utf8');
    const next = edit(old);
    if (next === old) throw new Error(`the edit of ${path} changed nothing`);
    await client.rest.repos.createOrUpdateFileContents({
      ...repo,
      path,
      branch,
      message: `Edit ${path}`,
      sha: file.sha,
      content: Buffer.from(next).toString('base64'),
    });
  }
}

async function open(who: string, branch: string) {
  const { data } = await as(local, who).rest.pulls.create({
    ...repo,
    head: branch,
    base: 'main',
    title: branch,
  });
  return data;
}

async function approve(number: number, ...who: string[]) {
  for (const login of who) {
    await as(local, login).rest.pulls.createReview({ ...repo, pull_number: number, event: 'APPROVE' });
  }
}

async function mergeStatus(client: Octokit, number: number): Promise<number> {
  return client.rest.pulls.merge({ ...repo, pull_number: number }).then(
    () => 200,
    (e: { status: number }) => e.status,
  );
}

async function checkOn(number: number) {
  const { data: pr } = await as(local, 'platform-eng').rest.pulls.get({ ...repo, pull_number: number });
  const { data } = await as(local, 'platform-eng').rest.checks.listForRef({
    ...repo,
    ref: pr.head.sha,
    check_name: 'vigil/sign-off',
  });
  return data.check_runs[0];
}

async function evaluated(gate: GovernanceChangeGate, number: number) {
  const verdict = await gate.evaluate(repository, number);
  if (verdict.kind !== 'evaluated')
    throw new Error(`pull request #${number} was not evaluated: ${verdict.kind}`);
  return verdict;
}

const missing = (result: { roles: { role: string; filledBy?: unknown }[] }) =>
  result.roles.filter((r) => !r.filledBy).map((r) => r.role);

describe('changes to governance need the sign-off of the policy in force', { timeout: 400_000 }, () => {
  it('a pull request that lowers a use case’s risk class cannot merge on its author’s team alone', async () => {
    const gate = gateOver(examples());
    await branchWith('ds-3', 'lower-risk', {
      [USE_CASE]: (old) => old.replace('riskClass: clinical-decision-support', 'riskClass: administrative'),
    });
    const pr = await open('ds-3', 'lower-risk');
    await approve(pr.number, 'ds-lead');

    const { changes, outcome } = await evaluated(gate, pr.number);
    expect(changes.map((c) => [c.subject, c.code])).toEqual([
      ['care-management/readmission-risk', 'risk-class-lowered'],
    ]);
    expect(outcome.result.conclusion).toBe('failure');
    expect(missing(outcome.result)).toEqual(['compliance', 'clinical-safety']);
    const check = await checkOn(pr.number);
    expect(check?.conclusion).toBe('failure');
    expect(check?.output.summary).toContain(
      'Note: Lowers the bar: UseCase care-management/readmission-risk: risk class lowered from clinical-decision-support to administrative.',
    );
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);

    // Compliance and clinical safety sign: the honest path merges.
    await approve(pr.number, 'compliance-1', 'clinical-safety-lead');
    expect((await evaluated(gate, pr.number)).outcome.result.conclusion).toBe('success');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(200);
  });

  it('a pull request that removes a role from a requirement needs that role’s sign-off still', async () => {
    const gate = gateOver(examples());
    await branchWith('ds-3', 'drop-compliance', {
      [POLICY]: (old) =>
        old.replace(
          'roles: [data-science, clinical-safety, compliance]\n',
          'roles: [data-science, clinical-safety]\n',
        ),
    });
    const pr = await open('ds-3', 'drop-compliance');
    await approve(pr.number, 'ds-lead', 'clinical-safety-lead');

    const { changes, outcome } = await evaluated(gate, pr.number);
    expect(changes.map((c) => c.message)).toEqual([
      'SignoffPolicy care-management/clinical-signoff: risk class clinical-decision-support no longer needs compliance.',
    ]);
    expect(outcome.result.conclusion).toBe('failure');
    expect(missing(outcome.result)).toEqual(['compliance']);
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
  });

  it('weakening a policy in two steps needs the same sign-off as weakening it in one', async () => {
    const cluster = examples();
    const dropCompliance = (old: string) =>
      old.replace('roles: [compliance, clinical-safety]\n', 'roles: [clinical-safety]\n');
    const relax = (old: string) => old.replace('separationOfDuties: true', 'separationOfDuties: false');

    // In one step: compliance and clinical safety, the governance roles in force.
    await branchWith('ds-3', 'weaken-at-once', { [POLICY]: (old) => relax(dropCompliance(old)) });
    const atOnce = await open('ds-3', 'weaken-at-once');
    const oneStep = (await evaluated(gateOver(cluster), atOnce.number)).outcome.result;
    expect(missing(oneStep)).toEqual(['compliance', 'clinical-safety']);

    // Step 1 takes compliance out of the roles that sign governance changes: compliance must still sign it.
    await branchWith('ds-3', 'weaken-step-1', { [POLICY]: dropCompliance });
    const step1 = await open('ds-3', 'weaken-step-1');
    await approve(step1.number, 'clinical-safety-lead');
    const first = await evaluated(gateOver(cluster), step1.number);
    expect(first.changes.map((c) => c.code)).toEqual(['governance-changed']);
    expect(first.outcome.result.conclusion).toBe('failure');
    expect(missing(first.outcome.result)).toEqual(['compliance']);
    expect(await mergeStatus(as(local, 'ds-3'), step1.number)).toBe(405);

    // Step 2 stacked on step 1, relaxing a rule while step 1 waits: the pull request carries both, and the
    // policy in force still asks compliance.
    await branchWith('ds-3', 'weaken-step-2', { [POLICY]: relax }, 'weaken-step-1');
    const stacked = await open('ds-3', 'weaken-step-2');
    await approve(stacked.number, 'clinical-safety-lead');
    const second = await evaluated(gateOver(cluster), stacked.number);
    expect(second.changes.map((c) => c.code)).toEqual(['rule-relaxed', 'governance-changed']);
    expect(missing(second.outcome.result)).toEqual(['compliance']);
    expect(await mergeStatus(as(local, 'ds-3'), stacked.number)).toBe(405);

    // Compliance signs step 1, visibly: it merges. Until the cluster applies it, step 2 alone still needs
    // compliance: the policy in force is the cluster's, not main's.
    await approve(step1.number, 'compliance-1');
    const signed = (await evaluated(gateOver(cluster), step1.number)).outcome.result;
    expect(signed.conclusion).toBe('success');
    expect(signed.roles.map((r) => [r.role, r.filledBy?.login])).toEqual([
      ['compliance', 'compliance-1'],
      ['clinical-safety', 'clinical-safety-lead'],
    ]);
    expect(await mergeStatus(as(local, 'ds-3'), step1.number)).toBe(200);
    await branchWith('ds-3', 'weaken-step-2-alone', { [POLICY]: relax });
    const alone = await open('ds-3', 'weaken-step-2-alone');
    await approve(alone.number, 'clinical-safety-lead');
    const beforeApplied = await evaluated(gateOver(cluster), alone.number);
    expect(beforeApplied.changes.map((c) => c.code)).toEqual(['rule-relaxed']);
    expect(missing(beforeApplied.outcome.result)).toEqual(['compliance']);
    expect(await mergeStatus(as(local, 'ds-3'), alone.number)).toBe(405);

    // Once the cluster holds step 1, step 2 needs the roles that policy names, which compliance signed away.
    const applied = cluster.map((o) =>
      o.kind === 'SignoffPolicy' && o.metadata.name === 'clinical-signoff'
        ? (parseAllDocuments(dropCompliance(exampleText(POLICY)))[0]!.toJS() as KubeObject)
        : o,
    );
    const afterApplied = await evaluated(gateOver(applied), alone.number);
    expect(afterApplied.outcome.result.conclusion).toBe('success');
    expect(afterApplied.outcome.result.roles.map((r) => r.role)).toEqual(['clinical-safety']);
    // Across the two steps, every role the one step needed signed off, each on the record of its own check.
    const signedAcross = [...signed.roles, ...afterApplied.outcome.result.roles].filter((r) => r.filledBy);
    expect(new Set(signedAcross.map((r) => r.role))).toEqual(new Set(oneStep.roles.map((r) => r.role)));
  });
});

describe('change control gates the governance repository', { timeout: 400_000 }, () => {
  let changeControl: ChangeControl | undefined;

  afterAll(async () => {
    await changeControl?.stop();
  });

  it('a pull request that loosens a use case’s surveillance tiers needs the sign-off of that use case', async () => {
    // The rollback tier moved from 15% to 40% degradation: the model would keep running far longer.
    const gate = gateOver(examples());
    await branchWith('ds-3', 'loosen-surveillance', {
      [SURVEILLANCE]: (old) => old.replace('{ at: 15, action: rollback }', '{ at: 40, action: rollback }'),
    });
    const pr = await open('ds-3', 'loosen-surveillance');
    await approve(pr.number, 'ds-lead');

    const { changes, outcome } = await evaluated(gate, pr.number);
    expect(changes.map((c) => c.message)).toEqual([
      'SurveillancePolicy care-management/readmission-surveillance: changed (spec.metrics); every use case that names it is affected.',
    ]);
    expect(outcome.result.conclusion).toBe('failure');
    // The governance roles of readmission-risk's policy, the use case that names this surveillance policy.
    expect(missing(outcome.result)).toEqual(['compliance', 'clinical-safety']);
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);

    await approve(pr.number, 'compliance-1', 'clinical-safety-lead');
    expect((await evaluated(gate, pr.number)).outcome.result.conclusion).toBe('success');
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(200);
  });

  it('a pull request there whose webhooks never arrive is found by the poll and gated', async () => {
    const cluster = clusterOf(examples());
    const manager = {
      informerFor: (kind: { kind: string }) => ({
        list: (namespace?: string) => cluster.list(kind as never, namespace),
        get: (namespace: string | undefined, name: string) => cluster.get(kind as never, namespace, name),
      }),
      queueFor: () => undefined,
    } as unknown as Manager;
    changeControl = await startChangeControl({
      manager,
      forge: vigil,
      logger: pino({ level: 'silent' }),
      pollIntervalMs: 200,
    });
    await branchWith('ds-3', 'quiet-surveillance', {
      [USE_CASE]: (old) => old.replace('  surveillancePolicy: readmission-surveillance\n', ''),
    });
    const pr = await open('ds-3', 'quiet-surveillance');
    const check = await until('the sign-off check', async () => {
      const run = await checkOn(pr.number);
      return run?.status === 'completed' ? run : undefined;
    });
    expect(check.conclusion).toBe('failure');
    expect(check.output.summary).toContain(
      'UseCase care-management/readmission-risk: surveillance policy now none instead of readmission-surveillance.',
    );
    expect(await mergeStatus(as(local, 'ds-3'), pr.number)).toBe(405);
  });
});

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
