// The policy revision read from the governance repository, and the source annotation held against it: an
// annotation anyone who applies the object can write counts only where the repository bears it out.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import { ForbiddenError } from '../../forge/forge.js';
import type { KubeObject } from '../../runtime/index.js';
import { type AppliedPolicy, PolicySources } from './policy-source.js';
import { decideRevision } from './revision.js';
import { GovernanceRepoFake } from './test-support.js';

const REPO = 'northwind-health/ai-governance';
const FILE = 'revenue-cycle/governance-signoff.yaml';

const policyYaml = (opts: { roles?: string; namespace?: string | null; approvalExpiry?: string } = {}) =>
  `# Who signs off revenue-cycle changes.
apiVersion: vigil.dev/v1alpha1
kind: SignoffPolicy
metadata:
  name: governance-signoff
${opts.namespace === null ? '' : `  namespace: ${opts.namespace ?? 'revenue-cycle'}\n`}spec:
  roles:
    - { name: data-science, team: northwind-health/data-science }
    - { name: compliance, team: northwind-health/compliance }
  requirements:
    - { riskClass: operational, roles: [${opts.roles ?? 'data-science, compliance'}] }
  rules:
    approvalExpiry: ${opts.approvalExpiry ?? '14d'}
  enforcement:
    repository: northwind-health/ai-deployments
  governance:
    repository: ${REPO}
    paths: [revenue-cycle/]
`;
const useCaseYaml = `apiVersion: vigil.dev/v1alpha1
kind: UseCase
metadata: { name: denials-triage, namespace: revenue-cycle }
spec: { title: Denials triage }
`;

/** The spec as the cluster holds it: the file's, read through the schema. */
const specOf = (text: string) => signoffPolicySpec.parse((parse(text) as { spec: unknown }).spec);

const applied = (yaml = policyYaml(), annotatedCommit?: string): AppliedPolicy => ({
  namespace: 'revenue-cycle',
  name: 'governance-signoff',
  spec: specOf(yaml),
  ...(annotatedCommit ? { annotatedCommit } : {}),
});
const object = (annotation?: string): KubeObject => ({
  apiVersion: 'vigil.dev/v1alpha1',
  kind: 'SignoffPolicy',
  metadata: {
    namespace: 'revenue-cycle',
    name: 'governance-signoff',
    generation: 3,
    ...(annotation ? { annotations: { 'vigil.dev/source-revision': annotation } } : {}),
  },
});

/** main: the policy committed, then a use case beside it (a later commit that does not touch the policy). */
function repository() {
  const repo = new GovernanceRepoFake(REPO);
  const policyCommit = repo.commit('main', { [FILE]: policyYaml(), 'README.md': '# governance\n' });
  const laterCommit = repo.commit('main', { 'revenue-cycle/denials-triage.yaml': useCaseYaml });
  return { repo, policyCommit, laterCommit };
}

async function revisionOf(repo: GovernanceRepoFake, policy: AppliedPolicy, annotation?: string) {
  const source = await new PolicySources(repo.forge()).observe(policy);
  return decideRevision({ policy: object(annotation), source });
}

describe('an annotation the repository does not bear out', () => {
  it('naming a commit that is not in the governance repository: the repository commit is recorded, with a Warning', async () => {
    const { repo, policyCommit } = repository();
    const forged = 'deadbeef'.repeat(5);
    const decision = await revisionOf(repo, applied(policyYaml(), forged), forged);
    expect(decision.revision).toBe(policyCommit);
    expect(decision.condition).toMatchObject({
      type: 'RevisionConfirmed',
      status: 'False',
      reason: 'AnnotationDisagrees',
    });
    const message = `the vigil.dev/source-revision annotation names ${forged}, but ${forged} is not a commit of ${REPO}; recorded ${policyCommit}, the commit of main of ${REPO} that last changed ${FILE} instead`;
    expect(decision.events).toEqual([{ type: 'Warning', reason: 'AnnotationDisagrees', message }]);
  });

  it('naming a commit of an unmerged branch that weakens the policy as applied: not recorded, and said so', async () => {
    const { repo, laterCommit } = repository();
    // Someone with write access pushes a weaker policy to a branch, then applies it naming that commit.
    const weaker = policyYaml({ roles: 'data-science' });
    const branchCommit = repo.commit('weaken', { [FILE]: weaker }, laterCommit);
    const decision = await revisionOf(repo, applied(weaker, branchCommit), branchCommit);
    // main never held this spec: the repository has no commit to record.
    expect(decision.revision).toBeUndefined();
    expect(decision.condition.reason).toBe('AnnotationDisagrees');
    expect(decision.events[0]?.message).toBe(
      `the vigil.dev/source-revision annotation names ${branchCommit}, but ${FILE} at ${branchCommit} is as ${branchCommit} left it, which is not on main of ${REPO}: a change that was not merged there; recorded generation:3 instead`,
    );
  });

  it('naming a commit of the repository whose file declares another spec: the repository commit is recorded', async () => {
    const { repo, policyCommit } = repository();
    const newer = repo.commit('main', { [FILE]: policyYaml({ approvalExpiry: '7d' }) });
    // The cluster holds the first version, but the annotation names the commit that changed it.
    const decision = await revisionOf(repo, applied(policyYaml(), newer), newer);
    expect(decision.revision).toBe(policyCommit);
    expect(decision.condition.reason).toBe('AnnotationDisagrees');
    expect(decision.condition.message).toContain(
      `${FILE} at ${newer} declares SignoffPolicy revenue-cycle/governance-signoff with another spec than the one applied`,
    );
  });

  it('naming a commit at which no file declares the policy', async () => {
    const { repo } = repository();
    const unrelated = repo.commit('docs', { 'README.md': '# moved\n', [FILE]: null });
    const decision = await revisionOf(repo, applied(policyYaml(), unrelated), unrelated);
    expect(decision.condition.message).toContain(
      `no file of ${REPO} at ${unrelated} declares SignoffPolicy revenue-cycle/governance-signoff`,
    );
  });
});

