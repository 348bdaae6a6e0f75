// The admission webhook as `vigil start` runs it beside the local cluster: a certificate made for the run, the
// webhook registered, kubectl refused in vigil validate's words, and nothing left behind once it stops.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_CONFIGURATION,
  type LocalAdmission,
  startLocalAdmission,
  WEBHOOK_NAME,
} from '../../controller/src/admission/local.js';
import { ClusterClient, loadKubeConfig } from '../../controller/src/runtime/index.js';
import { type Harness, REPO_ROOT, startHarness } from '../local-cluster/harness.js';

let h: Harness;
let admission: LocalAdmission;
const admissionDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('vigil-admission-'));

beforeAll(async () => {
  h = await startHarness();
  await h.ok(['apply', '-f', join(REPO_ROOT, 'crd')]);
  const before = admissionDirs();
  const started = await startLocalAdmission(
    new ClusterClient(loadKubeConfig({ kubeconfig: h.cluster.kubeconfigPath })),
  );
  if ('skipped' in started) throw new Error(started.skipped);
  admission = started;
  // The keys were read into memory and their directory removed.
  expect(admissionDirs().filter((d) => !before.includes(d))).toEqual([]);
});

afterAll(async () => {
  await h?.stop();
});

describe('the webhook vigil start registers', () => {
  it('refuses a broken file in vigil validate words and accepts an example', async () => {
    await h.ok(['create', 'namespace', 'broken-zero-approval-expiry']);
    const refused = await h.kubectl([
      'apply',
      '-f',
      join(REPO_ROOT, 'examples', 'broken', 'zero-approval-expiry.yaml'),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `admission webhook "${WEBHOOK_NAME}" denied the request: spec.rules.approvalExpiry: must be longer than zero`,
    );
    const accepted = await h.kubectl(['apply', '-R', '-f', join(REPO_ROOT, 'examples', 'revenue-cycle')]);
    expect(accepted.code, accepted.stderr).toBe(0);
  });

  it('is replaced, not doubled, when registered again, and removed on stop', async () => {
    const again = await startLocalAdmission(
      new ClusterClient(loadKubeConfig({ kubeconfig: h.cluster.kubeconfigPath })),
    );
    if ('skipped' in again) throw new Error(again.skipped);
    const names = await h.ok(['get', 'validatingwebhookconfigurations', '-o', 'name']);
    expect(names.trim().split('\n')).toEqual([
      `validatingwebhookconfiguration.admissionregistration.k8s.io/${LOCAL_CONFIGURATION}`,
    ]);
    await again.stop();
    await admission.stop();
    const after = await h.ok(['get', 'validatingwebhookconfigurations', '-o', 'name']);
    expect(after.trim()).toBe('');
    // With no webhook registered, nothing stands in the way of a write.
    const r = await h.kubectl([
      'apply',
      '-f',
      join(REPO_ROOT, 'examples', 'broken', 'zero-approval-expiry.yaml'),
    ]);
    expect(r.code, r.stderr).toBe(0);
  });
});
