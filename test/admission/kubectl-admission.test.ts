// `kubectl apply` against the local cluster with Vigil's admission webhook registered, as a real cluster runs it:
// the cluster POSTs AdmissionReview v1 over TLS to the controller's webhook, and kubectl shows the refusal in
// vigil validate's words. With the webhook down, failurePolicy Fail refuses and Ignore lets the write through.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type AdmissionServer,
  admissionLine,
  startAdmissionServer,
} from '../../controller/src/admission/index.js';
import { validatePaths } from '../../controller/src/validate/index.js';
import { readYamlFile } from '../../controller/src/yaml/index.js';
import { type Harness, REPO_ROOT, startHarness } from '../local-cluster/harness.js';
import { kubectlAtLeast } from '../support/kubectl-version.js';
import { makeCertificates, type TestCertificates } from './certificates.js';

const BROKEN = join(REPO_ROOT, 'examples', 'broken');
const DOMAINS = ['care-management', 'clinical-documentation', 'revenue-cycle', 'utilization-management'];
const WEBHOOK = 'validate.vigil.dev';
/** Mistakes the generated CustomResourceDefinitions' schema can express, so the API server refuses them first. */
const SCHEMA_FIRST = [
  'misspelled-field.yaml',
  'percent-over-100.yaml',
  'team-without-org.yaml',
  'unquoted-version.yaml',
];
const RESOURCES = [
  'usecases',
  'datacontracts',
  'releasetrains',
  'surveillancepolicies',
  'signoffpolicies',
  'promotions',
];

let h: Harness;
let certs: TestCertificates;
let server: AdmissionServer;

/** The configuration the Helm chart installs, pointed at `clientConfig`. */
function configuration(name: string, clientConfig: Record<string, unknown>, failurePolicy = 'Fail'): string {
  return stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: WEBHOOK,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy,
        timeoutSeconds: 5,
        clientConfig: { ...clientConfig, caBundle: certs.ca.toString('base64') },
        rules: [
          {
            apiGroups: ['vigil.dev'],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE'],
            resources: RESOURCES,
            scope: 'Namespaced',
          },
        ],
      },
    ],
  });
}

/** What vigil validate says about one file, split into the mistakes within a document and the rest. */
async function validateFile(file: string) {
  const report = await validatePaths([file], { phi: {} });
  const perDocument = report.diagnostics.filter(
    (d) => !d.code.startsWith('ref.') && !d.code.startsWith('yaml.'),
  );
  return {
    errors: perDocument.filter((d) => d.severity === 'error').map(admissionLine),
    paths: perDocument.filter((d) => d.severity === 'error').map((d) => d.path),
    warnings: perDocument.filter((d) => d.severity === 'warning').map(admissionLine),
    syntax: report.diagnostics.some((d) => d.code.startsWith('yaml.')),
  };
}

function namespacesIn(file: string): string[] {
  const names = readYamlFile(file).documents.map(
    (d) => (d.value as { metadata?: { namespace?: string } }).metadata?.namespace,
  );
  return [...new Set(names.filter((n): n is string => typeof n === 'string'))];
}

beforeAll(async () => {
  certs = makeCertificates(['vigil.vigil-system.svc']);
  h = await startHarness();
  server = await startAdmissionServer({ port: 0, host: '127.0.0.1', cert: certs.cert, key: certs.key });
  await h.ok(['apply', '-f', join(REPO_ROOT, 'crd')]);
  await h.ok(['apply', '-f', '-'], { input: configuration('vigil', { url: server.url }) });
});

afterAll(async () => {
  await server?.stop();
  await h?.stop();
  certs?.remove();
});

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** kubectl before 1.25 refuses an unknown field itself, from the OpenAPI v2 schema, naming it under its parent. */
function namedBeforeKubectl125(path: string): RegExp {
  const dot = path.lastIndexOf('.');
  const [parent, field] = [path.slice(0, dot), path.slice(dot + 1)];
  return new RegExp(
    `${escapeRegExp(path)}|ValidationError\\(\\w+\\.${escapeRegExp(parent)}\\): unknown field "${escapeRegExp(field)}"`,
  );
}

