// Credentials for GitHub come from a file, standard input (the path "-") or a Kubernetes Secret's bytes, never from
// a flag or an argument: a command line is visible to every process on the host and lands in shell history and
// audit logs. The value is held in an object that prints as "[REDACTED]", so logging it by mistake leaks nothing.
import { readFile, stat } from 'node:fs/promises';
import { inspect } from 'node:util';

/** The path that names standard input, as with most command-line tools: `--github-token-file -`. */
export const STANDARD_INPUT = '-';

/** Where a credential file is read from: standard input is given for tests, the process's own otherwise. */
export interface CredentialSource {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

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
export async function tokenFromFile(path: string, from: CredentialSource = {}): Promise<ForgeCredentials> {
  const bytes = await readPrivateFile(path, 'token', from);
  return tokenFromBytes(bytes, sourceName(path));
}

/**
 * Any other secret (a webhook secret) from a file or standard input, trimmed, with the same checks as a token;
 * `what` names it in messages.
 */
export async function secretFromFile(
  path: string,
  what: string,
  from: CredentialSource = {},
): Promise<string> {
  const bytes = await readPrivateFile(path, what, from);
  const secret = Buffer.from(bytes).toString('utf8').trim();
  if (secret === '') throw new CredentialError(`${sourceName(path)}: the ${what} is empty`);
  return secret;
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
  from: CredentialSource = {},
): Promise<ForgeCredentials> {
  const bytes = await readPrivateFile(privateKeyFile, 'private key', from);
  return appCredentials(identity, bytes, sourceName(privateKeyFile));
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

async function readPrivateFile(path: string, what: string, from: CredentialSource): Promise<Uint8Array> {
  if (path === STANDARD_INPUT) return readStandardInput(what, from.stdin ?? process.stdin);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path); // follows symlinks: a mounted Secret's file is a link into ..data/
  } catch (err) {
    if (looksLikeCredential(path)) {
      // A token typed where its file's path goes: say so without echoing it.
      throw new CredentialError(
        `no file at the path given for the ${what}, which looks like a token itself (not shown); put the ${what} in a file readable only by you and give that file's path, or - to read it from standard input`,
      );
    }
    throw new CredentialError(`${path}: ${fileProblem(err)} (expected the ${what})`);
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
  try {
    return await readFile(path);
  } catch (err) {
    throw new CredentialError(`${path}: ${fileProblem(err)} (cannot read the ${what})`);
  }
}

/** What is wrong with a file, from the error reading it: its code in words, never anything read from it. */
function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return code ? `cannot be read (${code})` : 'cannot be read';
  }
}

const sourceName = (path: string) => (path === STANDARD_INPUT ? 'standard input' : path);

/** All of standard input, refused from a terminal (typing a token there shows it on screen) and when too large. */
async function readStandardInput(
  what: string,
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
): Promise<Uint8Array> {
  if (stdin.isTTY) {
    throw new CredentialError(
      `standard input is a terminal: pipe or redirect the ${what} into it (e.g. < file), so it is not shown on screen`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    size += bytes.byteLength;
    if (size > MAX_CREDENTIAL_BYTES) {
      throw new CredentialError(
        `standard input: more than ${MAX_CREDENTIAL_BYTES} bytes is too large for a ${what}`,
      );
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/**
 * Whether a string given on a command line looks like a credential rather than a word, name, number or path: a
 * GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), a JWT, a PEM key, or a long random-looking string.
 */
export function looksLikeCredential(value: string): boolean {
  const v = value.trim();
  if (/^(gh[pousr]_|github_pat_)[A-Za-z0-9_]+$/.test(v)) return true;
  if (/^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(v)) return true;
  if (v.includes('PRIVATE KEY-----')) return true;
  return looksRandom(v);
}

/**
 * A long run of token characters that is not a name: letters and digits mixed with high entropy, either in both
 * cases or (hex, base32) long and digit-rich. Names such as `readmission-risk-v2-2024-07-01` and paths do not.
 */
function looksRandom(v: string): boolean {
  if (v.length < 20 || !/^[A-Za-z0-9+=_~-]+$/.test(v)) return false;
  // A name is words joined by separators; a random string has long runs without one.
  if (Math.max(...v.split(/[^A-Za-z0-9]/).map((run) => run.length)) < 16) return false;
  if (!/[0-9]/.test(v) || !/[A-Za-z]/.test(v)) return false;
  if (entropyBitsPerChar(v) < 3.5) return false;
  const mixedCase = /[a-z]/.test(v) && /[A-Z]/.test(v);
  const digits = v.replace(/[^0-9]/g, '').length;
  return mixedCase || (v.length >= 32 && digits / v.length >= 0.2);
}

function entropyBitsPerChar(v: string): number {
  const counts = new Map<string, number>();
  for (const ch of v) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / v.length) * Math.log2(n / v.length);
  return bits;
}
