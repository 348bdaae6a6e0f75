import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Forge, PullRequest } from '../forge/forge.js';
import type { CacheReader, KubeObject } from '../runtime/index.js';
import { combinePolicies } from './combined-policy.js';
import { type GovernanceFile, governanceChanges, readGovernanceDocs } from './governance-changes.js';
import {
  GovernanceChangeGate,
  governanceRepositories,
  governanceRequirement,
  governsPath,
  isManifestPath,
  PULL_REQUEST_FILES_CAP,
} from './governance-gate.js';
import type { SignoffGate, SignoffRequest } from './signoff-gate.js';

const EXAMPLES = resolve(fileURLToPath(import.meta.url), '../../../../examples');
const FILES = [
  'care-management/clinical-signoff.yaml',
  'care-management/readmission-risk.yaml',
  'utilization-management/um-signoff.yaml',
  'utilization-management/prior-auth-summarization.yaml',
];
const text = (path: string) => readFileSync(resolve(EXAMPLES, path), 'utf8');
const examples = (): KubeObject[] =>
  FILES.flatMap((f) => parseAllDocuments(text(f))).map((d) => d.toJS() as KubeObject);

function cacheOf(objects: KubeObject[]): CacheReader {
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

/** What a pull request editing `path` needs, with the cluster holding `objects`. */
function required(path: string, edit: (old: string) => string | undefined, objects = examples()) {
  const baseFiles: GovernanceFile[] = [{ path, content: FILES.includes(path) ? text(path) : undefined }];
  const headFiles: GovernanceFile[] = [{ path, content: edit(FILES.includes(path) ? text(path) : '') }];
  const base = readGovernanceDocs(baseFiles);
  const head = readGovernanceDocs(headFiles);
  const changes = governanceChanges(base, head);
  const { entries, blockers } = governanceRequirement({
    changes,
    base,
    head,
    repository: 'northwind-health/ai-governance',
    branch: 'main',
    cache: cacheOf(objects),
  });
  const combined = combinePolicies(entries);
  const roles = combined.spec?.requirements[0]?.roles ?? [];
  const teams = roles.map((r) => combined.spec?.roles.find((x) => x.name === r)?.team);
  return { changes, combined, roles, teams, blockers: [...combined.blockers, ...blockers] };
}

describe('governanceRequirement', () => {
  it('a use case whose policy names governance roles needs exactly those', () => {
    const r = required('care-management/readmission-risk.yaml', (old) =>
      old.replace('riskClass: clinical-decision-support', 'riskClass: administrative'),
    );
    expect(r.changes.map((c) => c.code)).toEqual(['risk-class-lowered']);
    expect(r.roles).toEqual(['compliance', 'clinical-safety']);
    // Filed under the risk class it has now, not the one proposed: its rules (verified commits) apply.
    expect(r.combined.riskClass).toBe('clinical-decision-support');
    expect(r.combined.name).toBe('care-management/clinical-signoff');
    expect(r.blockers).toEqual([]);
  });

  it('by default: compliance plus the owner team of the changed use case', () => {
    const r = required('utilization-management/prior-auth-summarization.yaml', (old) =>
      old.replace('signoffPolicy: um-signoff', 'signoffPolicy: lenient'),
    );
    expect(r.roles).toEqual(['compliance', 'use-case-owner']);
    expect(r.teams).toEqual(['northwind-health/compliance', 'northwind-health/um-analytics']);
  });

  it('a change to a policy is judged by the policy in force, not the one proposed', () => {
    // The cluster holds the policy as it is; the pull request drops compliance from its governance roles and
    // relaxes a rule at once.
    const r = required('care-management/clinical-signoff.yaml', (old) =>
      old
        .replace('roles: [compliance, clinical-safety]\n', 'roles: [clinical-safety]\n')
        .replace('separationOfDuties: true', 'separationOfDuties: false'),
    );
    expect(r.changes.map((c) => c.code)).toEqual(['rule-relaxed', 'governance-changed']);
    expect(r.roles).toEqual(['compliance', 'clinical-safety']);
    expect(r.combined.spec?.rules.separationOfDuties).toBe(true);
    // A policy change reaches every class it covers: filed under the strictest.
    expect(r.combined.riskClass).toBe('medical-device');
  });

  it('the version in force is the cluster’s, even when the base branch says otherwise', () => {
    const objects = examples();
    const policy = objects.find((o) => o.metadata.name === 'clinical-signoff')!;
    (policy.spec as { governance: { roles: string[] } }).governance.roles = [
      'compliance',
      'clinical-safety',
      'data-science',
    ];
    const r = required(
      'care-management/clinical-signoff.yaml',
      (old) => old.replace('approvalExpiry: 7d', 'approvalExpiry: 30d'),
      objects,
    );
    expect(r.roles).toEqual(['compliance', 'clinical-safety', 'data-science']);
  });

  it('a policy created where no policy in force governs blocks', () => {
    const r = required('sandbox/lenient.yaml', () =>
      text('care-management/clinical-signoff.yaml')
        .replace('namespace: care-management', 'namespace: sandbox')
        .replace('name: clinical-signoff', 'name: lenient'),
    );
    expect(r.changes.map((c) => c.code)).toEqual(['created']);
    expect(r.blockers.map((b) => b.code)).toEqual(['policy-unavailable']);
    expect(r.blockers[0]?.message).toContain(
      'No SignoffPolicy in force governs SignoffPolicy sandbox/lenient',
    );
  });

  it('a policy created under a governed path needs that path’s governance roles', () => {
    const r = required('care-management/lenient.yaml', () =>
      text('care-management/clinical-signoff.yaml').replace('name: clinical-signoff', 'name: lenient'),
    );
    expect(r.roles).toEqual(['compliance', 'clinical-safety']);
    expect(r.combined.name).toBe('care-management/clinical-signoff');
  });

  it('a policy with neither governance roles nor a compliance role blocks its own changes', () => {
    const objects = examples();
    const um = objects.find((o) => o.metadata.name === 'um-signoff')!;
    const spec = um.spec as { roles: { name: string }[]; requirements: { roles: string[] }[] };
    spec.roles = spec.roles.filter((r) => r.name !== 'compliance');
    for (const req of spec.requirements) req.roles = req.roles.filter((r) => r !== 'compliance');
    const r = required(
      'utilization-management/um-signoff.yaml',
      (old) => old.replace('approvalExpiry: 14d', 'approvalExpiry: 60d'),
      objects,
    );
    expect(r.blockers.map((b) => b.code)).toEqual(['no-requirement']);
    expect(r.combined.spec).toBeUndefined();
  });
});

describe('where governance lives', () => {
  it('lists the repositories SignoffPolicies name, and their paths', () => {
    expect(governanceRepositories(cacheOf(examples()))).toEqual(new Set(['northwind-health/ai-governance']));
    expect(governsPath(['care-management/'], 'care-management/x.yaml')).toBe(true);
    expect(governsPath(['care-management/**'], 'care-management/a/x.yaml')).toBe(true);
    expect(governsPath(['care-management/'], 'revenue-cycle/x.yaml')).toBe(false);
    expect(governsPath(undefined, 'anything.yaml')).toBe(true);
  });

  it('reads every file the cluster could apply: YAML and JSON, whatever the case', () => {
    expect(['a.yaml', 'b/c.YML', 'd.json'].map(isManifestPath)).toEqual([true, true, true]);
    expect(['README.md', 'values.yaml.bak', 'policy'].map(isManifestPath)).toEqual([false, false, false]);
  });
});

describe('GovernanceChangeGate', () => {
  it('a pull request with more files than GitHub lists cannot be signed off', async () => {
    const pr = {
      number: 7,
      state: 'open',
      head: { ref: 'many', sha: 'b'.repeat(40) },
      base: { ref: 'main', sha: 'a'.repeat(40) },
    } as PullRequest;
    const files = Array.from({ length: PULL_REQUEST_FILES_CAP }, (_, i) => ({
      path: `notes/${i}.md`,
      status: 'added' as const,
    }));
    const forge = {
      getPullRequest: async () => pr,
      listPullRequestFiles: async () => files,
      readFile: async () => undefined,
    } as unknown as Forge;
    const requests: SignoffRequest[] = [];
    const gate = {
      evaluate: async (request: SignoffRequest) => {
        requests.push(request);
        return { result: { conclusion: 'failure' } };
      },
    } as unknown as SignoffGate;
    const verdict = await new GovernanceChangeGate({ forge, gate, cache: cacheOf(examples()) }).evaluate(
      'northwind-health/ai-governance',
      7,
    );
    expect(verdict.kind).toBe('evaluated');
    expect(requests.map((r) => r.blockers?.map((b) => b.message))).toEqual([
      [
        'GitHub lists at most 3000 files of a pull request and this one has 3000 listed, so a change to governance past them cannot be ruled out; split it into smaller pull requests.',
      ],
    ]);
  });
});

describe('governanceRequirement: a breaking change to a data contract', () => {
  const CONTRACT = 'care-management/inpatient-encounters.yaml';
  const UM_CONTRACT = 'utilization-management/prior-auth-requests.yaml';
  const stay = (days: number) => (old: string) =>
    old.replace(
      'logicalTypeOptions: { minimum: 1, maximum: 14 }',
      `logicalTypeOptions: { minimum: 1, maximum: ${days} }`,
    );
  const major = (old: string) => old.replace('version: "1.2.0"', 'version: "2.0.0"');
  /** A second model reading the encounters, owned by another team, listed by the contract only. */
  const otherModel = (): KubeObject => {
    const uc = parseAllDocuments(text('care-management/readmission-risk.yaml'))[0]!.toJS() as KubeObject & {
      spec: { ownerTeam: string; dataContracts: unknown[] };
    };
    uc.metadata.name = 'length-of-stay';
    uc.spec.ownerTeam = 'northwind-health/clinical-informatics';
    uc.spec.dataContracts = [];
    return uc;
  };
  const listing =
    (...useCases: string[]) =>
    (old: string) =>
      old.replace(
        '  consumers:\n    - useCase: readmission-risk\n',
        `  consumers:\n${useCases.map((u) => `    - useCase: ${u}\n`).join('')}`,
      );

  function requiredFor(path: string, base: string, head: string | undefined, objects = examples()) {
    const b = readGovernanceDocs([{ path, content: base }]);
    const h = readGovernanceDocs([{ path, content: head }]);
    const changes = governanceChanges(b, h);
    const { entries, blockers } = governanceRequirement({
      changes,
      base: b,
      head: h,
      repository: 'northwind-health/ai-governance',
      branch: 'main',
      cache: cacheOf(objects),
    });
    const combined = combinePolicies(entries);
    const roles = combined.spec?.requirements[0]?.roles ?? [];
    const teams = roles.map((r) => combined.spec?.roles.find((x) => x.name === r)?.team);
    return { roles, teams, blockers: [...combined.blockers, ...blockers] };
  }

  it('asks every consumer the contract in force lists, even when the pull request drops it from the list', () => {
    const base = listing('readmission-risk', 'length-of-stay')(text(CONTRACT));
    const head = listing('readmission-risk')(major(stay(10)(base)));
    const r = requiredFor(CONTRACT, base, head, [...examples(), otherModel()]);
    expect(r.roles).toEqual([
      'compliance',
      'clinical-safety',
      'consumer (care-management/readmission-risk)',
      'consumer (care-management/length-of-stay)',
    ]);
    expect(r.teams.slice(2)).toEqual([
      'northwind-health/care-management-analytics',
      'northwind-health/clinical-informatics',
    ]);
    expect(r.blockers).toEqual([]);
  });

  it('blocks when a listed consumer cannot be found, since its owner team cannot be asked', () => {
    const base = listing('readmission-risk', 'length-of-stay')(text(CONTRACT));
    const r = requiredFor(CONTRACT, base, major(stay(10)(base)));
    expect(r.blockers.map((b) => b.message)).toEqual([
      'DataContract care-management/inpatient-encounters breaks for its consumer UseCase care-management/length-of-stay, whose spec is not in the cluster nor on the base branch, so its owner team cannot be asked to sign off.',
    ]);
  });

  it('where governance asks the owner team by default, the consumer signs once, as consumer', () => {
    const base = text(UM_CONTRACT);
    const head = base
      .replace(
        'logicalTypeOptions: { minimum: 0, maximum: 600 }',
        'logicalTypeOptions: { minimum: 0, maximum: 300 }',
      )
      .replace('version: "1.3.0"', 'version: "2.0.0"');
    const r = requiredFor(UM_CONTRACT, base, head);
    expect(r.roles).toEqual(['compliance', 'consumer (utilization-management/prior-auth-summarization)']);
    expect(r.teams).toEqual(['northwind-health/compliance', 'northwind-health/um-analytics']);
  });

  it('a change that breaks nothing asks no consumer', () => {
    const r = requiredFor(CONTRACT, text(CONTRACT), stay(30)(text(CONTRACT)));
    expect(r.roles).toEqual(['compliance', 'clinical-safety']);
  });
});
