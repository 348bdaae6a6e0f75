import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { captureOutput } from '../../../../test/support/cli-output.js';
import { run } from '../main.js';

const LOG = path.resolve(
  fileURLToPath(import.meta.url),
  '../../../../../test/fixtures/surveillance/inference-log.csv',
);
const NOW = '2026-06-01T00:00:00Z';

const output = captureOutput();

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-surveillance-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const label = { column: 'readmitted', positive: ['<30'] };
/** A policy file with the given metrics; the log it names is replaced by --log. */
function policyFile(name: string, metrics: object[], extra: object = {}): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'SurveillancePolicy',
      metadata: { name, namespace: 'care-management' },
      spec: { inferenceLog: { uri: 'elsewhere.csv' }, metrics, ...extra },
    }),
  );
  return file;
}
const auroc = {
  name: 'auroc',
  kind: 'performance',
  source: { builtin: { statistic: 'auroc', score: 'score', label } },
  baseline: 0.8,
  direction: 'higher-is-better',
  minSamples: 50,
  tiers: [
    { at: 5, action: 'notify' },
    { at: 20, action: 'rollback' },
  ],
};
const psi = (minSamples: number) => ({
  name: 'feature-psi',
  kind: 'drift',
  source: { builtin: { statistic: 'psi', column: 'feature', window: '30d', baselineWindow: '60d' } },
  direction: 'lower-is-better',
  degradation: 'absolute',
  minSamples,
  tiers: [
    { at: 0.1, action: 'review' },
    { at: 0.25, action: 'rollback' },
  ],
});

const vigil = (...args: string[]) => run(['node', 'vigil', 'surveillance', 'evaluate', ...args]);

