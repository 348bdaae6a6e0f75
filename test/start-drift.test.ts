// `npm start -- --drift` as a newcomer runs it: the readmission example starts healthy, then its scores drift, and
// its SurveillancePolicy trips notify, then review (a governance issue in the local forge), then rollback, in that
// order, each once, as status.actions and the policy's Events record. The rollback tier opens a pull request
// that takes production back to 2.2.0: no Promotion records what production ran before 2.3.1, so the version
// comes from the deployment file's history in the local forge's ai-deployments repository.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);

let child: ChildProcess;
let output = '';
let kubeconfig = '';

const kubectl = async (args: string[]) => {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
  return stdout;
};

const waitFor = async (text: string, seconds: number) => {
  const deadline = Date.now() + seconds * 1000;
  while (!output.includes(text)) {
    if (child.exitCode !== null) throw new Error(`vigil start exited early (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" in ${seconds} s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

beforeAll(async () => {
  child = spawn(process.execPath, [join(ROOT, 'bin/vigil.js'), 'start', '--drift'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  await waitFor('Press Ctrl-C to stop.', 90);
  kubeconfig = /export KUBECONFIG=(\S+)/.exec(output)![1]!;
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

interface Action {
  metric: string;
  tier: string;
  action: string;
  useCase?: string;
  issue?: { repository: string; number: number; url: string };
}

describe('vigil start --drift', () => {
  it('drifts the readmission log in three steps, each evaluated before the next', async () => {
    // Three evaluations after the first, each at least one interval apart; generous for a loaded machine.
    await waitFor('Drift done', 300);
    const steps = output.split('\n').filter((l) => /^Drift \d of 3:/.test(l));
    expect(steps.map((l) => /strength (\d+(?:\.\d+)?)/.exec(l)?.[1])).toEqual(['0.37', '0.5', '1']);
    const evaluated = output.split('\n').filter((l) => l.startsWith('  evaluated: risk-score-psi'));
    expect(evaluated.map((l) => /\(([\w-]+)\)/.exec(l)?.[1])).toEqual([
      'moderate-shift',
      'major-shift',
      'severe-shift',
    ]);
  }, 330_000);

  it('trips the score drift through notify, review and rollback, in that order and once each', async () => {
    const sp = JSON.parse(
      await kubectl(['get', 'sp', 'readmission-surveillance', '-n', 'care-management', '-o', 'json']),
    ) as { status: { worstTier: string; actions: Action[] } };
    expect(sp.status.worstTier).toBe('rollback');
    const psi = sp.status.actions.filter((a) => a.metric === 'risk-score-psi');
    expect(psi.map((a) => `${a.action}:${a.tier}`)).toEqual([
      'notify:moderate-shift',
      'review:major-shift',
      'rollback:severe-shift',
    ]);
    // Over every metric, the first of each action comes in the same order.
    const first = (action: string) => sp.status.actions.findIndex((a) => a.action === action);
    expect(first('notify')).toBeGreaterThanOrEqual(0);
    expect(first('notify')).toBeLessThan(first('review'));
    expect(first('review')).toBeLessThan(first('rollback'));
    expect(psi[1]).toMatchObject({ useCase: 'readmission-risk' });
    expect(psi[2]).toMatchObject({ useCase: 'readmission-risk' });
  });

  it('records each tier as an Event on the policy', async () => {
    const events = JSON.parse(
      await kubectl([
        'get',
        'events',
        '-n',
        'care-management',
        '--field-selector',
        'involvedObject.name=readmission-surveillance',
        '-o',
        'json',
      ]),
    ) as { items: { reason: string; message: string }[] };
    const reasons = events.items.map((e) => e.reason);
    for (const reason of ['SurveillanceNotify', 'SurveillanceReview', 'SurveillanceRollback']) {
      expect(reasons).toContain(reason);
    }
    const psi = events.items.filter((e) => e.message.startsWith('risk-score-psi reached'));
    expect(psi.map((e) => e.reason).sort()).toEqual([
      'SurveillanceNotify',
      'SurveillanceReview',
      'SurveillanceRollback',
    ]);
  });

  it("opens the review tier's governance issue in the local forge", async () => {
    const forge = /Local forge at (\S+) /.exec(output)![1]!;
    const review = await (async () => {
      for (let i = 0; i < 120; i++) {
        const sp = JSON.parse(
          await kubectl(['get', 'sp', 'readmission-surveillance', '-n', 'care-management', '-o', 'json']),
        ) as { status: { actions: Action[] } };
        const found = sp.status.actions.find((a) => a.action === 'review' && a.issue);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 500));
      }
      return undefined;
    })();
    expect(review?.issue?.repository).toMatch(/^northwind-health\//);
    // As a member of the organisation would read it, with the token the example seed gives ds-lead.
    const seed = parse(readFileSync(join(ROOT, 'examples', 'forge', 'seed.yaml'), 'utf8')) as {
      users: { login: string; token: string }[];
    };
    const token = seed.users.find((u) => u.login === 'ds-lead')!.token;
    const res = await fetch(`${forge}/repos/${review!.issue!.repository}/issues/${review!.issue!.number}`, {
      headers: { authorization: `token ${token}` },
    });
    expect(res.status).toBe(200);
    const issue = (await res.json()) as { title: string; state: string };
    expect(issue.state).toBe('open');
    expect(issue.title).toContain('risk-score-psi');
  }, 90_000);

  it('opens the rollback pull request in the local forge, back to the version the history shows', async () => {
    const forge = /Local forge at (\S+) /.exec(output)![1]!;
    const promo = await (async () => {
      for (let i = 0; i < 120; i++) {
        const list = JSON.parse(await kubectl(['get', 'promo', '-n', 'care-management', '-o', 'json'])) as {
          items: {
            metadata: { name: string };
            spec: { type: string; to: string; version: string; previousVersion?: string };
            status?: { pullRequest?: { number: number } };
          }[];
        };
        const found = list.items.find((p) => p.spec.type === 'rollback' && p.status?.pullRequest);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 500));
      }
      return undefined;
    })();
    expect(promo?.spec).toMatchObject({
      type: 'rollback',
      to: 'production',
      version: '2.2.0',
      previousVersion: '2.3.1',
    });
    const seed = parse(readFileSync(join(ROOT, 'examples', 'forge', 'seed.yaml'), 'utf8')) as {
      users: { login: string; token: string }[];
    };
    const token = seed.users.find((u) => u.login === 'ds-lead')!.token;
    const res = await fetch(
      `${forge}/repos/northwind-health/ai-deployments/pulls/${promo!.status!.pullRequest!.number}`,
      { headers: { authorization: `token ${token}` } },
    );
    expect(res.status).toBe(200);
    const pr = (await res.json()) as { state: string; merged: boolean };
    expect(pr).toMatchObject({ state: 'open', merged: false });
    const sp = JSON.parse(
      await kubectl(['get', 'sp', 'readmission-surveillance', '-n', 'care-management', '-o', 'json']),
    ) as { status: { conditions: { type: string; status: string; reason: string }[] } };
    expect(sp.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'RollbackOpened', status: 'True', reason: 'RollbackOpened' }),
    );
  }, 90_000);

  it('stops everything on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
  });
});
