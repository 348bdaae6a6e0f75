// The rendered chart meets the real kubectl and the local cluster. The local cluster serves Vigil's API surface
// (CRDs, namespaces, secrets, config maps, events, leases), not workloads, services or RBAC, so the CRDs are
// applied for real and the rest is checked to parse, with the kinds the local cluster lacks named exactly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../controller/src/local-cluster/index.js';
import { kubectlAtLeast } from '../support/kubectl-version.js';
import { chartDir, helmPath, parseObjects, renderText, run } from './chart.js';

/** Kinds the chart renders by default that the local cluster does not serve. */
const NOT_SERVED_LOCALLY = [
  'ClusterRole',
  'ClusterRoleBinding',
  'Deployment',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'Role',
  'RoleBinding',
  'Service',
  'ServiceAccount',
];

let cluster: LocalCluster;
let crds: string;
let everything: string;
// kubectl's own discovery cache, so runs never share ~/.kube/cache.
const cacheDir = mkdtempSync(join(tmpdir(), 'vigil-kubectl-cache-'));

const kubectl = (args: string[], input?: string) =>
  run(
    'kubectl',
    ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', cacheDir, ...args],
    input === undefined ? {} : { input },
  );

beforeAll(async () => {
  await helmPath();
  cluster = await startLocalCluster();
  crds = await renderText({}, chartDir, ['--show-only', 'templates/crds.yaml']);
  everything = await renderText();
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

/** The resources discovery puts in a category, refreshing kubectl's cache on the way (api-resources). */
async function categoryFromDiscovery(category: string): Promise<string[]> {
  const refreshed = await kubectl(['api-resources', '--api-group=vigil.dev', '-o', 'name']);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  const raw = await kubectl(['get', '--raw', '/apis/vigil.dev/v1alpha1']);
  expect(raw.code, raw.stderr).toBe(0);
  const list = JSON.parse(raw.stdout) as { resources: Array<{ name: string; categories?: string[] }> };
  return list.resources
    .filter((r) => r.categories?.includes(category))
    .map((r) => `${r.name}.vigil.dev`)
    .filter((name) => refreshed.stdout.split('\n').includes(name));
}

describe('the chart on the local cluster with the real kubectl', () => {
  it('applies the rendered CRDs, which become established and answer `kubectl get vigil`', async () => {
    const applied = await kubectl(['apply', '-f', '-'], crds);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout.trim().split('\n').sort()).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/datacontracts.vigil.dev created',
      'customresourcedefinition.apiextensions.k8s.io/promotions.vigil.dev created',
      'customresourcedefinition.apiextensions.k8s.io/releasetrains.vigil.dev created',
      'customresourcedefinition.apiextensions.k8s.io/signoffpolicies.vigil.dev created',
      'customresourcedefinition.apiextensions.k8s.io/surveillancepolicies.vigil.dev created',
      'customresourcedefinition.apiextensions.k8s.io/usecases.vigil.dev created',
    ]);
    const established = await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd',
      '-l',
      'app.kubernetes.io/part-of=vigil',
    ]);
    expect(established.code, established.stderr).toBe(0);
    expect(established.stdout.match(/condition met/g)).toHaveLength(6);
    const keep = await kubectl([
      'get',
      'crd',
      'usecases.vigil.dev',
      '-o',
      'jsonpath={.metadata.annotations.helm\\.sh/resource-policy}',
    ]);
    expect(keep.stdout).toBe('keep');
    // kubectl expands the "vigil" category from its discovery cache, which predates the CRDs and is only
    // refreshed for names it cannot resolve; api-resources refreshes it, as a person would after an install.
    // kubectl filters api-resources by category from 1.25; before, the categories are read from discovery.
    const resources = kubectlAtLeast(25)
      ? (await kubectl(['api-resources', '--categories=vigil', '-o', 'name'])).stdout.trim().split('\n')
      : await categoryFromDiscovery('vigil');
    expect(resources.sort()).toEqual([
      'datacontracts.vigil.dev',
      'promotions.vigil.dev',
      'releasetrains.vigil.dev',
      'signoffpolicies.vigil.dev',
      'surveillancepolicies.vigil.dev',
      'usecases.vigil.dev',
    ]);
    const listed = await kubectl(['get', 'vigil', '-A']);
    expect(listed.code, listed.stderr).toBe(0);
    // Applying again changes nothing. (kubectl reports "configured" rather than "unchanged" when the server's
    // copy carries defaults the file leaves out, such as a printer column's priority: 0.)
    const again = await kubectl(['apply', '-f', '-'], crds);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/ (unchanged|configured)$/gm)).toHaveLength(6);
  });

  it('parses every rendered object; only the kinds the local cluster lacks are refused', async () => {
    const rendered = parseObjects(everything);
    const dryRun = await kubectl(['apply', '--dry-run=client', '--validate=false', '-f', '-'], everything);
    const accepted = dryRun.stdout
      .split('\n')
      .filter((l) => l.endsWith('(dry run)'))
      .map((l) => l.split('/')[0]);
    expect(accepted).toHaveLength(rendered.filter((o) => o.kind === 'CustomResourceDefinition').length);
    expect(new Set(accepted)).toEqual(new Set(['customresourcedefinition.apiextensions.k8s.io']));
    const errors = dryRun.stderr.split('\n').filter((l) => l && l !== 'ensure CRDs are installed first');
    const refusedKinds = errors.map((l) => /no matches for kind "(\w+)"/.exec(l)?.[1] ?? `unexpected: ${l}`);
    expect(new Set(refusedKinds)).toEqual(new Set(NOT_SERVED_LOCALLY));
    expect(refusedKinds).toHaveLength(rendered.length - accepted.length);
  });
});
