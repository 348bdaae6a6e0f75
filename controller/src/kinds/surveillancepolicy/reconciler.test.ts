// The SurveillancePolicy reconciler follows the version each stage of its use case runs: production's version is
// judged and its tiers act; a candidate running silently beside it is judged by the same tiers over its own rows,
// and next to production on the encounters both scored, but its breach is only told: production is not rolled
// back. The log is DuckDB over a CSV written for the test; the forge, when given, fails any call made to it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SurveillancePolicyStatus } from '../../../../specs/surveillancepolicy.js';
import type { UseCaseStatus } from '../../../../specs/usecase.js';
import type { Forge } from '../../forge/forge.js';
import type { KubeObject, ReconcileContext } from '../../runtime/index.js';
import { USE_CASES } from '../resources.js';
import { surveillancePolicyController } from './reconciler.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../../..');
const NS = 'care-management';
const NOW = new Date('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let dataDir: string;

/**
 * One discharge an hour for 28 days, each scored by production's 2.3.1; the last 21 days scored by 2.4.0 too,
 * silently, on the same encounters. 2.3.1's scores keep one spread throughout; 2.4.0's crowd into the top
 * third over the last 7 days (a PSI far past the severe-shift tier).
 */
function writeLog(options: { withEncounterIds: boolean }): string {
  const header = [
    ...(options.withEncounterIds ? ['encounter_id'] : []),
    'scored_at',
    'model_version',
    'stage',
    'risk_score',
  ];
  const lines = [header.join(',')];
  const hours = 28 * 24;
  for (let i = 0; i < hours; i++) {
    const at = new Date(NOW.getTime() - (hours - i) * HOUR + HOUR / 2);
    const spread = ((i * 37) % 100) / 100 + 0.004;
    const row = (version: string, stage: string, score: number) =>
      [
        ...(options.withEncounterIds ? [`E${1000 + i}`] : []),
        at.toISOString(),
        version,
        stage,
        score.toFixed(4),
      ].join(',');
    lines.push(row('2.3.1', 'production', spread));
    if (at.getTime() < NOW.getTime() - 21 * DAY) continue;
    const shifted = at.getTime() > NOW.getTime() - 7 * DAY;
    lines.push(row('2.4.0', 'silent', shifted ? 0.66 + spread / 3 : spread));
  }
  return `${lines.join('\n')}\n`;
}

function policy(uri: string): KubeObject {
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'SurveillancePolicy',
    metadata: { name: 'readmission-surveillance', namespace: NS, generation: 1 },
    spec: {
      interval: '24h',
      inferenceLog: { uri, format: 'csv', timestampColumn: 'scored_at', versionColumn: 'model_version' },
      metrics: [
        {
          name: 'risk-score-psi',
          kind: 'drift',
          source: {
            builtin: { statistic: 'psi', column: 'risk_score', window: '7d', baselineWindow: '14d' },
          },
          direction: 'lower-is-better',
          degradation: 'absolute',
          minSamples: 100,
          tiers: [
            { name: 'moderate-shift', at: 0.1, action: 'notify' },
            { name: 'major-shift', at: 0.2, action: 'review' },
            { name: 'severe-shift', at: 0.25, action: 'rollback' },
          ],
        },
      ],
    },
  } as KubeObject;
}

/** The example readmission use case, as the use case controller left it: silent and production observed. */
function useCase(stages: { stage: string; version: string }[]): KubeObject {
  const doc = parse(readFileSync(path.join(REPO, 'examples/care-management/readmission-risk.yaml'), 'utf8'));
  const status: UseCaseStatus = { productionVersion: stages[stages.length - 1]!.version, stages };
  return { ...doc, metadata: { ...doc.metadata, uid: 'uc-1' }, status } as KubeObject;
}

const ctxAt = (now: Date, useCases: KubeObject[]) =>
  ({
    now,
    signal: new AbortController().signal,
    log: { info() {}, warn() {} },
    cache: {
      list: (kind: unknown) => (kind === USE_CASES ? useCases : []),
      get: (kind: unknown, _ns: string, name: string) =>
        kind === USE_CASES ? useCases.find((u) => u.metadata.name === name) : undefined,
    },
  }) as unknown as ReconcileContext;

