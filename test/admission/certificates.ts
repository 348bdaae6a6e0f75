// A throwaway certificate authority and a serving certificate signed by it, made with the openssl command for one
// test run (no private key is ever committed): what a cluster's caBundle and a webhook's TLS secret hold.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  remove(): void;
}

/** `names`: the DNS names the serving certificate is for; 127.0.0.1 and localhost are always included. */
export function makeCertificates(names: string[] = []): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-admission-certs-'));
  const at = (f: string) => join(dir, f);
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=vigil-test-ca',
  ]);
  openssl(['req', ...ec, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=vigil-admission']);
  const alt = ['DNS:localhost', 'IP:127.0.0.1', ...names.map((n) => `DNS:${n}`)].join(',');
  writeFileSync(at('ext.cnf'), `subjectAltName=${alt}\nextendedKeyUsage=serverAuth\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'tls.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  return {
    dir,
    caFile: at('ca.crt'),
    certFile: at('tls.crt'),
    keyFile: at('tls.key'),
    ca: readFileSync(at('ca.crt')),
    cert: readFileSync(at('tls.crt')),
    key: readFileSync(at('tls.key')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