describe('an annotation the repository bears out', () => {
  it('is recorded as it is: a later commit of the branch at which the file holds the policy as applied', async () => {
    const { repo, policyCommit, laterCommit } = repository();
    const decision = await revisionOf(repo, applied(policyYaml(), laterCommit), laterCommit);
    expect(decision.revision).toBe(laterCommit);
    expect(decision.condition).toMatchObject({ status: 'True', reason: 'AnnotationConfirmed' });
    expect(decision.condition.message).toContain(`as main of ${REPO} holds it since ${policyCommit}`);
    expect(decision.events).toEqual([]);
  });
});

describe('the revision from the repository, without an annotation', () => {
  it('is the commit that last changed the file declaring the policy, not a later commit beside it', async () => {
    const { repo, policyCommit } = repository();
    const decision = await revisionOf(repo, applied());
    expect(decision.revision).toBe(policyCommit);
    expect(decision.condition).toMatchObject({
      status: 'True',
      reason: 'FromRepository',
      message: `revision ${policyCommit}: the commit of main of ${REPO} that last changed ${FILE} to the spec applied`,
    });
  });

  it('finds the policy in a multi-document file, and a document without a namespace counts for any', async () => {
    const repo = new GovernanceRepoFake(REPO);
    const both = repo.commit('main', {
      'all.yaml': `${useCaseYaml}---\n${policyYaml({ namespace: null })}`,
      'other-namespace.yaml': policyYaml({ namespace: 'care-management' }),
    });
    expect((await revisionOf(repo, applied())).revision).toBe(both);
  });

  it('is the older commit when the cluster has not yet taken the branch’s latest change', async () => {
    const { repo, policyCommit } = repository();
    repo.commit('main', { [FILE]: policyYaml({ approvalExpiry: '7d' }) });
    const decision = await revisionOf(repo, applied());
    expect(decision.revision).toBe(policyCommit);
    expect(decision.condition.message).toContain('(main has changed it since)');
  });

  it('is none, with a Warning, when the spec applied is no version of the file', async () => {
    const { repo } = repository();
    const decision = await revisionOf(repo, applied(policyYaml({ roles: 'data-science' })));
    expect(decision.revision).toBeUndefined();
    expect(decision.condition).toMatchObject({ status: 'False', reason: 'DiffersFromRepository' });
    expect(decision.events).toEqual([
      {
        type: 'Warning',
        reason: 'DiffersFromRepository',
        message: `SignoffPolicy revenue-cycle/governance-signoff as applied is not ${FILE} at any of the last 1 commits of main of ${REPO} that changed it: it was not applied from the governance repository; recorded as generation:3`,
      },
    ]);
  });

  it('is none when two files declare the policy, or none does', async () => {
    const { repo } = repository();
    repo.commit('main', { 'copy.yaml': policyYaml() });
    const twice = await revisionOf(repo, applied());
    expect(twice.revision).toBeUndefined();
    expect(twice.condition.reason).toBe('DeclaredTwice');

    const empty = new GovernanceRepoFake(REPO);
    empty.commit('main', { 'README.md': '# nothing yet\n' });
    const none = await revisionOf(empty, applied());
    expect(none.revision).toBeUndefined();
    expect(none.condition).toMatchObject({ status: 'False', reason: 'NotInRepository' });
    expect(none.events).toEqual([]);
  });

  it('keeps the annotation, unconfirmed, when the credentials may not read the repository', async () => {
    const { repo, laterCommit } = repository();
    const forge = repo.forge({
      branchHead: async () => {
        throw new ForbiddenError('GET ref', 'Resource not accessible by integration', 403);
      },
    });
    const source = await new PolicySources(forge).observe(applied(policyYaml(), laterCommit));
    const decision = decideRevision({ policy: object(laterCommit), source });
    expect(decision.revision).toBe(laterCommit);
    expect(decision.condition).toMatchObject({ status: 'Unknown', reason: 'RepositoryUnreadable' });
  });

  it('claims nothing from a listing the forge cut short: what it left out may declare the policy too', async () => {
    const { repo } = repository();
    const whole = repo.forge();
    const forge = repo.forge({
      listFiles: async (r, ref) => {
        const tree = await whole.listFiles(r, ref);
        return tree && { files: tree.files.slice(0, 1), truncated: true };
      },
    });
    const source = await new PolicySources(forge).observe(applied());
    const decision = decideRevision({ policy: object(), source });
    expect(decision.revision).toBeUndefined();
    expect(decision.condition).toMatchObject({ status: 'Unknown', reason: 'RepositoryUnreadable' });
    expect(decision.condition.message).toContain('would not list every file');
  });

  it('does not fetch a YAML file too large for the YAML reader', async () => {
    const { repo } = repository();
    repo.commit('main', { 'data/huge.yaml': `rows:\n${'  - 1\n'.repeat(200_000)}` });
    await new PolicySources(repo.forge()).observe(applied());
    expect(repo.calls.readFile).toBe(2);
  });

  it('reads each file once until it changes, whichever pass or policy asks', async () => {
    const { repo } = repository();
    const sources = new PolicySources(repo.forge());
    await sources.observe(applied());
    const firstReads = repo.calls.readFile ?? 0;
    // Two YAML files and a Markdown one: only the YAML files are read.
    expect(firstReads).toBe(2);
    await sources.observe(applied());
    expect(repo.calls.readFile).toBe(firstReads);
  });
});
