// The admission webhook for `vigil start`: a certificate authority and a serving certificate made for the run (with
// the openssl command; no key outlives the run), the webhook served on loopback, and a ValidatingWebhookConfiguration
// that points the local cluster at it, so `kubectl apply` refuses there what `vigil validate` refuses.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AdmissionregistrationV1Api, type V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_GROUP } from '../../../specs/common.js';
import { KINDS } from '../../../specs/kinds.js';
import { type ClusterClient, isNotFound } from '../runtime/index.js';
import { startAdmissionServer } from './server.js';

const run = promisify(execFile);

/** The configuration's name, and the webhook's. */
export const LOCAL_CONFIGURATION = 'vigil-local';
export const WEBHOOK_NAME = 'validate.vigil.dev';

export interface LocalAdmission {
  url: string;
  /** Unregisters the webhook (while the cluster still answers), stops serving it, removes the keys. */
  stop(): Promise<void>;
}

/** A CA and a certificate for 127.0.0.1 signed by it, written to `dir`; throws when openssl cannot be run. */
export async function makeLoopbackCertificate(
  dir: string,
): Promise<{ ca: Buffer; cert: Buffer; key: Buffer }> {
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '7',
    '-subj',
    '/CN=vigil-local-admission-ca',
  ]);
  await openssl([
    'req',
    ...ec,
    '-keyout',
    'tls.key',
    '-out',
    'tls.csr',
    '-subj',
    '/CN=vigil-local-admission',
  ]);
  writeFileSync(
    join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '7',
    '-extfile',
    'ext.cnf',
    '-out',
    'tls.crt',
  ]);
  const read = (f: string) => readFileSync(join(dir, f));
  return { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}

/** The configuration the Helm chart installs, pointed at `url` on loopback. */
export function localConfiguration(url: string, ca: Buffer): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: LOCAL_CONFIGURATION, labels: { 'app.kubernetes.io/part-of': 'vigil' } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        clientConfig: { url, caBundle: ca.toString('base64') },
        rules: [
          {
            apiGroups: [API_GROUP],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE'],
            resources: KINDS.map((k) => k.plural),
            scope: 'Namespaced',
          },
        ],
      },
    ],
  };
}

/**
 * Serves the webhook and registers it with the cluster `client` talks to, replacing a configuration a run that
 * did not stop cleanly left behind (with a data directory it would point at a port nothing listens on).
 * Undefined, with why, when no certificate can be made here (no openssl).
 */
export async function startLocalAdmission(
  client: ClusterClient,
  logger?: Logger,
): Promise<LocalAdmission | { skipped: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admission-'));
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };
  try {
    tls = await makeLoopbackCertificate(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed' : 'openssl failed';
    return { skipped: `${why}, so no certificate could be made for the admission webhook` };
  }
  // The keys are in memory now; nothing of them stays on disk.
  rmSync(dir, { recursive: true, force: true });
  const server = await startAdmissionServer({
    port: 0,
    host: '127.0.0.1',
    cert: tls.cert,
    key: tls.key,
    logger,
  });
  const api = client.api(AdmissionregistrationV1Api);
  const remove = async () => {
    try {
      await api.deleteValidatingWebhookConfiguration({ name: LOCAL_CONFIGURATION });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  };
  try {
    await remove();
    await api.createValidatingWebhookConfiguration({ body: localConfiguration(server.url, tls.ca) });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url: server.url,
    async stop() {
      try {
        await remove();
      } finally {
        await server.stop();
      }
    },
  };
}
