import { describe, expect, it } from 'vitest';
import {
  EvidenceCache,
  evidenceQueries,
  observationsFromStages,
  type StageEvidenceReader,
} from './evidence.js';

const LOG = {
  uri: 'data/prior-auth-drafts.parquet',
  timestampColumn: 'drafted_at',
  versionColumn: 'bundle_version',
};

describe('evidenceQueries', () => {
  it('measures each stage that runs a version, against the next later stage running another', () => {
    expect(
      evidenceQueries([
        { stage: 'silent', version: '2.4.0' },
        { stage: 'pilot', version: '2.3.1' },
        { stage: 'ward', version: '2.3.1' },
        { stage: 'network' },
      ]),
    ).toEqual([
      { stage: 'silent', version: '2.4.0', compareWith: '2.3.1' },
      { stage: 'pilot', version: '2.3.1' },
      { stage: 'ward', version: '2.3.1' },
    ]);
  });
});

describe('observationsFromStages', () => {
  it('gives the gates the measured figures, the soak starting at the first logged request', () => {
    const observations = observationsFromStages([
      {
        stage: 'pilot-clinic',
        version: '1.4.0',
        since: '2026-11-01T00:00:00Z',
        evidence: {
          firstSeen: '2026-10-01T15:59:51Z',
          encounters: 240,
          labelledOutcomes: 216,
          reviewed: 205,
          reviewedOf: 216,
          metrics: [{ metric: 'rework-rate', value: 0.0972, samples: 216 }],
          unmeasured: [{ metric: 'override-rate', reason: 'no reviewed draft yet' }],
        },
      },
      { stage: 'twelve-clinics', version: '1.3.2', since: '2026-11-01T00:00:00Z' },
      {
        stage: 'network',
        version: '1.3.2',
        since: '2026-11-01T00:00:00Z',
        evidence: { encounters: 0, metrics: [], problem: 'no such file' },
      },
    ]);
    expect(observations).toEqual({
      'pilot-clinic': {
        version: '1.4.0',
        since: '2026-10-01T15:59:51Z',
        encounters: 240,
        labelledOutcomes: 216,
        reviewed: 205,
        reviewedOf: 216,
        metrics: [{ metric: 'rework-rate', value: 0.0972 }],
        unmeasured: [{ metric: 'override-rate', reason: 'no reviewed draft yet' }],
      },
      // No first request logged: the soak runs from when Vigil first saw the version.
      network: { version: '1.3.2', since: '2026-11-01T00:00:00Z', problem: 'no such file' },
    });
  });
});

describe('EvidenceCache', () => {
  it('measures once per interval, and again at once when what is measured changes', async () => {
    const calls: string[] = [];
    const reader: StageEvidenceReader = {
      measure: async (_log, queries, now) => {
        calls.push(`${now.toISOString()} ${queries.map((q) => `${q.stage}=${q.version}`).join(',')}`);
        return queries.map((q) => ({
          stage: q.stage,
          version: q.version,
          evidence: { encounters: calls.length, labelledOutcomes: 0, metrics: [] },
        }));
      },
    };
    const cache = new EvidenceCache(reader, 60_000);
    const t0 = new Date('2026-11-10T15:00:00Z');
    const later = (ms: number) => new Date(t0.getTime() + ms);
    const pilot = [{ stage: 'pilot-clinic', version: '1.4.0' }];
    const first = await cache.read('um/pa', LOG, pilot, t0);
    expect(first['pilot-clinic']).toEqual({
      version: '1.4.0',
      evidence: expect.objectContaining({ encounters: 1 }),
    });
    await cache.read('um/pa', LOG, pilot, later(30_000));
    expect(cache.dueIn('um/pa', later(30_000))).toBe(30_000);
    await cache.read('um/pa', LOG, [{ stage: 'pilot-clinic', version: '1.4.1' }], later(31_000));
    await cache.read('um/pa', LOG, [{ stage: 'pilot-clinic', version: '1.4.1' }], later(91_000));
    expect(calls).toEqual([
      '2026-11-10T15:00:00.000Z pilot-clinic=1.4.0',
      '2026-11-10T15:00:31.000Z pilot-clinic=1.4.1',
      '2026-11-10T15:01:31.000Z pilot-clinic=1.4.1',
    ]);
  });
});

describe('observationsFromStages, for a log without outcome times', () => {
  it('says why labelled outcomes were not counted', () => {
    const observations = observationsFromStages([
      {
        stage: 'silent',
        version: '2.4.0',
        evidence: { encounters: 2950, metrics: [] },
      },
    ]);
    expect(observations.silent?.unmeasured).toEqual([
      { metric: 'labelledOutcomes', reason: 'the inference log records no outcome time' },
    ]);
  });
});
