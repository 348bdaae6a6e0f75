// `vigil controller` serves the admission webhook only when asked, and only over TLS: a half-given or unreadable
// certificate is a usage error before anything starts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVigil } from '../support/cli-output.js';

const vigil = (...args: string[]) => runVigil(args);

describe('vigil controller --admission-port', () => {
  it('needs both the certificate and the key', async () => {
    const r = await vigil('controller', '--admission-port', '9443', '--admission-cert-file', 'tls.crt');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--admission-port needs --admission-cert-file and --admission-key-file');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('names the file it cannot read', async () => {
    const missing = join(import.meta.dirname, 'no-such-dir', 'tls.crt');
    const r = await vigil(
      'controller',
      '--admission-port',
      '9443',
      '--admission-cert-file',
      missing,
      '--admission-key-file',
      missing,
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot read the admission webhook's certificate at ${missing} (ENOENT)`);
  });

  it('refuses certificate files without a port', async () => {
    const r = await vigil(
      'controller',
      '--admission-cert-file',
      'tls.crt',
      '--admission-key-file',
      'tls.key',
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('need --admission-port');
  });
});
