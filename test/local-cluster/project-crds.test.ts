// The project's own CustomResourceDefinitions (crd/*.yaml) on the local cluster, through the real kubectl.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubectlAtLeast } from '../support/kubectl-version.js';
import { type Harness, REPO_ROOT, startHarness, tableRows } from './harness.js';

const CRD_DIR = join(REPO_ROOT, 'crd');
const crdFiles = existsSync(CRD_DIR) ? readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')) : [];

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

describe.skipIf(crdFiles.length === 0)('the project CRDs', () => {
  it('kubectl apply -f crd/ creates every definition and each becomes established', async () => {
    const out = await h.ok(['apply', '-f', CRD_DIR]);
    for (const file of crdFiles) {
      expect(out).toContain(
        `customresourcedefinition.apiextensions.k8s.io/${file.replace(/\.yaml$/, '')} created`,
      );
    }
    await h.ok(['wait', '--for', 'condition=established', 'crd', '--all', '--timeout=10s']);
  });

  it('discovery lists the kinds with their short names', async () => {
    const rows = tableRows(await h.ok(['api-resources', '--api-group=vigil.dev']));
    expect(rows[0]).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const kinds = rows.slice(1).map((r) => r.at(-1));
    expect(kinds).toEqual(
      expect.arrayContaining([
        'UseCase',
        'DataContract',
        'ReleaseTrain',
        'SurveillancePolicy',
        'SignoffPolicy',
        'Promotion',
      ]),
    );
    expect(rows.find((r) => r.at(-1) === 'UseCase')?.[1]).toBe('uc');
  });

  it('kubectl get vigil -A answers before anything exists, then lists an example governance repo', async () => {
    const empty = await h.kubectl(['get', 'vigil', '-A']);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('No resources found');
    // Each domain is one plain `kubectl apply -R`: its Namespace file sorts first, so it exists before its objects.
    const domains = ['care-management', 'clinical-documentation', 'revenue-cycle', 'utilization-management'];
    const declared: string[] = [];
    for (const domain of domains) {
      const example = join(REPO_ROOT, 'examples', domain);
      await h.ok(['apply', '-R', '-f', example]);
      for (const f of readdirSync(example).filter((name) => name.endsWith('.yaml'))) {
        for (const d of parseAllDocuments(readFileSync(join(example, f), 'utf8'))) {
          const o = d.toJSON() as { kind?: string; metadata?: { name?: string } };
          if (o?.kind === 'UseCase' && o.metadata?.name) declared.push(o.metadata.name);
        }
      }
    }
    expect(declared).toHaveLength(4);
    const rows = tableRows(await h.ok(['get', 'uc', '-A']));
    expect(rows[0]?.slice(0, 3)).toEqual(['NAMESPACE', 'NAME', 'RISK']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(expect.arrayContaining(declared));
    const all = await h.ok(['get', 'vigil', '-A']);
    for (const name of declared) expect(all).toContain(`usecase.vigil.dev/${name}`);
  });

  it('kubectl explain reads the project schema', async () => {
    const out = await h.ok(['explain', 'usecases.spec']);
    // kubectl reads the OpenAPI v3 document from 1.27, and the v2 document, with its own layout, before.
    if (kubectlAtLeast(27)) expect(out).toContain('KIND:       UseCase');
    else {
      expect(out).toMatch(/^KIND: {5}UseCase$/m);
      expect(out).toMatch(/^RESOURCE: spec <Object>$/m);
      expect(out).toMatch(/^ {3}riskClass\t<string> -required-$/m);
    }
    expect(out).toContain('FIELDS:');
  });
});
