// The admission webhook over real TLS, as the API server calls it: AdmissionReview v1 in, AdmissionReview out.
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdmissionServer, startAdmissionServer } from '../../controller/src/admission/index.js';
import { readYamlFile } from '../../controller/src/yaml/index.js';
import { makeCertificates, type TestCertificates } from './certificates.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

let certs: TestCertificates;
let server: AdmissionServer;

beforeAll(async () => {
  certs = makeCertificates();
  server = await startAdmissionServer({ port: 0, host: '127.0.0.1', cert: certs.cert, key: certs.key });
});

afterAll(async () => {
  await server?.stop();
  certs?.remove();
});

interface Answer {
  status: number;
  body: string;
}

function post(
  path: string,
  body: string,
  options: { ca?: Buffer; contentType?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: 'POST',
        ca: options.ca ?? certs.ca,
        headers: { 'content-type': options.contentType ?? 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function reviewOf(file: string, kind: string, uid: string): string {
  const doc = readYamlFile(join(EXAMPLES, file)).documents.find(
    (d) => (d.value as { kind?: string }).kind === kind,
  );
  const object = doc!.value as { metadata: { name: string; namespace?: string } };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'vigil.dev', version: 'v1alpha1', kind },
      resource: { group: 'vigil.dev', version: 'v1alpha1', resource: `${kind.toLowerCase()}s` },
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: ['system:masters'] },
      object,
      oldObject: null,
      dryRun: false,
    },
  });
}

describe('the admission webhook server', () => {
  it('answers a valid object with allowed and the request uid', async () => {
    const r = await post('/validate', reviewOf('care-management/readmission-risk.yaml', 'UseCase', 'uid-1'));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-1', allowed: true },
    });
  });

  it('refuses PHI with the field and without the value', async () => {
    const r = await post('/validate', reviewOf('broken/ssn-in-free-text.yaml', 'UseCase', 'uid-2'));
    const response = JSON.parse(r.body).response;
    expect(response).toMatchObject({
      uid: 'uid-2',
      allowed: false,
      status: { code: 403, reason: 'Forbidden' },
    });
    expect(response.status.message).toBe(
      'spec.knownLimitations[1]: value looks like a US Social Security number (***-**-1120); PHI must not be written in governance files (hint: remove it; where an example is needed, use an obviously synthetic one)',
    );
  });

  it('returns warnings without refusing', async () => {
    const r = await post(
      '/validate',
      reviewOf('broken/time-zone-abbreviation.yaml', 'ReleaseTrain', 'uid-3'),
    );
    const response = JSON.parse(r.body).response;
    expect(response.allowed).toBe(true);
    expect(response.warnings).toHaveLength(1);
    expect(response.warnings[0]).toMatch(/^spec\.schedule\.timeZone: expected the IANA time zone/);
  });

  it('refuses what is not an AdmissionReview v1, and other paths', async () => {
    const wrong = await post(
      '/validate',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' }),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('expected an admission.k8s.io/v1 AdmissionReview');
    expect((await post('/validate', '{not json')).status).toBe(400);
    expect((await post('/validate', '{}', { contentType: 'text/plain' })).status).toBe(415);
    expect((await post('/other', '{}')).status).toBe(404);
  });

  it('is served over TLS only to a client that trusts its certificate authority', async () => {
    const other = makeCertificates();
    try {
      await expect(post('/validate', '{}', { ca: other.ca })).rejects.toThrow(
        /self.signed|unable to verify|certificate/i,
      );
    } finally {
      other.remove();
    }
  });
});