describe('vigil surveillance evaluate', () => {
  it('evaluates each metric as the controller does and prints a table', async () => {
    const file = policyFile('healthy', [auroc, psi(1000)]);
    expect(await vigil(file, '--log', LOG, '--now', NOW)).toBe(0);
    expect(output.err).toBe('');
    const lines = output.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^METRIC\s+SEGMENT\s+VALUE\s+BASELINE\s+SAMPLES\s+EXCLUDED\s+DEGRADATION\s+TIER$/,
    );
    // AUROC 0.79803 (scikit-learn's figure for the fixture), 0.246% under its baseline of 0.8: no tier.
    expect(lines[1]).toMatch(/^auroc\s+0\.798032\s+0\.8\s+60\s+12\s+0\.2459\s+none$/);
    // 70 current and 80 baseline samples, under the 1000 asked for: shown, not judged.
    expect(lines[2]).toMatch(/^feature-psi\s+0\.492178\s+70 \/ 80\s+4\s+insufficient data$/);
    expect(lines.at(-1)).toBe('healthy at 2026-06-01T00:00:00.000Z: worst tier none');
  });

  it('exits 1 when a rollback tier is reached, with the evaluation in JSON', async () => {
    const file = policyFile('drifted', [auroc, psi(50)]);
    expect(await vigil(file, '--log', LOG, '--now', NOW, '-o', 'json')).toBe(1);
    const evaluation = JSON.parse(output.out);
    expect(evaluation).toMatchObject({
      policy: 'drifted',
      evaluatedAt: '2026-06-01T00:00:00.000Z',
      worstTier: 'rollback',
    });
    expect(evaluation.metrics[1]).toMatchObject({
      name: 'feature-psi',
      samples: 70,
      baselineSamples: 80,
      excluded: { missing: 1, nan: 2, outOfRange: 1, unlabelled: 0 },
      tier: 'rollback',
    });
    expect(evaluation.metrics[1].value).toBeCloseTo(0.4921782037549476, 12);
  });

  it('reads a log over HTTP', async () => {
    const server: Server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      createReadStream(LOG).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const file = policyFile('remote', [psi(50)]);
      expect(
        await vigil(
          file,
          '--log',
          `http://127.0.0.1:${port}/logs/inference-log.csv`,
          '--now',
          NOW,
          '-o',
          'json',
        ),
      ).toBe(1);
      expect(JSON.parse(output.out).metrics[0]).toMatchObject({
        samples: 70,
        baselineSamples: 80,
        tier: 'rollback',
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('asks Prometheus at --prometheus-url for a policy that names none, as the controller would', async () => {
    const asked: string[] = [];
    const server: Server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      // Prometheus's API takes the query as a form field of a POST.
      asked.push(new URLSearchParams(body).get('query') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [1780272000, '0.31'] }] },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const file = policyFile('with-prometheus', [
        auroc,
        {
          name: 'override-ratio',
          kind: 'performance',
          source: { prometheus: 'avg(override_ratio)' },
          baseline: 0.1,
          direction: 'lower-is-better',
          tiers: [{ at: 100, action: 'notify' }],
        },
      ]);
      const url = `http://127.0.0.1:${port}`;
      expect(await vigil(file, '--log', LOG, '--now', NOW, '--prometheus-url', url, '-o', 'json')).toBe(0);
      expect(asked).toEqual(['avg(override_ratio)']);
      const result = JSON.parse(output.out);
      expect(result.unread).toEqual([]);
      expect(result.metrics.map((m: { name: string; value: number }) => [m.name, m.value])).toContainEqual([
        'override-ratio',
        0.31,
      ]);

      // Without it, the metric is unread and says where to set one: no guess, no crash.
      output.out = '';
      expect(await vigil(file, '--log', LOG, '--now', NOW, '-o', 'json')).toBe(0);
      expect(JSON.parse(output.out).unread).toEqual([
        expect.objectContaining({ metric: 'override-ratio', reason: 'NoPrometheus' }),
      ]);
      expect(asked).toHaveLength(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a --prometheus-url that is not an http(s) URL, as a usage error', async () => {
    const file = policyFile('bad-prometheus', [auroc]);
    expect(await vigil(file, '--log', LOG, '--now', NOW, '--prometheus-url', 'prometheus:9090')).toBe(2);
    expect(output.err).toBe(
      'vigil: --prometheus-url must be an http:// or https:// URL; got "prometheus:9090"\n',
    );
  });

  it('takes the log for a policy that names none', async () => {
    const file = path.join(dir, 'no-log.yaml');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'vigil.dev/v1alpha1',
        kind: 'SurveillancePolicy',
        metadata: { name: 'no-log' },
        spec: { metrics: [auroc] },
      }),
    );
    expect(await vigil(file, '--log', LOG, '--now', NOW, '-o', 'json')).toBe(0);
    expect(JSON.parse(output.out).metrics[0]).toMatchObject({ name: 'auroc', samples: 60 });
  });

  it('refuses an invalid policy with each problem at file:line:col', async () => {
    const file = policyFile('broken', [
      { ...auroc, source: { builtin: { statistic: 'auroc', score: 'score' } } },
    ]);
    expect(await vigil(file, '--log', LOG, '--now', NOW)).toBe(1);
    expect(output.out).toBe('');
    expect(output.err).toContain(`${file}:`);
    expect(output.err).toMatch(
      /:13:9: error: spec\.metrics\[0\]\.source\.builtin\.label: required field "label" is missing\n/,
    );
    expect(output.err).toContain(`vigil: ${file}: not evaluated (1 error)`);
  });

  it('says plainly when the log is missing', async () => {
    const file = policyFile('missing-log', [auroc]);
    expect(await vigil(file, '--log', path.join(dir, 'nope.csv'), '--now', NOW)).toBe(1);
    expect(output.err.trim().split('\n')).toHaveLength(1);
    expect(output.err).toMatch(/^vigil: .*nope\.csv/);
  });

  it('refuses a time it cannot read, as a usage error', async () => {
    const file = policyFile('bad-now', [auroc]);
    expect(await vigil(file, '--log', LOG, '--now', 'yesterday')).toBe(2);
    expect(output.err).toBe(
      'vigil: --now must be an ISO 8601 time such as 2026-06-01T00:00:00Z; got "yesterday"\n',
    );
  });
});
