// The forge signs the commits it writes itself (contents API, merges), as GitHub signs web and API commits,
// and reports every commit's signature as GitHub's `verification` object. Signatures are real SSH signatures
// (OpenSSH's SSHSIG format, Ed25519, namespace "git") in the commit's `gpgsig` header, so `git verify-commit`
// accepts them with the forge's key; a commit whose metadata someone wrote by hand is unsigned.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** GitHub's reasons for a verification result (the subset the forge can reach). */
export type VerificationReason =
  | 'valid'
  | 'unsigned'
  | 'unknown_key'
  | 'invalid'
  | 'malformed_signature'
  | 'unknown_signature_type';

export interface Verification {
  verified: boolean;
  reason: VerificationReason;
  signature: string | null;
  payload: string | null;
  /** Seconds since the epoch, when verified. */
  verifiedAt: number | null;
}

export const UNSIGNED: Verification = {
  verified: false,
  reason: 'unsigned',
  signature: null,
  payload: null,
  verifiedAt: null,
};

const MAGIC = Buffer.from('SSHSIG');
const NAMESPACE = 'git';
const HASH = 'sha512';
const KEY_TYPE = 'ssh-ed25519';
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** Reads SSH wire-format strings one after another; throws on a short buffer. */
class WireReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new Error('truncated');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE();
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
}

/** The public key in SSH wire format (what `ssh-keygen` prints after "ssh-ed25519 ", base64). */
export function sshPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([sshString(KEY_TYPE), sshString(Buffer.from(String(jwk.x), 'base64url'))]);
}

function signedData(message: string): Buffer {
  const digest = createHash(HASH).update(message).digest();
  return Buffer.concat([MAGIC, sshString(NAMESPACE), sshString(''), sshString(HASH), sshString(digest)]);
}

/** An armored SSH signature of `message` (what `ssh-keygen -Y sign -n git` writes). */
export function sshSign(privateKey: KeyObject, message: string): string {
  const publicKey = sshPublicKey(createPublicKey(privateKey));
  const raw = sign(null, signedData(message), privateKey);
  const blob = Buffer.concat([
    MAGIC,
    Buffer.from([0, 0, 0, 1]),
    sshString(publicKey),
    sshString(NAMESPACE),
    sshString(''),
    sshString(HASH),
    sshString(Buffer.concat([sshString(KEY_TYPE), sshString(raw)])),
  ]).toString('base64');
  const lines = blob.match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** How a signature over `payload` stands against the forge's own key. */
export function verifySignature(signature: string, payload: string, forgeKey: KeyObject): Verification {
  const base = { signature, payload, verifiedAt: null };
  const text = signature.trim();
  if (!text.startsWith(BEGIN)) {
    // The forge knows no user's PGP or X.509 key: a PGP signature is by a key nobody registered here.
    const reason = text.startsWith('-----BEGIN PGP SIGNATURE-----')
      ? 'unknown_key'
      : 'unknown_signature_type';
    return { ...base, verified: false, reason };
  }
  let publicKey: Buffer;
  let rawSignature: Buffer;
  try {
    const body = text.slice(BEGIN.length, text.indexOf(END)).replace(/\s+/g, '');
    const r = new WireReader(Buffer.from(body, 'base64'));
    if (!r.bytes(6).equals(MAGIC) || r.uint32() !== 1) throw new Error('not SSHSIG');
    publicKey = Buffer.from(r.string());
    const namespace = r.string().toString();
    r.string();
    const hash = r.string().toString();
    const sig = new WireReader(r.string());
    if (namespace !== NAMESPACE || hash !== HASH || sig.string().toString() !== KEY_TYPE) {
      throw new Error('not a git Ed25519 signature');
    }
    rawSignature = Buffer.from(sig.string());
  } catch {
    return { ...base, verified: false, reason: 'malformed_signature' };
  }
  if (!publicKey.equals(sshPublicKey(forgeKey))) return { ...base, verified: false, reason: 'unknown_key' };
  const ok = verify(null, signedData(payload), forgeKey, rawSignature);
  return ok ? { ...base, verified: true, reason: 'valid' } : { ...base, verified: false, reason: 'invalid' };
}

/** The forge's signing key for one repository, kept beside its objects so it survives a restart. */
export function loadOrCreateKey(file: string): KeyObject {
  if (existsSync(file)) return createPrivateKey(readFileSync(file, 'utf8'));
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return privateKey;
}

/** A commit object's text with a signature header added at the end of its headers, as `git commit -S` does. */
export function withSignatureHeader(raw: string, signature: string): string {
  const split = raw.indexOf('\n\n');
  const headers = split >= 0 ? raw.slice(0, split) : raw.replace(/\n$/, '');
  const rest = split >= 0 ? raw.slice(split) : '\n';
  const value = signature.replace(/\n$/, '').split('\n').join('\n ');
  return `${headers}\ngpgsig ${value}${rest}`;
}

/** The signature in a commit's `gpgsig` header and the payload it signs (the commit without that header). */
export function splitSignature(raw: string): { signature: string; payload: string } | undefined {
  const split = raw.indexOf('\n\n');
  const headerText = split >= 0 ? raw.slice(0, split) : raw;
  const lines = headerText.split('\n');
  const kept: string[] = [];
  const sig: string[] = [];
  let inSig = false;
  for (const line of lines) {
    if (line.startsWith('gpgsig ')) {
      inSig = true;
      sig.push(line.slice('gpgsig '.length));
    } else if (inSig && line.startsWith(' ')) {
      sig.push(line.slice(1));
    } else {
      inSig = false;
      kept.push(line);
    }
  }
  if (sig.length === 0) return undefined;
  const rest = split >= 0 ? raw.slice(split) : '';
  return { signature: `${sig.join('\n')}\n`, payload: `${kept.join('\n')}${rest}` };
}

/** The `verification` object of GitHub's commit representations. */
export function verificationJson(v: Verification | undefined): Record<string, unknown> {
  const x = v ?? UNSIGNED;
  return {
    verified: x.verified,
    reason: x.reason,
    signature: x.signature,
    payload: x.payload,
    verified_at:
      x.verifiedAt === null ? null : new Date(x.verifiedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}
