// Credentials on the command line and unreadable credential files, as a person at a terminal meets them
// (CHECKLISTS.md, bad input 12): the real `vigil` binary as a child process, its exit code, stdout and stderr.
// A token never appears in what it prints; a --github-token style flag is refused, pointing to the file option or
// standard input; a kubeconfig or token file that cannot be read gets one line naming the file and what is wrong.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../controller/src/cli/main.js';

const ROOT = join(import.meta.dirname, '..');
// Each case starts node and loads the command's modules; on two busy cores that can take seconds.
const SLOW = 90_000;
const BIN = join(ROOT, 'bin', 'vigil.js');

// Built at run time, so the source holds nothing shaped like a real credential.
const CLASSIC = `gh${'p'}_${'Q7w3Zr9K'.repeat(4)}T1xY`;
const FINE_GRAINED = `github_${'pat'}_11AB${'c9D8e7F6'.repeat(5)}`;
const JWT = `eyJ${'hbGciOiJSUzI1NiJ9'}.${'eyJpc3MiOiIxMjM0NSJ9'}.${'c2lnbmF0dXJlLXNpZ25hdHVyZQ'}`;
const RANDOM = 'k8Qz2LmX9vRt4WpB7nYc3HsJ6dFg1Ae5';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/vigil.js ...args` in a scratch directory (no .vigil/forge.json), piping `input` to stdin. */
function vigil(
  args: string[],
  options: { input?: string; env?: Record<string, string>; uid?: number } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    if (!options.env?.FORCE_COLOR) delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: scratch,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'vigil-cli-credentials-'));
// Readable by an unprivileged user too, for the permission case below when the tests run as root.
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, content: string, mode = 0o600): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

const expectNoStack = (r: Result) => {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('internal error');
};

describe('a token on the command line is never echoed', { timeout: SLOW }, () => {
  it.each([
    ['an unknown --opt=value with a classic token', ['controller', `--token=${CLASSIC}`], CLASSIC, '--token'],
    [
      'an unknown --opt=value with a fine-grained token',
      ['audit', `--pat=${FINE_GRAINED}`],
      FINE_GRAINED,
      '--pat',
    ],
    ['an unknown --opt=value with a JWT', ['validate', `--bearer=${JWT}`], JWT, '--bearer'],
    [
      'an unknown --opt=value whose name says nothing',
      ['validate', `--strict-mode=${RANDOM}`],
      RANDOM,
      '--strict-mode',
    ],
    ['a short option run together with its value', ['controller', `-t${CLASSIC}`], CLASSIC, '-t'],
    ['a token where the command name goes', [CLASSIC], CLASSIC, 'unknown command'],
    ['a token as the value of --forge', ['forge', 'prs', '--forge', CLASSIC], CLASSIC, '--forge'],
    ['a JWT as the value of --metrics-port', ['controller', '--metrics-port', JWT], JWT, '--metrics-port'],
    [
      'a random string as the value of --repo',
      ['forge', 'prs', '--forge', 'http://127.0.0.1:1', '--repo', RANDOM],
      RANDOM,
      '--repo',
    ],
    [
      'a password after --password',
      ['controller', '--password', 'correct-horse-battery'],
      'correct-horse-battery',
      '--password',
    ],
    [
      'a password in --password=value',
      ['promote', 'x', '--to', 'pilot', '--password=correct-horse-battery'],
      'correct-horse-battery',
      '--password',
    ],
  ])('%s: refused (exit 2) without the value', async (_what, args, secret, named) => {
    const r = await vigil(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(named);
    expect(r.stderr).not.toContain(secret);
    expect(r.stdout).not.toContain(secret);
    expectNoStack(r);
  });

  it('logs nothing of it either, at the most verbose log level', async () => {
    const r = await vigil(['controller', '--log-level', 'trace', `--github-token=${CLASSIC}`]);
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).not.toContain(CLASSIC);
  });
});

describe('a --github-token style flag points to the file option or standard input (bad input 12)', {
  timeout: SLOW,
}, () => {
  it.each([
    [
      'controller --github-token TOKEN',
      ['controller', '--github-token', CLASSIC],
      '--github-token',
      '--github-token-file',
    ],
    ['controller --token TOKEN', ['controller', '--token', CLASSIC], '--token', '--github-token-file'],
    [
      'controller --github-token=TOKEN',
      ['controller', `--github-token=${CLASSIC}`],
      '--github-token',
      '--github-token-file',
    ],
    [
      'controller --webhook-secret SECRET',
      ['controller', '--webhook-secret', RANDOM],
      '--webhook-secret',
      '--webhook-secret-file',
    ],
    [
      'audit --github-token TOKEN',
      ['audit', '--github-token', CLASSIC],
      '--github-token',
      '--forge-token-file',
    ],
    ['audit --forge-token TOKEN', ['audit', '--forge-token', CLASSIC], '--forge-token', '--forge-token-file'],
  ])(
    'vigil %s is refused (exit 2), pointing to the file and to standard input',
    async (_typed, args, flag, file) => {
      const r = await vigil(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${flag} `);
      expect(r.stderr).toContain(`${file} FILE`);
      expect(r.stderr).toContain(`${file} -`);
      expect(r.stderr).toContain('standard input');
      expect(`${r.stdout}${r.stderr}`).not.toContain(CLASSIC);
      expect(`${r.stdout}${r.stderr}`).not.toContain(RANDOM);
      expectNoStack(r);
    },
  );

  it('vigil forge approve --token ... is refused, pointing to the seed whose user it acts as', async () => {
    const r = await vigil(['forge', 'approve', '3', '--as', 'ds-lead', '--token', CLASSIC]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--token ');
    expect(r.stderr).toContain('--seed FILE');
    expect(r.stderr).not.toContain(CLASSIC);
  });

  it('a command that needs no token says so', async () => {
    const r = await vigil(['validate', '--github-token', CLASSIC, 'examples']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--github-token ');
    expect(r.stderr).toContain('vigil validate needs no token');
    expect(r.stderr).not.toContain(CLASSIC);
  });

  it('--github-token-file - reads the token from standard input (and goes on to the kubeconfig)', async () => {
    const missing = join(scratch, 'no-such-kubeconfig');
    const r = await vigil(['controller', '--github-token-file', '-', '--kubeconfig', missing], {
      input: `${CLASSIC}\n`,
    });
    // The token was taken: the next thing the controller needs, the kubeconfig, is what stops it.
    expect(r.stderr.trim()).toBe(`vigil: ${missing}: no such file (expected a kubeconfig)`);
    expect(r.code).toBe(1);
  });

  it('--github-token-file - with nothing on standard input says so', async () => {
    const r = await vigil(['controller', '--github-token-file', '-']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('vigil: standard input: the token is empty');
  });

  it('only one credential can come from standard input', async () => {
    const r = await vigil(['controller', '--github-token-file', '-', '--webhook-secret-file', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('only one of --github-token-file, --webhook-secret-file can be -');
  });

  it('a token given where the path of its file goes is not echoed', async () => {
    const r = await vigil(['controller', '--github-token-file', CLASSIC]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the path given for the token, which looks like a token itself');
    expect(`${r.stdout}${r.stderr}`).not.toContain(CLASSIC);
    expectNoStack(r);
  });
});

describe('a kubeconfig or token file that cannot be read: one line naming the file and what is wrong', {
  timeout: SLOW,
}, () => {
  const runsAsRoot = process.getuid?.() === 0;
  // Root reads any file whatever its mode, so the permission case runs as an unprivileged user there.
  const unprivileged = runsAsRoot ? { uid: 65534 } : {};

  const oneLine = (r: Result, expected: string) => {
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`vigil: ${expected}`);
    expect(r.stdout).toBe('');
    expectNoStack(r);
  };

  it('a missing kubeconfig', async () => {
    const path = join(scratch, 'missing-kubeconfig');
    oneLine(
      await vigil(['controller', '--kubeconfig', path]),
      `${path}: no such file (expected a kubeconfig)`,
    );
  });

  it('a kubeconfig that is a directory', async () => {
    const path = join(scratch, 'kubeconfig-dir');
    mkdirSync(path, { recursive: true });
    oneLine(await vigil(['audit', '--kubeconfig', path]), `${path}: is a directory, not a kubeconfig file`);
  });

  it('a kubeconfig the user may not read', async () => {
    const path = file('kubeconfig-unreadable', 'apiVersion: v1\nkind: Config\n', 0o000);
    oneLine(
      await vigil(['controller', '--kubeconfig', path], unprivileged),
      `${path}: permission denied (cannot read the kubeconfig)`,
    );
  });

  it('a kubeconfig that is not YAML: the line number, never the line (it may hold a token)', async () => {
    const path = file(
      'kubeconfig-broken',
      [
        'apiVersion: v1',
        'kind: Config',
        'users:',
        '- name: admin',
        '  user:',
        `    token: "${RANDOM}`,
        '    client-key-data: x',
        '',
      ].join('\n'),
    );
    const r = await vigil(['controller', '--kubeconfig', path]);
    expect(r.stderr).not.toContain(RANDOM);
    expect(r.stderr).not.toContain('token');
    expect(r.stderr).toMatch(
      new RegExp(`^vigil: ${path}: not a valid kubeconfig: YAML syntax error at line \\d+`),
    );
    oneLine(r, r.stderr.trim().replace(/^vigil: /, ''));
  });

  it('a kubeconfig from $KUBECONFIG that is missing', async () => {
    const path = join(scratch, 'missing-from-env');
    oneLine(
      await vigil(['controller'], { env: { KUBECONFIG: path } }),
      `${path}: no such file (expected a kubeconfig)`,
    );
  });

  it('a context the kubeconfig does not have', async () => {
    const path = file(
      'kubeconfig-ok',
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: u, user: {}}]',
        'contexts: [{name: here, context: {cluster: c, user: u}}]',
        'current-context: here',
        '',
      ].join('\n'),
    );
    oneLine(
      await vigil(['controller', '--kubeconfig', path, '--context', 'elsewhere']),
      `${path}: no context "elsewhere" (contexts: here)`,
    );
  });

  it('a missing token file', async () => {
    const path = join(scratch, 'missing-token');
    oneLine(
      await vigil(['controller', '--github-token-file', path]),
      `${path}: no such file (expected the token)`,
    );
  });

  it('a token file that is a directory', async () => {
    oneLine(
      await vigil(['audit', '--forge', 'https://github.example', '--forge-token-file', scratch]),
      `${scratch}: not a file (expected the token)`,
    );
  });

  it('a token file the user may not read', async () => {
    const path = file('token-unreadable', CLASSIC, 0o000);
    const r = await vigil(['controller', '--github-token-file', path], unprivileged);
    oneLine(r, `${path}: permission denied (cannot read the token)`);
  });

  it('a webhook secret file that cannot be read stops the controller before it reaches the cluster', async () => {
    const token = file('token-for-webhook', `${CLASSIC}\n`);
    const secret = join(scratch, 'missing-webhook-secret');
    const r = await vigil([
      'controller',
      '--github-token-file',
      token,
      '--webhook-port',
      '0',
      '--webhook-secret-file',
      secret,
      '--kubeconfig',
      join(scratch, 'missing-kubeconfig-too'),
    ]);
    oneLine(r, `${secret}: no such file (expected the webhook secret)`);
  });

  it.each([
    ['forge prs', ['forge', 'prs', '--forge', 'http://127.0.0.1:1']],
    ['forge serve', ['forge', 'serve']],
  ])('a local forge seed that is not YAML (vigil %s): the line number, never the line', async (_c, args) => {
    const secret = 'local-secret-ds-lead-77';
    const path = file(`seed-broken-${args[1]}`, `users:\n  - login: ds-lead\n    token: {${secret}\n`);
    const r = await vigil([...args, '--seed', path]);
    expect(r.stderr).not.toContain(secret);
    oneLine(r, `cannot read the seed ${path}: not valid YAML at line 4, column 1`);
  });

  it('a token file others can read: refused without its contents', async () => {
    const path = file('token-shared', `${CLASSIC}\n`, 0o644);
    const r = await vigil(['controller', '--github-token-file', path]);
    expect(r.stderr).not.toContain(CLASSIC);
    oneLine(r, r.stderr.trim().replace(/^vigil: /, ''));
    expect(r.stderr).toContain('mode 0644');
  });

  it('a token file holding more than a token: refused without its contents', async () => {
    const path = file('token-two-lines', `${CLASSIC}\n${RANDOM}\n`);
    const r = await vigil(['controller', '--github-token-file', path]);
    expect(r.stderr).not.toContain(CLASSIC);
    expect(r.stderr).not.toContain(RANDOM);
    oneLine(r, `${path}: expected one token, found several words or lines`);
  });
});

