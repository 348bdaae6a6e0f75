import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appCredentialsFromFile,
  appCredentialsFromSecret,
  CredentialError,
  openCredentials,
  secretFromFile,
  tokenFromFile,
  tokenFromSecret,
} from './credentials.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-credentials-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string, mode: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

const TOKEN = 'vigil-token-from-a-file-0123456789';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\n';

describe('tokenFromFile', () => {
  it('reads and trims a token readable by its owner only', async () => {
    const creds = await tokenFromFile(await file('owner-only', `  ${TOKEN}\n\n`, 0o600));
    expect(openCredentials(creds)).toEqual({ kind: 'token', token: TOKEN });
    expect(creds.source).toBe(join(dir, 'owner-only'));
  });

  it('accepts a group-readable file, as a Secret mounted with defaultMode 0440 is', async () => {
    await expect(tokenFromFile(await file('group', TOKEN, 0o440))).resolves.toBeDefined();
  });

  it.each([
    ['world-readable', 0o644, 'mode 0644'],
    ['world-writable', 0o602, 'mode 0602'],
  ])('refuses a %s file, naming the mode and the fix', async (name, mode, shown) => {
    const path = await file(name, TOKEN, mode);
    const error = await tokenFromFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toContain(shown);
    expect((error as Error).message).toContain('chmod 600');
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it.each([
    ['empty', '  \n', 'the token is empty'],
    ['two words', `${TOKEN} second-word`, 'expected one token'],
    ['two lines', `${TOKEN}\nsecond-line`, 'expected one token'],
  ])('refuses a file that is %s', async (name, content, message) => {
    const error = await tokenFromFile(await file(name, content, 0o600)).catch((e: unknown) => e);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('says when the file is missing or is a directory', async () => {
    await expect(tokenFromFile(join(dir, 'absent'))).rejects.toThrow('no such file (expected the token)');
    await expect(tokenFromFile(dir)).rejects.toThrow('not a file');
  });

  it('refuses an oversized file without reading it', async () => {
    const path = await file('huge', 'x'.repeat(70_000), 0o600);
    await expect(tokenFromFile(path)).rejects.toThrow('too large');
  });
});

describe('tokenFromFile("-"): standard input', () => {
  const stdin = (text: string | Buffer, isTTY = false) => Object.assign(Readable.from([text]), { isTTY });

  it('reads and trims the token piped in, and names its source', async () => {
    const creds = await tokenFromFile('-', { stdin: stdin(`${TOKEN}\n`) });
    expect(openCredentials(creds)).toEqual({ kind: 'token', token: TOKEN });
    expect(creds.source).toBe('standard input');
  });

  it('refuses a terminal, where the token would show as it is typed', async () => {
    await expect(tokenFromFile('-', { stdin: stdin(TOKEN, true) })).rejects.toThrow(
      'standard input is a terminal: pipe or redirect the token into it',
    );
  });

  it('refuses nothing, several words, and too much', async () => {
    await expect(tokenFromFile('-', { stdin: stdin('') })).rejects.toThrow(
      'standard input: the token is empty',
    );
    await expect(tokenFromFile('-', { stdin: stdin(`${TOKEN} ${TOKEN}`) })).rejects.toThrow(
      'standard input: expected one token',
    );
    await expect(tokenFromFile('-', { stdin: stdin(Buffer.alloc(70_000, 120)) })).rejects.toThrow(
      'too large',
    );
  });

  it('gives an App private key too', async () => {
    const creds = await appCredentialsFromFile({ appId: 1, installationId: 2 }, '-', { stdin: stdin(PEM) });
    expect(creds.source).toBe('standard input');
  });
});

describe('a credential file that cannot be used', () => {
  it('is not echoed when a token was given where its path goes', async () => {
    const typed = `gh${'p'}_${'Q7w3Zr9K'.repeat(4)}T1xY`;
    const error = await tokenFromFile(typed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toContain('looks like a token itself (not shown)');
    expect((error as Error).message).not.toContain(typed);
  });

  it('is named with what is wrong when it is under something that is not a directory', async () => {
    const plain = await file('plain', TOKEN, 0o600);
    await expect(tokenFromFile(join(plain, 'token'))).rejects.toThrow(
      `${join(plain, 'token')}: a part of the path is not a directory (expected the token)`,
    );
  });
});

describe('secretFromFile', () => {
  it('reads any other secret with the same checks', async () => {
    expect(await secretFromFile(await file('hook', ' s3cret-value\n', 0o600), 'webhook secret')).toBe(
      's3cret-value',
    );
    await expect(secretFromFile(await file('hook-open', 'x', 0o604), 'webhook secret')).rejects.toThrow(
      'the webhook secret file is accessible to other users (mode 0604)',
    );
    await expect(secretFromFile(await file('hook-empty', '\n', 0o600), 'webhook secret')).rejects.toThrow(
      'the webhook secret is empty',
    );
  });
});

describe('tokenFromSecret', () => {
  it("takes a Secret's decoded bytes and trims them", () => {
    const creds = tokenFromSecret(Buffer.from(`${TOKEN}\n`), 'vigil-system/vigil-github');
    expect(openCredentials(creds)).toEqual({ kind: 'token', token: TOKEN });
    expect(creds.source).toBe('Secret vigil-system/vigil-github');
  });

  it('never shows the secret when printed, inspected or serialized', () => {
    const creds = tokenFromSecret(Buffer.from(TOKEN), 'vigil-system/vigil-github');
    for (const shown of [String(creds), inspect(creds), JSON.stringify(creds), `${creds}`]) {
      expect(shown).not.toContain(TOKEN);
    }
    expect(JSON.stringify({ creds })).toBe(
      '{"creds":{"kind":"token","source":"Secret vigil-system/vigil-github"}}',
    );
  });
});

describe('App credentials', () => {
  it('reads the private key file with the same permission checks', async () => {
    const path = await file('app.pem', PEM, 0o600);
    const creds = await appCredentialsFromFile({ appId: '123', installationId: 456 }, path);
    expect(openCredentials(creds)).toMatchObject({ kind: 'app', appId: 123, installationId: 456 });
    await expect(
      appCredentialsFromFile({ appId: 123, installationId: 456 }, await file('app-open.pem', PEM, 0o644)),
    ).rejects.toThrow('accessible to other users');
  });

  it('refuses something that is not a PEM key, and ids that are not positive integers', () => {
    expect(() =>
      appCredentialsFromSecret({ appId: 1, installationId: 2 }, Buffer.from('not a key'), 's'),
    ).toThrow('expected a PEM private key');
    expect(() =>
      appCredentialsFromSecret({ appId: 'abc', installationId: 2 }, Buffer.from(PEM), 's'),
    ).toThrow('app id must be a positive integer');
    expect(() => appCredentialsFromSecret({ appId: 1, installationId: 0 }, Buffer.from(PEM), 's')).toThrow(
      'installation id must be a positive integer',
    );
  });
});

describe('ForgeCredentials', () => {
  it('cannot be made from a bare string by a caller', () => {
    const Ctor = tokenFromSecret(Buffer.from(TOKEN), 's').constructor as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('ForgeCredentials'), { kind: 'token', token: 'typed-in' }, 'argv')).toThrow(
      CredentialError,
    );
  });
});
