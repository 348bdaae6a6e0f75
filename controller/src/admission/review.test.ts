import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planPromotion } from '../promotion/plan.js';
import { validatePaths } from '../validate/index.js';
import { readYamlFile } from '../yaml/index.js';
import { type AdmissionRequest, admissionLine, reviewRequest } from './review.js';

const BROKEN = fileURLToPath(new URL('../../../examples/broken/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

function request(
  object: Record<string, unknown>,
  operation: 'CREATE' | 'UPDATE' = 'CREATE',
): AdmissionRequest {
  const [group, version] = String(object.apiVersion).split('/');
  return {
    uid: 'b1a5c0de-0000-4000-8000-000000000001',
    kind: { group: group ?? '', version: version ?? '', kind: String(object.kind) },
    resource: {
      group: group ?? '',
      version: version ?? '',
      resource: `${String(object.kind).toLowerCase()}s`,
    },
    operation,
    object,
    oldObject: null,
  };
}

/** The Vigil documents of a file, as the API server would hand them over: plain JSON. */
function objectsIn(file: string): Record<string, unknown>[] {
  return readYamlFile(file)
    .documents.map((d) => JSON.parse(JSON.stringify(d.value)) as Record<string, unknown>)
    .filter((o) => String(o.apiVersion).startsWith('vigil.dev/'));
}

describe('an admission request is judged as vigil validate judges the document', () => {
  const files = readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'));
  const refusedFiles: string[] = [];

  it.each(files)('examples/broken/%s', async (name) => {
    const file = join(BROKEN, name);
    const report = await validatePaths([file], { phi: {} });
    // Mistakes within one document; references across objects and YAML syntax never reach a webhook as such.
    const perDocument = report.diagnostics.filter(
      (d) => !d.code.startsWith('ref.') && !d.code.startsWith('yaml.'),
    );
    const responses = objectsIn(file).map((o) => reviewRequest(request(o)));
    const refused = responses.flatMap((r) => (r.allowed ? [] : r.status!.message.split('\n')));
    const warned = responses.flatMap((r) => r.warnings ?? []);
    const expectedErrors = perDocument.filter((d) => d.severity === 'error').map(admissionLine);
    const expectedWarnings = perDocument.filter((d) => d.severity === 'warning').map(admissionLine);
    if (name === 'unquoted-version.yaml') {
      // JSON carries the number 1.1; how it was written (1.10) is gone before any webhook sees it.
      expect(refused).toEqual([
        'spec.candidate.version: must be a string; found the number 1.1 (hint: quote it: version: "1.1")',
      ]);
      return;
    }
    expect(refused).toEqual(expectedErrors);
    expect(warned).toEqual(expectedWarnings);
    if (refused.length > 0) refusedFiles.push(name);
    for (const r of responses)
      if (!r.allowed) expect(r.status).toMatchObject({ code: 403, reason: 'Forbidden' });
  });

  it('refuses the files whose mistake lies within one document', () => {
    expect(refusedFiles).toEqual(
      expect.arrayContaining(['cron-never-fires.yaml', 'ssn-in-free-text.yaml', 'team-without-org.yaml']),
    );
    expect(refusedFiles).not.toContain('unknown-release-train.yaml');
  });

  it('allows every object of the example governance repositories', () => {
    const domains = ['care-management', 'clinical-documentation', 'revenue-cycle', 'utilization-management'];
    let checked = 0;
    for (const domain of domains) {
      for (const f of readdirSync(join(EXAMPLES, domain)).filter((n) => n.endsWith('.yaml'))) {
        for (const o of objectsIn(join(EXAMPLES, domain, f))) {
          expect(reviewRequest(request(o)), `${domain}/${f}`).toMatchObject({ allowed: true });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('reviewRequest', () => {
  const useCase = objectsIn(join(BROKEN, 'ssn-in-free-text.yaml')).find((o) => o.kind === 'UseCase')!;

  it('never quotes a value that looks like PHI, and names the field', () => {
    const r = reviewRequest(request(useCase));
    expect(r.allowed).toBe(false);
    expect(r.status!.message).toContain(
      'spec.knownLimitations[1]: value looks like a US Social Security number',
    );
    expect(r.status!.message).not.toMatch(/\d{3}-\d{2}-\d{4}/);
  });

  it('checks UPDATE as CREATE, and ignores what the server adds (status, managed fields)', () => {
    const live = structuredClone(useCase);
    (live.metadata as Record<string, unknown>).managedFields = [{ manager: 'kubectl', operation: 'Update' }];
    (live.metadata as Record<string, unknown>).uid = '00000000-0000-4000-8000-000000000000';
    live.status = { observedGeneration: 1, anything: 'the controller wrote it' };
    const r = reviewRequest(request(live, 'UPDATE'));
    expect(r.status!.message.split('\n')).toHaveLength(1);
  });

  it('reports PHI found only in the last-applied annotation, once', () => {
    const clean = objectsIn(join(EXAMPLES, 'care-management', 'readmission-risk.yaml'))[0]!;
    const planted = structuredClone(clean);
    (planted.metadata as Record<string, unknown>).annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ note: 'MRN: 00123456' }),
    };
    const r = reviewRequest(request(planted));
    expect(r.allowed).toBe(false);
    expect(r.status!.message).toContain('looks like a medical record number');
    expect(r.status!.message).not.toContain('00123456');
    // The same annotation copying an object that is itself clean is no finding.
    const applied = structuredClone(clean);
    (applied.metadata as Record<string, unknown>).annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(clean),
    };
    expect(reviewRequest(request(applied)).allowed).toBe(true);
  });

  it('allows the Promotions the controller itself creates', () => {
    const uc = objectsIn(join(EXAMPLES, 'care-management', 'readmission-risk.yaml'))[0]!;
    const promotion = planPromotion({
      useCase: {
        namespace: 'care-management',
        name: 'readmission-risk',
        uid: 'uid-1',
        spec: uc.spec as never,
      },
      type: 'promotion',
      trigger: 'train',
      releaseTrain: 'clinical-quarterly',
      from: 'silent',
      to: 'pilot',
      version: '2.4.0',
      previousVersion: '2.3.1',
    });
    const r = reviewRequest(request(JSON.parse(JSON.stringify(promotion))));
    expect(r).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('allows what it does not judge: DELETE, subresources, other groups', () => {
    expect(reviewRequest({ ...request(useCase), operation: 'DELETE' }).allowed).toBe(true);
    expect(reviewRequest({ ...request(useCase), subResource: 'status' }).allowed).toBe(true);
    const other = request({ ...useCase, apiVersion: 'v1', kind: 'ConfigMap' });
    expect(reviewRequest(other).allowed).toBe(true);
  });
});
