// The local forge's seed and GitOps content agree with the Northwind Health examples: every team a policy
// or use case names exists, every required role has two active members, someone sits in two sign-off teams,
// the repository requires each policy's check, and every deployment file and field the use cases name holds
// the version they declare.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadSeed } from '../../controller/src/forge/local/index.js';
import { REPO_ROOT, SEED } from './harness.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const CONTENT = join(EXAMPLES, 'forge', 'ai-deployments');

interface Doc {
  kind: string;
  metadata: { name: string; namespace: string };
  // biome-ignore lint/suspicious/noExplicitAny: example specs are read as plain data and probed field by field.
  spec: Record<string, any>;
}

function exampleDocuments(): Doc[] {
  const docs: Doc[] = [];
  for (const dir of readdirSync(EXAMPLES, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === 'broken' || dir.name === 'forge') continue;
    for (const file of readdirSync(join(EXAMPLES, dir.name)).filter((f) => f.endsWith('.yaml'))) {
      for (const d of parseAllDocuments(readFileSync(join(EXAMPLES, dir.name, file), 'utf8'))) {
        const value = d.toJS() as Doc | null;
        if (value?.kind) docs.push(value);
      }
    }
  }
  return docs;
}

const docs = exampleDocuments();
const { seed } = loadSeed(SEED);
const org = seed.organizations.find((o) => o.login === 'northwind-health')!;
const activeMembers = (slug: string) => {
  const t = org.teams.find((x) => x.slug === slug);
  return t ? [...t.maintainers, ...t.members] : [];
};

describe('examples/forge/seed.yaml', () => {
  const policies = docs.filter((d) => d.kind === 'SignoffPolicy');

  it('has every team the examples name', () => {
    const named = new Set<string>();
    const text = docs.map((d) => JSON.stringify(d.spec)).join('\n');
    // Teams, not repositories: `repository:` fields name the GitOps and governance repositories.
    for (const m of text.matchAll(/("repository":)?"northwind-health\/([a-z0-9-]+)"/g))
      if (!m[1]) named.add(m[2]!);
    expect(named.size).toBeGreaterThan(10);
    for (const slug of named)
      expect(
        org.teams.map((t) => t.slug),
        slug,
      ).toContain(slug);
  });

  it('gives every role a required risk class needs at least two active members', () => {
    expect(policies).toHaveLength(4);
    for (const p of policies) {
      const required = new Set<string>(p.spec.requirements.flatMap((r: { roles: string[] }) => r.roles));
      for (const role of p.spec.roles as { name: string; team: string }[]) {
        if (!required.has(role.name)) continue;
        const members = activeMembers(role.team.split('/')[1]!);
        expect(members.length, `${p.metadata.name}: ${role.name} (${role.team})`).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('puts at least one person in two sign-off teams, to exercise separation of duties', () => {
    const signoffTeams = new Set(
      policies.flatMap((p) => p.spec.roles.map((r: { team: string }) => r.team.split('/')[1])),
    );
    const count = new Map<string, number>();
    for (const slug of signoffTeams)
      for (const m of activeMembers(slug)) count.set(m, (count.get(m) ?? 0) + 1);
    expect([...count].filter(([, n]) => n >= 2).map(([login]) => login)).toEqual(
      expect.arrayContaining(['cmio-office', 'privacy-officer']),
    );
  });

  it('has every sponsor login as a user, and the controller outside every sign-off team', () => {
    const logins = new Set(seed.users.map((u) => u.login));
    for (const uc of docs.filter((d) => d.kind === 'UseCase')) {
      for (const who of Object.values(uc.spec.sponsors ?? {})) expect(logins, String(who)).toContain(who);
    }
    const signoffTeams = new Set(
      policies.flatMap((p) => p.spec.roles.map((r: { team: string }) => r.team.split('/')[1])),
    );
    for (const slug of signoffTeams) expect(activeMembers(slug)).not.toContain('platform-bot');
  });

  it('protects the branch each policy enforces with the check it names', () => {
    const repo = seed.repositories.find((r) => r.fullName === 'northwind-health/ai-deployments')!;
    for (const p of policies) {
      expect(p.spec.enforcement.repository).toBe(repo.fullName);
      expect(repo.protection?.branch).toBe(p.spec.enforcement.branch ?? 'main');
      // Required from Vigil's own App, so that no person and no other App can report it.
      expect(repo.protection?.requiredChecks).toContainEqual({
        context: p.spec.enforcement.checkName ?? 'vigil/sign-off',
        appId: seed.apps.find((a) => a.slug === 'vigil')?.id,
      });
    }
  });
});

describe('examples/forge/ai-deployments', () => {
  it('holds each use case target file, with the declared version in its field (absent where none is declared)', () => {
    const useCases = docs.filter((d) => d.kind === 'UseCase');
    expect(useCases).toHaveLength(4);
    for (const uc of useCases) {
      for (const target of uc.spec.deployment.targets as { stage: string; file: string; field: string }[]) {
        const text = readFileSync(join(CONTENT, target.file), 'utf8');
        expect(text, target.file).toMatch(/^# /);
        const value = target.field
          .split('.')
          .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], parseYaml(text));
        const declared = (uc.spec.versions as { stage: string; version: string }[]).find(
          (v) => v.stage === target.stage,
        );
        expect(value, `${uc.metadata.name} ${target.stage}: ${target.file} ${target.field}`).toBe(
          declared?.version,
        );
      }
    }
  });
});