// Every command and subcommand the program has, so a new one is covered without editing a list.
const every = (cmd: Command, path: string[]): string[][] =>
  cmd.commands.flatMap((c) => [[...path, c.name()], ...every(c, [...path, c.name()])]);
const COMMANDS = every(await buildProgram(), []);

describe('help, exit codes and colour still hold', { timeout: SLOW }, () => {
  it('covers every command', () => {
    expect(COMMANDS.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining(['controller', 'forge approve', 'contract import', 'audit', 'promote']),
    );
  });

  it.each(COMMANDS.map((c) => [c.join(' '), c] as const))(
    'vigil %s --help prints its usage and exits 0',
    async (_name, command) => {
      const r = await vigil([...command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: vigil ${command.join(' ')}`);
      expect(r.stderr).toBe('');
    },
  );

  it.each([
    ['a refused token flag', ['controller', `--github-token=${CLASSIC}`], 2],
    ['a usage error', ['audit', '-o', 'pdf'], 2],
    ['an unreadable kubeconfig', ['controller', '--kubeconfig', join(scratch, 'absent')], 1],
  ] as const)('%s: no colour when stderr is not a terminal, nor with NO_COLOR', async (_what, args, code) => {
    for (const env of [{}, { NO_COLOR: '1', FORCE_COLOR: '1' }] as Record<string, string>[]) {
      const r = await vigil([...args], { env });
      expect(r.code).toBe(code);
      expect(r.stderr).not.toContain('\u001b[');
    }
  });
});
