import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  splitSignature,
  sshSign,
  verificationJson,
  verifySignature,
  withSignatureHeader,
} from './signing.js';

const COMMIT = [
  'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  'author A <a@example.org> 1700000000 +0000',
  'committer A <a@example.org> 1700000000 +0000',
  '',
  'Subject',
  '',
  'Body',
  '',
].join('\n');

describe('commit signatures', () => {
  const { privateKey: forgeKey } = generateKeyPairSync('ed25519');
  const { privateKey: otherKey } = generateKeyPairSync('ed25519');

  it('puts a signature in the gpgsig header and takes it out again, leaving the signed payload', () => {
    const signature = sshSign(forgeKey, COMMIT);
    const signed = withSignatureHeader(COMMIT, signature);
    expect(signed).toMatch(/\ngpgsig -----BEGIN SSH SIGNATURE-----\n [A-Za-z0-9+/=]+\n/);
    expect(splitSignature(signed)).toEqual({ signature, payload: COMMIT });
    expect(splitSignature(COMMIT)).toBeUndefined();
  });

  it('is valid only over the payload it signed, and only with the forge key', () => {
    const signature = sshSign(forgeKey, COMMIT);
    expect(verifySignature(signature, COMMIT, forgeKey)).toMatchObject({ verified: true, reason: 'valid' });
    const tampered = COMMIT.replace('a@example.org', 'b@example.org');
    expect(verifySignature(signature, tampered, forgeKey)).toMatchObject({
      verified: false,
      reason: 'invalid',
    });
    expect(verifySignature(sshSign(otherKey, COMMIT), COMMIT, forgeKey)).toMatchObject({
      verified: false,
      reason: 'unknown_key',
    });
  });

  it('names signatures it cannot read, as GitHub does', () => {
    const garbled = '-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n';
    expect(verifySignature(garbled, COMMIT, forgeKey).reason).toBe('malformed_signature');
    const pgp = '-----BEGIN PGP SIGNATURE-----\n\nwsBc\n-----END PGP SIGNATURE-----\n';
    expect(verifySignature(pgp, COMMIT, forgeKey).reason).toBe('unknown_key');
    expect(verifySignature('-----BEGIN SIGNED MESSAGE-----\n', COMMIT, forgeKey).reason).toBe(
      'unknown_signature_type',
    );
  });

  it('reports an unsigned commit with every field GitHub sends', () => {
    expect(verificationJson(undefined)).toEqual({
      verified: false,
      reason: 'unsigned',
      signature: null,
      payload: null,
      verified_at: null,
    });
  });
});
