// Credentials for GitHub come from a file or a Kubernetes Secret's bytes, never from a flag or an argument: a
// command line is visible to every process on the host and lands in shell history and audit logs. The value is
// held in an object that prints as "[REDACTED]", so logging it by mistake leaks nothing.
import { readFile, stat } from 'node:fs/promises';
import { inspect } from 'node:util';

/** A token or App key larger than this is not a credential; refuse rather than read a stray file into memory. */
const MAX_CREDENTIAL_BYTES = 64 * 1024;

export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

const secrets = new WeakMap<ForgeCredentials, TokenSecret | AppSecret>();
/** Held by this module only: without it no ForgeCredentials can be made, so no caller can wrap a bare string. */
const MINT: unique symbol = Symbol('ForgeCredentials');

interface TokenSecret {
  kind: 'token';
  token: string;
}

interface AppSecret {
  kind: 'app';
  appId: number;
  installationId: number;
  privateKey: string;
}

/**
 * Opaque credentials: only the functions below make them, and only the GitHub adapter opens them. Printing,
 * JSON-encoding or inspecting one shows its kind and where it came from, never the secret.
 */
export class ForgeCredentials {
  readonly kind: 'token' | 'app';
  /** Where the secret was read from (a path or a Secret's name), for messages. */
  readonly source: string;

  constructor(mint: typeof MINT, secret: TokenSecret | AppSecret, source: string) {
    if (mint !== MINT)
      throw new CredentialError('credentials come from tokenFromFile, tokenFromSecret or appCredentials*');
    this.kind = secret.kind;
    this.source = source;
    secrets.set(this, secret);
  }

  toString(): string {
    return `ForgeCredentials(${this.kind} from ${this.source}: [REDACTED])`;
  }

  toJSON(): { kind: string; source: string } {
    return { kind: this.kind, source: this.source };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The secret inside credentials, for the adapter that authenticates with it. */
export function openCredentials(credentials: ForgeCredentials): TokenSecret | AppSecret {
  const secret = secrets.get(credentials);
  if (!secret)
    throw new CredentialError(
      'credentials were not made by tokenFromFile, tokenFromSecret or appCredentials',
    );
  return secret;
}

/** Every secret string inside credentials, so messages can be scrubbed of them. */
export function secretStrings(credentials: ForgeCredentials): string[] {
  const s = openCredentials(credentials);
  return s.kind === 'token' ? [s.token] : [s.privateKey];
}

/**
 * A token from a file, trimmed. Refuses a file that other users can read or write (a Secret mounted with
 * `defaultMode: 0440`, as the chart does, is fine: owner and group only), an empty or oversized file, and a file
 * holding more than one word.
 */
export async function tokenFromFile(path: string): Promise<ForgeCredentials> {
  const bytes = await readPrivateFile(path, 'token');
  return tokenFromBytes(bytes, path);
}

/**
 * A token from the bytes of a Kubernetes Secret's data (base64-decoded by the caller, who read the Secret), e.g.
 * `tokenFromSecret(Buffer.from(secret.data['token'], 'base64'), 'vigil-system/vigil-github')`.
 */
export function tokenFromSecret(bytes: Uint8Array, source: string): ForgeCredentials {
  return tokenFromBytes(bytes, `Secret ${source}`);
}

function tokenFromBytes(bytes: Uint8Array, source: string): ForgeCredentials {
  if (bytes.byteLength > MAX_CREDENTIAL_BYTES) {
    throw new CredentialError(`${source}: ${bytes.byteLength} bytes is too large for a token`);
  }
  const token = Buffer.from(bytes).toString('utf8').trim();
  if (token === '') throw new CredentialError(`${source}: the token is empty`);
  if (/\s/.test(token)) {
    throw new CredentialError(`${source}: expected one token, found several words or lines`);
  }
  return new ForgeCredentials(MINT, { kind: 'token', token }, source);
}

export interface AppIdentity {
  appId: number | string;
  installationId: number | string;
}

/** GitHub App installation credentials, the private key (PEM) read from a file with the same checks as a token. */
export async function appCredentialsFromFile(
  identity: AppIdentity,
  privateKeyFile: string,
): Promise<ForgeCredentials> {
  const bytes = await readPrivateFile(privateKeyFile, 'private key');
  return appCredentials(identity, bytes, privateKeyFile);
}

/** GitHub App installation credentials, the private key from a Secret's bytes. */
export function appCredentialsFromSecret(
  identity: AppIdentity,
  privateKey: Uint8Array,
  source: string,
): ForgeCredentials {
  return appCredentials(identity, privateKey, `Secret ${source}`);
}

function appCredentials(identity: AppIdentity, bytes: Uint8Array, source: string): ForgeCredentials {
  const appId = positiveInteger(identity.appId, 'app id');
  const installationId = positiveInteger(identity.installationId, 'installation id');
  if (bytes.byteLength > MAX_CREDENTIAL_BYTES) {
    throw new CredentialError(`${source}: ${bytes.byteLength} bytes is too large for a private key`);
  }
  const privateKey = Buffer.from(bytes).toString('utf8').trim();
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----$/.test(privateKey)) {
    throw new CredentialError(`${source}: expected a PEM private key ("-----BEGIN RSA PRIVATE KEY-----")`);
  }
  return new ForgeCredentials(
    MINT,
    { kind: 'app', appId, installationId, privateKey: `${privateKey}\n` },
    source,
  );
}

function positiveInteger(value: number | string, what: string): number {
  const n =
    typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CredentialError(`${what} must be a positive integer; got "${value}"`);
  return n;
}

async function readPrivateFile(path: string, what: string): Promise<Uint8Array> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path); // follows symlinks: a mounted Secret's file is a link into ..data/
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialError(
      code === 'ENOENT'
        ? `${path}: no such file (expected the ${what})`
        : `${path}: cannot read the ${what} (${code})`,
    );
  }
  if (!info.isFile()) throw new CredentialError(`${path}: not a file (expected the ${what})`);
  // Other users must not read it (anyone on the host could use it) nor write it (anyone could swap it).
  if ((info.mode & 0o006) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new CredentialError(
      `${path}: the ${what} file is accessible to other users (mode ${mode}); make it readable by its owner (and group) only, e.g. chmod 600 or a Secret volume with defaultMode 0440`,
    );
  }
  if (info.size > MAX_CREDENTIAL_BYTES) {
    throw new CredentialError(`${path}: ${info.size} bytes is too large for a ${what}`);
  }
  return readFile(path);
}
