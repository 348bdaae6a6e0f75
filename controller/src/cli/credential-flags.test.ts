import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { looksLikeCredential } from '../forge/github/credentials.js';
import {
  credentialFlagRefusal,
  explainCommanderError,
  isCredentialFlag,
  redactCommandLine,
} from './credential-flags.js';
import { buildProgram } from './main.js';

// Built at run time, so the source holds nothing shaped like a real credential.
const CLASSIC = `gh${'p'}_${'Q7w3Zr9K'.repeat(4)}T1xY`;
const SERVER = `gh${'s'}_${'m4Nb8Vc2'.repeat(4)}`;
const JWT = `eyJ${'hbGciOiJSUzI1NiJ9'}.${'eyJpc3MiOiIxMjM0NSJ9'}.${'c2lnbmF0dXJl'}`;
const HEX = 'a3f9c2e81b7d4f6091c3e5a7b9d1f3e5a7c9b1d3';
const BASE64 = 'k8Qz2LmX9vRt4WpB7nYc3HsJ6dFg1Ae5';

const program = await buildProgram();
const commandAt = (...path: string[]): Command => {
  let cmd = program;
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  return cmd;
};

describe('looksLikeCredential', () => {
  it.each([
    ['a classic token', CLASSIC],
    ['an installation token', SERVER],
    ['a fine-grained token', `github_${'pat'}_11AB${'c9D8e7F6'.repeat(5)}`],
    ['a short token-prefixed string', `gh${'o'}_abc`],
    ['a JWT', JWT],
    ['40 random hex digits', HEX],
    ['a random mixed-case string', BASE64],
  ])('%s: yes', (_what, value) => {
    expect(looksLikeCredential(value)).toBe(true);
  });

  it.each([
    ['a use case name', 'readmission-risk'],
    ['a long object name with a date', 'readmission-risk-model-v2-2024-07-01'],
    ['an option name', '--leader-election-renew-deadline'],
    ['a path', '/var/run/secrets/github/token'],
    ['a URL', 'https://api.github.com'],
    ['a version', '2.14.0-rc.1'],
    ['a number', '65535'],
    ['a digest', `sha256:${HEX}${HEX.slice(0, 24)}`],
    ['a repository', 'northwind-health/ai-deployments'],
  ])('%s: no', (_what, value) => {
    expect(looksLikeCredential(value)).toBe(false);
  });
});

describe('isCredentialFlag', () => {
  it.each([
    '--github-token',
    '--token',
    `--token=${CLASSIC}`,
    '--gh-token',
    '--password',
    '--webhook-secret',
    '--api-key',
    '--private-key',
    '--auth',
    '--pat',
  ])('%s names a credential', (flag) => {
    expect(isCredentialFlag(flag)).toBe(true);
  });

  it.each([
    '--github-token-file',
    '--token-file',
    '--author',
    '--tokenizer',
    '--path',
    '-t',
    '--forge',
    '--seed',
  ])('%s does not', (flag) => {
    expect(isCredentialFlag(flag)).toBe(false);
  });
});

describe('credentialFlagRefusal', () => {
  it("points to the command's own file option when one matches", () => {
    expect(credentialFlagRefusal(commandAt('controller'), '--github-token')).toBe(
      '--github-token is refused: vigil controller takes no token on its command line, where other processes and shell history would see it. Put the token in a file readable only by you and pass --github-token-file FILE, or pipe it in with --github-token-file - (standard input).',
    );
    expect(credentialFlagRefusal(commandAt('audit'), `--token=${CLASSIC}`)).toContain(
      'pass --forge-token-file FILE, or pipe it in with --forge-token-file -',
    );
  });

  it('lists every credential file option when the name says nothing more', () => {
    expect(credentialFlagRefusal(commandAt('controller'), '--password')).toContain(
      'Pass credentials in files: --github-token-file FILE, --github-app-private-key-file FILE or --webhook-secret-file FILE (each also takes - for standard input).',
    );
  });

  it('points to the seed, the kubeconfig, or says no token is needed', () => {
    expect(credentialFlagRefusal(commandAt('forge', 'merge'), '--token')).toContain('(--seed FILE)');
    expect(credentialFlagRefusal(commandAt('start'), '--token')).toContain('(--forge-seed FILE)');
    expect(credentialFlagRefusal(commandAt('promote'), '--token')).toContain('(--kubeconfig FILE)');
    expect(credentialFlagRefusal(commandAt('contract'), '--token')).toMatch(
      /vigil contract needs no token\.$/,
    );
  });
});

describe('explainCommanderError', () => {
  it('names an unknown option without its value', () => {
    expect(
      explainCommanderError(
        commandAt('validate'),
        "error: unknown option '--strict-mode=on'\n(Did you mean --strict?)\n",
      ),
    ).toBe("error: unknown option '--strict-mode' (its value is not shown)\n(Did you mean --strict?)\n");
  });

  it('says a known option takes no value, without the value', () => {
    expect(
      explainCommanderError(commandAt('validate'), `error: unknown option '--strict=${CLASSIC}'\n`),
    ).toBe("error: option '--strict' takes no value (the value given is not shown)\n");
  });

  it('refuses a credential flag instead of calling it unknown', () => {
    const text = explainCommanderError(
      commandAt('controller'),
      `error: unknown option '--token=${CLASSIC}'\n`,
    );
    expect(text).toMatch(/^error: --token is refused: /);
    expect(text).not.toContain(CLASSIC);
  });

  it('hides a short option run together with its value, and a token in place of a command', () => {
    expect(explainCommanderError(commandAt('controller'), `error: unknown option '-t${CLASSIC}'\n`)).toBe(
      "error: unknown option '-t' (its value is not shown)\n",
    );
    expect(explainCommanderError(program, `error: unknown command '${CLASSIC}'\n`)).toBe(
      "error: unknown command '[REDACTED]'\n",
    );
  });
});

describe('redactCommandLine', () => {
  it('replaces each credential-looking word, wherever it sits', () => {
    expect(redactCommandLine(`--forge must be an http(s) URL; got "${CLASSIC}"`)).toBe(
      '--forge must be an http(s) URL; got "[REDACTED]"',
    );
    expect(redactCommandLine(`https://x:${BASE64}@example.com/?a=${JWT}`)).toBe(
      'https://x:[REDACTED]@example.com/?a=[REDACTED]',
    );
  });

  it('leaves ordinary messages alone', () => {
    const text = '--port must be an integer from 0 to 65535; got "http" (see vigil start --help)';
    expect(redactCommandLine(text)).toBe(text);
  });
});

describe('every command', () => {
  const every = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(every)];

  it('takes no option whose value is a credential itself (only files that hold one)', () => {
    const offending = every(program).flatMap((cmd) =>
      cmd.options.filter((o) => o.long && isCredentialFlag(o.long)).map((o) => `${cmd.name()} ${o.long}`),
    );
    expect(offending).toEqual([]);
  });
});