/** A forge that fails the test on any call: a candidate's breach must reach no issue and no pull request. */
const untouchable = new Proxy({} as Forge, {
  get: (_t, name) => () => {
    throw new Error(`the forge was called: ${String(name)}`);
  },
});

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-stages-'));
  mkdirSync(path.join(dataDir, 'data'));
  writeFileSync(path.join(dataDir, 'data', 'log.csv'), writeLog({ withEncounterIds: true }));
  writeFileSync(path.join(dataDir, 'data', 'no-ids.csv'), writeLog({ withEncounterIds: false }));
});

afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('surveillance of each stage: production 2.3.1 and a silent candidate 2.4.0 whose drift breaches', () => {
  const stages = [
    { stage: 'silent', version: '2.4.0' },
    { stage: 'production', version: '2.3.1' },
  ];

  it("reports the candidate's breach with its stage and version, and does not roll production back", async () => {
    const controller = surveillancePolicyController({ dataDir, forge: untouchable });
    const result = await controller.reconcile(ctxAt(NOW, [useCase(stages)]), policy('data/log.csv'));
    const status = result.status as SurveillancePolicyStatus;

    // Production's version is healthy: nothing to act on, no action recorded, no rollback.
    expect(status.worstTier).toBe('none');
    expect(status.metrics?.map((m) => [m.name, m.tier])).toEqual([['risk-score-psi', 'none']]);
    expect(status.actions).toEqual([]);
    expect(status.conditions?.map((c) => c.type)).not.toContain('RollbackOpened');
    expect(result.events?.map((e) => e.reason)).not.toContain('SurveillanceRollback');

    // The candidate: judged by the same tiers over its own rows, and reported for its stage and version.
    expect(status.candidateTier).toBe('rollback');
    const [silent, production] = status.stages!;
    expect(production).toEqual({
      stage: 'production',
      version: '2.3.1',
      production: true,
      worstTier: 'none',
      breached: false,
    });
    expect(silent).toMatchObject({
      stage: 'silent',
      version: '2.4.0',
      production: false,
      worstTier: 'rollback',
      breached: true,
      metrics: [{ name: 'risk-score-psi', tier: 'severe-shift', samples: 168, baselineSamples: 336 }],
    });
    expect(silent!.metrics![0]!.value).toBeGreaterThan(0.25);

    // Beside production on the same encounters: the 21 days both scored.
    expect(silent!.comparison).toMatchObject({ version: '2.3.1', inputs: 21 * 24 });
    const [compared] = silent!.comparison!.metrics;
    expect(compared!.name).toBe('risk-score-psi');
    expect(compared!.candidate).toBeGreaterThan(0.25);
    expect(compared!.production).toBeLessThan(0.1);

    const candidate = status.conditions?.find((c) => c.type === 'CandidateHealthy');
    expect(candidate).toMatchObject({ status: 'False', reason: 'CandidateBreached' });
    expect(candidate!.message).toMatch(
      /^silent runs 2\.4\.0: risk-score-psi reached severe-shift \(rollback\)/,
    );
    expect(candidate!.message).toContain('production runs 2.3.1');
    const told = result.events!.filter((e) => e.reason === 'CandidateBreach');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ type: 'Warning' });
    expect(told[0]!.message).toContain('silent runs 2.4.0, a candidate (production runs 2.3.1)');
  });

  it('tells the breach once: the next evaluation, still breached, sends no second Event', async () => {
    const controller = surveillancePolicyController({ dataDir, forge: untouchable });
    const obj = policy('data/log.csv');
    const first = await controller.reconcile(ctxAt(NOW, [useCase(stages)]), obj);
    const evaluated = { ...obj, status: { ...first.status, observedGeneration: 1 } } as KubeObject;
    const next = await controller.reconcile(
      ctxAt(new Date(NOW.getTime() + DAY), [useCase(stages)]),
      evaluated,
    );
    const status = next.status as SurveillancePolicyStatus;
    expect(status.candidateTier).toBe('rollback');
    expect(status.stages![0]!.metrics![0]!.since).toBe(
      (first.status as SurveillancePolicyStatus).stages![0]!.metrics![0]!.since,
    );
    expect(next.events?.filter((e) => e.reason === 'CandidateBreach')).toEqual([]);
  });

  it('acts on the same drift once 2.4.0 runs in production: a rollback is due', async () => {
    const promoted = [
      { stage: 'silent', version: '2.4.0' },
      { stage: 'production', version: '2.4.0' },
    ];
    // No forge: the rollback is recorded as due, and said to be unopenable.
    const controller = surveillancePolicyController({ dataDir });
    const result = await controller.reconcile(ctxAt(NOW, [useCase(promoted)]), policy('data/log.csv'));
    const status = result.status as SurveillancePolicyStatus;
    expect(status.worstTier).toBe('rollback');
    expect(status.actions?.map((a) => [a.metric, a.tier, a.action, a.useCase])).toEqual([
      ['risk-score-psi', 'severe-shift', 'rollback', 'readmission-risk'],
    ]);
    expect(status.candidateTier).toBeUndefined();
    expect(status.stages?.map((s) => [s.stage, s.version, s.production, s.worstTier])).toEqual([
      ['silent', '2.4.0', true, 'rollback'],
      ['production', '2.4.0', true, 'rollback'],
    ]);
    expect(status.conditions?.find((c) => c.type === 'CandidateHealthy')).toMatchObject({
      status: 'True',
      reason: 'NoCandidate',
    });
  });

  it('evaluates again before its interval when a stage starts running another version, and only then', async () => {
    const controller = surveillancePolicyController({ dataDir });
    const obj = policy('data/log.csv');
    const first = await controller.reconcile(ctxAt(NOW, [useCase(stages)]), obj);
    const evaluated = { ...obj, status: { ...first.status, observedGeneration: 1 } } as KubeObject;
    const anHourOn = new Date(NOW.getTime() + HOUR);

    // The same versions an hour on: nothing is read, and the next evaluation stays 23 hours away.
    const idle = await controller.reconcile(ctxAt(anHourOn, [useCase(stages)]), evaluated);
    expect(Object.keys(idle.status ?? {})).toEqual(['conditions']);
    expect(idle.requeueAfter).toBe(23 * HOUR);

    // 2.4.0 reaches production an hour on: evaluated at once, and its drift now acts.
    const promoted = [
      { stage: 'silent', version: '2.4.0' },
      { stage: 'production', version: '2.4.0' },
    ];
    const next = await controller.reconcile(ctxAt(anHourOn, [useCase(promoted)]), evaluated);
    const status = next.status as SurveillancePolicyStatus;
    expect(status.lastEvaluated).toBe('2026-06-01T01:00:00Z');
    expect(status.worstTier).toBe('rollback');
    expect(status.stages?.map((s) => `${s.stage}=${s.version}`)).toEqual([
      'silent=2.4.0',
      'production=2.4.0',
    ]);
  });

  it('says why the versions cannot be compared on the same inputs when the log has no request id', async () => {
    const controller = surveillancePolicyController({ dataDir, forge: untouchable });
    const result = await controller.reconcile(ctxAt(NOW, [useCase(stages)]), policy('data/no-ids.csv'));
    const silent = (result.status as SurveillancePolicyStatus).stages![0]!;
    expect(silent.worstTier).toBe('rollback');
    expect(silent.comparison).toEqual({
      version: '2.3.1',
      inputs: 0,
      metrics: [],
      problem:
        'the inference log has no column request_id or encounter_id, so the requests both versions scored cannot be matched',
    });
  });

  it('follows no stage when two use cases name the policy, and says so', async () => {
    const other = useCase(stages);
    other.metadata = { ...other.metadata, name: 'readmission-risk-copy', uid: 'uc-2' };
    const controller = surveillancePolicyController({ dataDir });
    const result = await controller.reconcile(ctxAt(NOW, [useCase(stages), other]), policy('data/log.csv'));
    const status = result.status as SurveillancePolicyStatus;
    expect(status.stages).toBeUndefined();
    expect(status.conditions?.find((c) => c.type === 'CandidateHealthy')).toMatchObject({
      status: 'Unknown',
      reason: 'StagesNotFollowed',
    });
  });
});
