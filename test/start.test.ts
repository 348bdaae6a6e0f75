// `npm start` as a newcomer meets it: run it, type the kubectl commands it prints, see every example use case
// with its columns and conditions; every use case becomes Ready; Ctrl-C stops everything cleanly.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from 'octokit';
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

beforeAll(async () => {
  child = spawn(process.execPath, [join(ROOT, 'bin/vigil.js'), 'start'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  // It writes the four example inference logs before the cluster starts.
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null) throw new Error(`vigil start exited early (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`vigil start did not come up in 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  kubeconfig = /export KUBECONFIG=(\S+)/.exec(output)![1]!;
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('vigil start', () => {
  it('prints the kubeconfig and three kubectl commands to try', () => {
    expect(output).toContain('Installed 6 CRDs.');
    expect(output).toMatch(/Applied \d+ objects from .*examples\./);
    expect(output).toContain('kubectl get usecases -A');
    expect(output).toContain('kubectl get vigil -A');
    expect(output).toContain('kubectl describe usecase readmission-risk -n care-management');
  });

  it('makes every example use case Ready (kubectl wait --for=condition=Ready uc --all -A)', async () => {
    const out = await kubectl(['wait', '--for=condition=Ready', 'uc', '--all', '-A', '--timeout=60s']);
    expect(out.trim().split('\n')).toHaveLength(4);
    expect(out).toContain('usecase.vigil.dev/readmission-risk condition met');
  }, 90_000);

  it('makes every SurveillancePolicy Ready, with a value for each of its metrics, from logs ending now', async () => {
    expect(output).toMatch(
      /Wrote 4 example inference logs ending now \(data\/readmission-inference-log\.csv: \d+ rows/,
    );
    const out = await kubectl(['wait', '--for=condition=Ready', 'sp', '--all', '-A', '--timeout=90s']);
    expect(out.trim().split('\n')).toHaveLength(4);
    const list = JSON.parse(await kubectl(['get', 'sp', '-A', '-o', 'json'])) as {
      items: {
        metadata: { name: string };
        spec: { metrics: { name: string }[] };
        status: { worstTier?: string; metrics?: { name: string; segment?: string; value?: number }[] };
      }[];
    };
    expect(list.items.map((sp) => sp.metadata.name).sort()).toEqual([
      'ambient-surveillance',
      'denials-triage-surveillance',
      'prior-auth-surveillance',
      'readmission-surveillance',
    ]);
    for (const sp of list.items) {
      const valued = sp.status.metrics
        ?.filter((m) => m.segment === undefined && typeof m.value === 'number')
        .map((m) => m.name);
      expect({ [sp.metadata.name]: valued?.sort() }).toEqual({
        [sp.metadata.name]: sp.spec.metrics.map((m) => m.name).sort(),
      });
      // A fresh log is healthy: no tier reached on the first start.
      expect({ [sp.metadata.name]: sp.status.worstTier }).toEqual({ [sp.metadata.name]: 'none' });
    }
  }, 120_000);

  it('shows every use case with risk class, versions and readiness in kubectl get', async () => {
    const lines = (await kubectl(['get', 'usecases', '-A'])).trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+RISK\s+PRODUCTION\s+CANDIDATE\s+TIER\s+READY\s+AGE$/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/));
    expect(rows.map((r) => r[1]).sort()).toEqual([
      'ambient-documentation',
      'denials-triage',
      'prior-auth-summarization',
      'readmission-risk',
    ]);
    const readmission = rows.find((r) => r[1] === 'readmission-risk')!;
    expect(readmission.slice(2, 5)).toEqual(['clinical-decision-support', '2.3.1', '2.4.0']);
    expect(rows.every((r) => r.at(-2) === 'True')).toBe(true);
  });

  it('lists every kind under kubectl get vigil -A', async () => {
    const out = await kubectl(['get', 'vigil', '-A']);
    for (const kind of ['usecase', 'datacontract', 'releasetrain', 'surveillancepolicy', 'signoffpolicy']) {
      expect(out).toContain(`${kind}.vigil.dev/`);
    }
  });

  it('explains each condition in kubectl describe', async () => {
    const out = await kubectl(['describe', 'usecase', 'readmission-risk', '-n', 'care-management']);
    for (const type of ['Valid', 'ContractsSatisfied', 'SurveillanceHealthy', 'PromotionReady', 'Ready']) {
      expect(out).toMatch(new RegExp(`\\b${type}\\b`));
    }
    // The gate that fails, and by how much.
    expect(out).toMatch(/minSoak is 30d/);
  });

  it('records each SignoffPolicy at the commit of the governance repository that last changed its file', async () => {
    // The forge's northwind-health/ai-governance holds the example files: the revision is its commit, read by the
    // controller from there (the objects carry no source annotation).
    const url = /Local forge at (\S+) /.exec(output)![1]!;
    const seed = parse(readFileSync(join(ROOT, 'examples', 'forge', 'seed.yaml'), 'utf8')) as {
      users: { login: string; token: string }[];
    };
    const token = seed.users.find((u) => u.login === 'platform-eng')!.token;
    const { data } = await new Octokit({ auth: token, baseUrl: url }).rest.repos.listCommits({
      owner: 'northwind-health',
      repo: 'ai-governance',
      path: 'care-management/clinical-signoff.yaml',
      sha: 'main',
      per_page: 1,
    });
    const expected = data[0]!.sha;
    expect(expected).toMatch(/^[0-9a-f]{40}$/);
    const field = (jsonpath: string) =>
      kubectl(['get', 'so', 'clinical-signoff', '-n', 'care-management', '-o', `jsonpath=${jsonpath}`]);
    // The controller writes it on its first pass over the policy: a wait, not an assertion on time.
    let seen = (await field('{.status.revision}')).trim();
    for (let i = 0; i < 120 && seen !== expected; i++) {
      await new Promise((r) => setTimeout(r, 250));
      seen = (await field('{.status.revision}')).trim();
    }
    expect(seen).toBe(expected);
    expect(await field('{.metadata.annotations}')).not.toContain('vigil.dev/source-revision');
    expect(await field('{.status.conditions[?(@.type=="RevisionConfirmed")].reason}')).toBe('FromRepository');
  });

  it('refuses in kubectl apply what vigil validate refuses, with the same message', async () => {
    const file = join(ROOT, 'examples', 'broken', 'cron-never-fires.yaml');
    await kubectl(['create', 'namespace', 'broken-cron-never-fires']);
    const refused = await kubectl(['apply', '-f', file]).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    expect(refused).toContain(
      'admission webhook "validate.vigil.dev" denied the request: spec.schedule.cron: cron "0 6 30 2 *" never fires: February has no day 30; the train would never depart',
    );
  });

  it('stops everything on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
    await expect(kubectl(['get', 'usecases', '-A', '--request-timeout=2s'])).rejects.toThrow();
  });
});
