// `vigil forge ...` against a running local forge: a person approves, requests changes, dismisses, pushes
// (so approvals go stale), lists pull requests with their checks, and merges, each as a seed user through
// octokit; the forge's refusals come back as clear messages, and no token ever reaches the output.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { Octokit } from 'octokit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerForge } from '../../controller/src/cli/commands/forge.js';
import { InputError, UsageError } from '../../controller/src/cli/terminal.js';
import { type LocalForge, writeForgeStateFile } from '../../controller/src/forge/local/index.js';
import { as, asApp, branchWithChange, OWNER, REPO, SEED, startForge } from './harness.js';

const repo = { owner: OWNER, repo: REPO };
const PATH = 'utilization-management/prior-auth-summarization/twelve-clinics.yaml';
const BRANCH = 'vigil/promote/prior-auth-summarization/twelve-clinics/1.4.0';

let forge: LocalForge;
let bot: Octokit;
let pr: number;

/** Run `vigil forge <args>` in process; returns what a terminal would show and the exit code. */
async function vigil(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const sink = { out: '', err: '' };
  const output = {
    writeOut: (text: string) => {
      sink.out += text;
    },
    writeErr: (text: string) => {
      sink.err += text;
    },
  };
  const program = new Command('vigil').exitOverride().configureOutput(output);
  registerForge(program);
  const quiet = (c: Command) => {
    c.exitOverride();
    c.configureOutput(output);
    c.commands.forEach(quiet);
  };
  program.commands.forEach(quiet);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    sink.out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['forge', ...args], { from: 'user' });
    return { code: 0, ...sink };
  } catch (e) {
    // The exit codes main.ts gives: 0 help, 1 refused input, 2 usage.
    if (e instanceof CommanderError) return { code: e.code.startsWith('commander.help') ? 0 : 2, ...sink };
    if (e instanceof UsageError) return { code: 2, out: sink.out, err: `${sink.err}vigil: ${e.message}\n` };
    if (e instanceof InputError) return { code: 1, out: sink.out, err: `${sink.err}vigil: ${e.message}\n` };
    throw e;
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  forge = await startForge();
  bot = as(forge, 'platform-bot');
  await branchWithChange(bot, BRANCH, PATH, (t) =>
    t.replace('  enabled: false\n', '  enabled: true\n  bundleVersion: "1.4.0"\n'),
  );
  const { data } = await bot.rest.pulls.create({
    ...repo,
    title: 'Expand prior-auth-summarization 1.4.0 to twelve clinics',
    head: BRANCH,
    base: 'main',
  });
  pr = data.number;
});
afterAll(async () => {
  await forge?.stop();
});
afterEach(() => {
  expect(forge.violations.splice(0)).toEqual([]);
});

const noTokens = (text: string) => {
  for (const token of Object.values(forge.tokens)) expect(text).not.toContain(token);
};