describe('kubectl apply with the admission webhook registered', () => {
  const files = readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'));

  it.each(files)('examples/broken/%s gets what vigil validate says of it', async (name) => {
    const file = join(BROKEN, name);
    const expected = await validateFile(file);
    if (expected.syntax) return; // kubectl itself cannot read it; no request is made
    for (const ns of namespacesIn(file)) await h.kubectl(['create', 'namespace', ns]);
    const r = await h.kubectl(['apply', '-f', file]);
    if (SCHEMA_FIRST.includes(name)) {
      // The CRD's schema refuses it first (an unknown field, a type, a range, a pattern), as a real API server
      // does before it calls any validating webhook; its message names the same field.
      expect(r.code).not.toBe(0);
      expect(r.stderr).not.toContain('admission webhook');
      for (const path of expected.paths) {
        if (kubectlAtLeast(25)) expect(r.stderr).toContain(path);
        else expect(r.stderr).toMatch(namedBeforeKubectl125(path));
      }
      return;
    }
    if (expected.errors.length > 0) {
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stderr).toContain(`Error from server (Forbidden)`);
      expect(r.stderr).toContain(
        `admission webhook "${WEBHOOK}" denied the request: ${expected.errors.join('\n')}`,
      );
    } else {
      expect(r.code, r.stderr).toBe(0);
      for (const w of expected.warnings) expect(r.stderr).toContain(`Warning: ${w}`);
    }
  });

  it('accepts every file of the example governance repositories', async () => {
    let applied = 0;
    for (const domain of DOMAINS) {
      const dir = join(REPO_ROOT, 'examples', domain);
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
        const r = await h.kubectl(['apply', '-f', join(dir, f)]);
        expect(r.code, `${domain}/${f}: ${r.stderr}`).toBe(0);
        applied++;
      }
    }
    expect(applied).toBeGreaterThan(DOMAINS.length);
    const listed = await h.ok(['get', 'usecases', '-A', '-o', 'name']);
    expect(listed.trim().split('\n').length).toBeGreaterThanOrEqual(DOMAINS.length);
  });

  it('judges an update too: a patch that writes PHI into a stored object is refused, the object unchanged', async () => {
    const r = await h.kubectl([
      'patch',
      'usecase',
      'readmission-risk',
      '-n',
      'care-management',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { knownLimitations: ['Reviewed with MRN: 00123456 present'] } }),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `admission webhook "${WEBHOOK}" denied the request: spec.knownLimitations[0]: value looks like a medical record number`,
    );
    expect(r.stderr).not.toContain('00123456');
    const live = await h.ok(['get', 'usecase', 'readmission-risk', '-n', 'care-management', '-o', 'json']);
    expect(live).not.toContain('00123456');
  });
});

describe('a webhook that cannot be called', () => {
  it('refuses every write under failurePolicy Fail, in the real server words', async () => {
    await server.stop();
    const file = join(REPO_ROOT, 'examples', 'care-management', 'clinical-quarterly.yaml');
    for (const ns of namespacesIn(file)) await h.kubectl(['create', 'namespace', ns]);
    const r = await h.kubectl(['apply', '-f', file, '--dry-run=server']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Error from server (InternalError)');
    expect(r.stderr).toContain(
      `Internal error occurred: failed calling webhook "${WEBHOOK}": failed to call webhook: Post "${server.url}?timeout=5s": dial tcp 127.0.0.1:${server.port}: connect: connection refused`,
    );
  });

  it('lets writes through under failurePolicy Ignore', async () => {
    await h.ok(['apply', '-f', '-'], { input: configuration('vigil', { url: server.url }, 'Ignore') });
    const file = join(BROKEN, 'cron-never-fires.yaml');
    for (const ns of namespacesIn(file)) await h.kubectl(['create', 'namespace', ns]);
    const r = await h.kubectl(['apply', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('calls a service through its name, and refuses a certificate that does not name it', async () => {
    const restarted = await startAdmissionServer({
      port: 0,
      host: '127.0.0.1',
      cert: certs.cert,
      key: certs.key,
    });
    try {
      const service = { name: 'vigil', namespace: 'vigil-system', port: restarted.port, path: '/validate' };
      await h.ok(['apply', '-f', '-'], { input: configuration('vigil', { service }) });
      const file = join(BROKEN, 'tiers-out-of-order.yaml');
      for (const ns of namespacesIn(file)) await h.kubectl(['create', 'namespace', ns]);
      const refused = await h.kubectl(['apply', '-f', file, '--dry-run=server']);
      expect(refused.stderr).toContain(
        `admission webhook "${WEBHOOK}" denied the request: spec.metrics[0].tiers[1].at: tiers must be strictly ascending`,
      );
      const wrongName = { ...service, name: 'other' };
      await h.ok(['apply', '-f', '-'], { input: configuration('vigil', { service: wrongName }) });
      const r = await h.kubectl(['apply', '-f', file, '--dry-run=server']);
      expect(r.stderr).toContain(`failed calling webhook "${WEBHOOK}"`);
      expect(r.stderr).toContain('other.vigil-system.svc');
    } finally {
      await restarted.stop();
    }
  });
});
