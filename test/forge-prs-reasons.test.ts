// `vigil forge prs` shows why each review did not count, as the vigil/sign-off check run that the controller
// writes lists it, so a person at a terminal need not open the forge's API to learn why the gate is still red.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewsThatDidNotCount } from '../controller/src/cli/commands/forge.js';
import type { LocalForge } from '../controller/src/forge/local/index.js';
import type { SignoffResult } from '../controller/src/signoff/evaluate.js';
import { renderCheckRun } from '../controller/src/signoff/render.js';
import { as, asApp, branchWithChange, OWNER, REPO, startForge } from './forge/harness.js';
import { runVigil } from './support/cli-output.js';

const repo = { owner: OWNER, repo: REPO };
const PATH = 'utilization-management/prior-auth-summarization/twelve-clinics.yaml';
const BRANCH = 'vigil/promote/prior-auth-summarization/twelve-clinics/1.4.0';

let forge: LocalForge;
let work: string;
let pr: number;
let head: string;

/** A sign-off decision with two reviews that did not count, one of them with a pipe in its explanation. */
function decision(headSha: string): SignoffResult {
  return {
    conclusion: 'failure',
    riskClass: 'operational',
    headSha,
    roles: [],
    ignored: [
      {
        reviewId: 41,
        login: 'ds-lead',
        state: 'APPROVED',
        at: '2026-03-10T12:00:00Z',
        commit: 'a1b2c3d4e5f6',
        reason: 'stale',
        message: 'Given on a1b2c3d, before the last push to the pull request.',
      },
      {
        reviewId: 42,
        login: 'compliance-1',
        state: 'APPROVED',
        at: '2026-03-10T13:00:00Z',
        commit: headSha,
        reason: 'separation-of-duties',
        role: 'privacy',
        message: 'compliance-1 already signed off as compliance | one person fills one role.',
      },
    ],
    blockers: [],
    filled: 1,
    required: 4,
    summary: '1/4 roles signed off',
    notes: [],
  };
}

const vigil = (...args: string[]) => runVigil(args, { cwd: work });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-forge-prs-'));
  forge = await startForge();
  const bot = as(forge, 'platform-bot');
  await branchWithChange(bot, BRANCH, PATH, (t) => t.replace('  enabled: false\n', '  enabled: true\n'));
  const { data } = await bot.rest.pulls.create({
    ...repo,
    title: 'Expand to twelve clinics',
    head: BRANCH,
    base: 'main',
  });
  pr = data.number;
  head = data.head.sha;
});

afterAll(async () => {
  await forge?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('vigil forge prs', () => {
  it('lists each review that did not count with the reason the sign-off check gives', async () => {
    const output = renderCheckRun(decision(head), { policy: 'utilization-management/governance-signoff' });
    await asApp(forge, 'vigil').rest.checks.create({
      ...repo,
      name: 'vigil/sign-off',
      head_sha: head,
      status: 'completed',
      conclusion: output.conclusion,
      output: { title: output.title, summary: output.summary, text: output.text },
    });
    const r = await vigil('forge', 'prs', '--forge', forge.url);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n').slice(-3)).toEqual([
      'Reviews that did not count, and why (from the vigil/sign-off check):',
      `  #${pr}  review 41 by ds-lead (approved on a1b2c3d): Before the last push: Given on a1b2c3d, before the last push to the pull request.`,
      `  #${pr}  review 42 by compliance-1 (approved on ${head.slice(0, 7)}): Separation of duties (for privacy): compliance-1 already signed off as compliance | one person fills one role.`,
    ]);
  });

  it('says nothing more when every review counted', () => {
    const none = renderCheckRun({ ...decision(head), ignored: [] }, { policy: 'p' });
    expect(reviewsThatDidNotCount(none.text)).toEqual([]);
    expect(reviewsThatDidNotCount(undefined)).toEqual([]);
  });
});