describe('vigil forge', () => {
  it('approves as a seed user, on the head commit', async () => {
    const r = await vigil(
      'approve',
      String(pr),
      '--as',
      'ds-lead',
      '--forge',
      forge.url,
      '-m',
      'Evaluation holds on the pilot.',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Approved #${pr} as ds-lead: review \\d+ on [0-9a-f]{7}`));
    const { data } = await bot.rest.pulls.listReviews({ ...repo, pull_number: pr });
    expect(data.map((x) => [x.user?.login, x.state, x.body])).toEqual([
      ['ds-lead', 'APPROVED', 'Evaluation holds on the pilot.'],
    ]);
    noTokens(r.out + r.err);
  });

  it("passes on the forge's refusal of a self-approval, exit 1", async () => {
    const r = await vigil('approve', String(pr), '--as', 'platform-bot', '--forge', forge.url);
    expect(r.code).toBe(1);
    expect(r.err).toContain('Can not approve your own pull request');
    expect(r.err).toContain('HTTP 422');
    noTokens(r.out + r.err);
  });

  it('requests changes with a message, and needs the message', async () => {
    const r = await vigil(
      'request-changes',
      String(pr),
      '--as',
      'um-nurse-lead',
      '-m',
      'Staffing plan for the second week.',
      '--forge',
      forge.url,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Requested changes on #${pr} as um-nurse-lead`);
    const missing = await vigil('request-changes', String(pr), '--as', 'um-nurse-lead', '--forge', forge.url);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('-m/--message');
  });

  it('dismisses a review with a reason', async () => {
    const { data } = await bot.rest.pulls.listReviews({ ...repo, pull_number: pr });
    const changes = data.find((x) => x.state === 'CHANGES_REQUESTED')!;
    const r = await vigil(
      'dismiss',
      String(pr),
      String(changes.id),
      '--as',
      'platform-eng',
      '-m',
      'Staffing plan attached.',
      '--forge',
      forge.url,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Dismissed review ${changes.id} by um-nurse-lead on #${pr} as platform-eng.`);
  });

  it('pushes a comment-only commit, so the approval is on an older commit', async () => {
    const before = (await bot.rest.pulls.get({ ...repo, pull_number: pr })).data.head.sha;
    const r = await vigil('push', String(pr), '--as', 'ds-2', '--forge', forge.url);
    expect(r.code).toBe(0);
    const { data: after } = await bot.rest.pulls.get({ ...repo, pull_number: pr });
    expect(after.head.sha).not.toBe(before);
    expect(r.out).toContain(`to ${BRANCH} as ds-2 (${PATH})`);
    const { data: files } = await bot.rest.pulls.listFiles({ ...repo, pull_number: pr });
    expect(files[0]?.patch).toMatch(/\n\+# Reviewed wording, values unchanged \(ds-2, /);
    const { data: commits } = await bot.rest.pulls.listCommits({ ...repo, pull_number: pr });
    expect(commits.at(-1)?.author?.login).toBe('ds-2');
  });

  it('lists open pull requests with reviews (stale ones marked) and checks', async () => {
    const { data } = await bot.rest.pulls.get({ ...repo, pull_number: pr });
    await asApp(forge, 'vigil').rest.checks.create({
      ...repo,
      name: 'vigil/sign-off',
      head_sha: data.head.sha,
      status: 'completed',
      conclusion: 'failure',
      output: { title: 'Missing', summary: 'roles' },
    });
    const r = await vigil('prs', '--forge', forge.url);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PR\s+TITLE\s+HEAD\s+AUTHOR\s+REVIEWS\s+CHECKS$/);
    expect(lines[1]).toContain(`#${pr}`);
    expect(lines[1]).toContain('ds-lead:approved(stale)');
    expect(lines[1]).toContain('vigil/sign-off:failure');
    expect(lines[1]).toContain('platform-bot');
  });

  it('merges only once the sign-off check passes', async () => {
    const refused = await vigil('merge', String(pr), '--as', 'platform-eng', '--forge', forge.url);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('Required status check "vigil/sign-off" is failing.');
    expect(refused.err).toContain('HTTP 405');
    const { data } = await bot.rest.pulls.get({ ...repo, pull_number: pr });
    await asApp(forge, 'vigil').rest.checks.create({
      ...repo,
      name: 'vigil/sign-off',
      head_sha: data.head.sha,
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Signed off', summary: 'roles' },
    });
    const merged = await vigil('merge', String(pr), '--as', 'platform-eng', '--forge', forge.url);
    expect(merged.code).toBe(0);
    expect(merged.out).toMatch(
      new RegExp(`^Merged #${pr} into main as [0-9a-f]{7} \\(by platform-eng\\)\\.`),
    );
    const empty = await vigil('prs', '--forge', forge.url);
    expect(empty.out).toBe(`No open pull requests in ${OWNER}/${REPO}.\n`);
  });

  it('finds the forge through .vigil/forge.json when --forge is not given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-forge-cli-'));
    const cwd = process.cwd();
    try {
      writeForgeStateFile(dir, {
        url: forge.url,
        seed: SEED,
        pid: process.pid,
        startedAt: new Date().toISOString(),
      });
      process.chdir(dir);
      const r = await vigil('prs');
      expect(r.code).toBe(0);
      expect(r.out).toContain('No open pull requests');
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains what is wrong with its arguments, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-forge-cli-'));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const noForge = await vigil('prs');
      expect(noForge.code).toBe(2);
      expect(noForge.err).toContain('no running forge found');
      expect(noForge.err).toContain('--forge URL');
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
    const stranger = await vigil('approve', '1', '--as', 'someone-else', '--forge', forge.url);
    expect(stranger.code).toBe(2);
    expect(stranger.err).toContain('no user "someone-else"');
    noTokens(stranger.err);
    const badPr = await vigil('approve', 'latest', '--as', 'ds-lead', '--forge', forge.url);
    expect(badPr.code).toBe(2);
    const badRepo = await vigil('prs', '--repo', 'ai-deployments', '--forge', forge.url);
    expect(badRepo.err).toContain('--repo must be "org/repo"');
    const missingAs = await vigil('merge', '1', '--forge', forge.url);
    expect(missingAs.code).toBe(2);
    expect(missingAs.err).toContain("required option '--as <user>' not specified");
  });

  it('serves a forge of its own, records it in .vigil/forge.json, and removes the record when stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-forge-serve-'));
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      const serving = vigil('serve', '--port', '0', '--seed', SEED);
      const file = join(dir, '.vigil', 'forge.json');
      for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
      const recorded = JSON.parse(readFileSync(file, 'utf8'));
      expect(recorded).toMatchObject({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        seed: SEED,
      });
      const listed = await vigil('prs');
      expect(listed.out).toBe(`No open pull requests in ${OWNER}/${REPO}.\n`);
      process.emit('SIGTERM');
      const served = await serving;
      expect(served.code).toBe(0);
      expect(served.out).toContain(`API:    ${recorded.url}`);
      noTokens(served.out);
      expect(existsSync(file)).toBe(false);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints help for each command', async () => {
    for (const cmd of ['approve', 'request-changes', 'dismiss', 'push', 'merge', 'prs', 'serve']) {
      const r = await vigil(cmd, '--help');
      expect(r.code, cmd).toBe(0);
      expect(r.out, cmd).toMatch(/^Usage: vigil forge /);
    }
  });
});
