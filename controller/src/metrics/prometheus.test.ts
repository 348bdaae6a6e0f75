// Prometheus sources read from a real Prometheus (Debian's package) holding samples backfilled for the test, and
// every way a reading can fail becoming a metric state rather than an exception or a hang.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { surveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import {
  freePort,
  type PrometheusServer,
  prometheusMissing,
  type Sample,
  startPrometheus,
} from '../../../test/fixtures/prometheus-server.js';
import { DataHosts } from '../data/data-hosts.js';
import { decideSurveillanceStatus } from '../kinds/surveillancepolicy/status.js';
import { readPrometheusMetrics } from './prometheus.js';

const NOW = new Date('2026-03-02T00:00:00Z');
const AT = '2026-03-02T00:00:00Z';
const MINUTE = 60_000;
const minutes = Array.from({ length: 121 }, (_, k) => k);
const atMinute = (k: number) => new Date(NOW.getTime() - (120 - k) * MINUTE);
/** Review turnaround climbing from 4 h to 6 h over the two hours before NOW, one sample a minute. */
const turnaround = (k: number) => 4 + k / 60;

const SAMPLES: Sample[] = minutes.flatMap((k): Sample[] => [
  {
    name: 'review_turnaround_hours',
    labels: { service: 'prior-auth' },
    value: turnaround(k),
    at: atMinute(k),
  },
  { name: 'override_ratio', labels: { payer: 'medicaid' }, value: 0.3, at: atMinute(k) },
  { name: 'override_ratio', labels: { payer: 'commercial' }, value: 0.12, at: atMinute(k) },
  { name: 'decisions_seen', labels: { payer: 'medicaid' }, value: 40, at: atMinute(k) },
  { name: 'decisions_seen', labels: { payer: 'commercial' }, value: 900, at: atMinute(k) },
  { name: 'idle_ratio', value: 'NaN', at: atMinute(k) },
]);

const tiers = [
  { at: 10, action: 'notify' },
  { at: 25, action: 'review' },
];
const metric = (name: string, source: object, extra: object = {}) => ({
  name,
  kind: 'performance',
  source,
  baseline: 0.1,
  direction: 'lower-is-better',
  minSamples: 100,
  tiers,
  ...extra,
});
const policy = (metrics: object[], prometheusUrl?: string) =>
  surveillancePolicySpec.parse({ ...(prometheusUrl ? { prometheusUrl } : {}), metrics });

// In CI (.ci/run installs Debian's prometheus) it always runs, so a server missing there fails instead of skipping.
describe.skipIf(prometheusMissing !== undefined && !process.env.CI)(
  `prometheus sources against a real Prometheus${prometheusMissing ? ` (skipped: ${prometheusMissing})` : ''}`,
  () => {
    let prometheus: PrometheusServer | undefined;
    beforeAll(async () => {
      prometheus = await startPrometheus(SAMPLES);
    }, 60_000);
    afterAll(async () => {
      await prometheus?.stop();
    });
    const read = (metrics: object[], options: { policyUrl?: boolean } = {}) =>
      readPrometheusMetrics(policy(metrics, options.policyUrl === false ? undefined : prometheus!.url), {
        now: NOW,
      });

    it('reads an instant query at the evaluation time', async () => {
      expect(await read([metric('turnaround', { prometheus: 'review_turnaround_hours' })])).toEqual({
        readings: [{ metric: 'turnaround', value: 6, at: AT }],
        unread: [],
      });
    });

    it('reads a range and reduces its points as the policy says, one point per step', async () => {
      // Points at NOW-120m, NOW-110m, ..., NOW: the samples of minutes 0, 10, ..., 120.
      const points = minutes.filter((k) => k % 10 === 0).map(turnaround);
      const expected = {
        mean: points.reduce((a, b) => a + b, 0) / points.length,
        min: 4,
        max: 6,
        last: 6,
      };
      for (const [reduce, value] of Object.entries(expected)) {
        const source = {
          prometheus: 'review_turnaround_hours',
          rangeQuery: { window: '2h', step: '10m', reduce },
        };
        const { readings, unread } = await read([metric('turnaround', source)]);
        expect(unread).toEqual([]);
        expect(readings).toHaveLength(1);
        expect(readings[0]!.value).toBeCloseTo(value, 12);
      }
    });

    it('reads one series per segment, with the samples query matched series by series, and judges only those with enough', async () => {
      const spec = policy(
        [
          metric(
            'override-rate',
            { prometheus: 'override_ratio', samplesQuery: 'decisions_seen' },
            { segments: ['payer'] },
          ),
        ],
        prometheus!.url,
      );
      const read = await readPrometheusMetrics(spec, { now: NOW });
      expect(read).toEqual({
        readings: [
          { metric: 'override-rate', segment: 'payer=commercial', value: 0.12, samples: 900, at: AT },
          { metric: 'override-rate', segment: 'payer=medicaid', value: 0.3, samples: 40, at: AT },
        ],
        unread: [],
      });
      // Medicaid's 0.3 is 200% worse than the baseline, but rests on 40 decisions, fewer than minSamples.
      const decision = decideSurveillanceStatus(spec, read.readings, undefined, NOW);
      expect(decision.status.metrics?.map((m) => [m.segment, m.tier ?? 'not judged'])).toEqual([
        ['payer=commercial', 'notify'],
        ['payer=medicaid', 'not judged'],
      ]);
    });

    it('takes the controller URL when the policy names none', async () => {
      const spec = policy([metric('turnaround', { prometheus: 'review_turnaround_hours' })]);
      expect((await readPrometheusMetrics(spec, { now: NOW, url: prometheus!.url })).readings).toEqual([
        { metric: 'turnaround', value: 6, at: AT },
      ]);
    });

    it.each([
      [
        'several series where one was expected',
        { prometheus: 'override_ratio' },
        'AmbiguousResult',
        /^m: the query returned 2 series \(.*payer="(commercial|medicaid)".*\) where one was expected; aggregate it, e.g. sum\(\.\.\.\)$/,
      ],
      [
        'no series',
        { prometheus: 'no_such_metric' },
        'NoData',
        'm: the query returned no series: nothing matched in Prometheus at the evaluation time',
      ],
      [
        'a NaN series',
        { prometheus: 'idle_ratio' },
        'NotANumber',
        /^m: the query returned NaN, as a ratio of 0 to 0/,
      ],
      ['a NaN scalar', { prometheus: '0/0' }, 'NotANumber', /^m: the query returned NaN/],
      ['an infinite value', { prometheus: '1/0' }, 'NotANumber', 'm: the query returned Infinity'],
      [
        'a range of NaN points only',
        { prometheus: 'idle_ratio', rangeQuery: { window: '1h', step: '5m' } },
        'NotANumber',
        /^m: the query returned NaN/,
      ],
      [
        'a query Prometheus refuses',
        { prometheus: 'sum(' },
        'QueryFailed',
        /^m: Prometheus refused the query \(bad_data\): .*parse error: unclosed left parenthesis$/,
      ],
      [
        'a range vector from an instant query',
        { prometheus: 'override_ratio[5m]' },
        'QueryFailed',
        /^m: the query returns a range vector .*use rangeQuery$/,
      ],
      ['a string', { prometheus: '"text"' }, 'QueryFailed', 'm: the query returns a string, not a number'],
      [
        'a samples query that fails',
        { prometheus: 'review_turnaround_hours', samplesQuery: 'no_such_metric' },
        'NoData',
        /^m: samplesQuery: the query returned no series/,
      ],
    ])('gives %s a clear state', async (_, source, reason, message) => {
      const { readings, unread } = await read([metric('m', source)]);
      expect(readings).toEqual([]);
      expect(unread).toEqual([{ metric: 'm', reason, message: expect.stringMatching(message) }]);
    });
  },
);

describe('docs/surveillance.md', () => {
  it('shows a policy of prometheus sources the schema accepts', () => {
    const doc = readFileSync(new URL('../../../docs/surveillance.md', import.meta.url), 'utf8');
    const example = parse(/```yaml\n([\s\S]*?)```/.exec(doc)![1]!) as { spec: object };
    const r = surveillancePolicySpec.safeParse(example.spec);
    expect(r.error?.issues ?? []).toEqual([]);
    expect(
      r.data!.metrics.map((m) => [m.name, m.source.rangeQuery?.reduce, m.source.samplesQuery !== undefined]),
    ).toEqual([
      ['draft-latency-p95', undefined, false],
      ['override-rate', undefined, true],
      ['cycle-time-hours', 'mean', false],
    ]);
  });
});

describe('a Prometheus that cannot be used', () => {
  const two = [
    metric('first', { prometheus: 'up' }),
    metric('second', { prometheus: 'up', rangeQuery: { window: '1h' } }),
  ];

  it('says so for each metric when no URL is configured anywhere', async () => {
    const { unread } = await readPrometheusMetrics(policy(two), { now: NOW });
    expect(unread.map((u) => [u.metric, u.reason])).toEqual([
      ['first', 'NoPrometheus'],
      ['second', 'NoPrometheus'],
    ]);
    expect(unread[0]!.message).toBe(
      'first: no Prometheus to ask: set spec.prometheusUrl, or start the controller with --prometheus-url',
    );
  });

  it('reports a refused connection as unreachable, and asks it once per round', async () => {
    const port = await freePort();
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const { readings, unread } = await readPrometheusMetrics(policy(two, `http://127.0.0.1:${port}`), {
      now: NOW,
      fetch: counting,
    });
    expect(readings).toEqual([]);
    expect(unread.map((u) => [u.metric, u.reason, u.message])).toEqual([
      [
        'first',
        'PrometheusUnreachable',
        `first: cannot reach Prometheus at http://127.0.0.1:${port}: ECONNREFUSED`,
      ],
      [
        'second',
        'PrometheusUnreachable',
        `second: cannot reach Prometheus at http://127.0.0.1:${port}: ECONNREFUSED`,
      ],
    ]);
    expect(calls).toBe(1);
  });

  describe('a server that never answers', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = createServer(() => {
        // Holds every request open: only the client's timeout ends it.
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    it('gives up after the timeout, with a state that says so', async () => {
      const { unread } = await readPrometheusMetrics(policy(two, url), { now: NOW, timeoutMs: 300 });
      expect(unread.map((u) => [u.metric, u.reason, u.message])).toEqual([
        ['first', 'PrometheusTimeout', `first: Prometheus at ${url} did not answer within 0.3 s`],
        ['second', 'PrometheusTimeout', `second: Prometheus at ${url} did not answer within 0.3 s`],
      ]);
    });
  });

  it('refuses an answer too large to be one value per segment', async () => {
    const huge: typeof fetch = async () =>
      new Response(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [] },
          pad: 'x'.repeat(5 * 1024 * 1024),
        }),
      );
    const { unread } = await readPrometheusMetrics(policy(two, 'http://prometheus.test'), {
      now: NOW,
      fetch: huge,
    });
    expect(unread[0]).toMatchObject({
      reason: 'QueryFailed',
      message: expect.stringMatching(/larger than 4 MB/),
    });
  });

  it('says when the URL is not a Prometheus server', async () => {
    const html: typeof fetch = async () => new Response('<html>sign in</html>', { status: 200 });
    const { unread } = await readPrometheusMetrics(policy(two, 'http://grafana.test'), {
      now: NOW,
      fetch: html,
    });
    expect(unread[0]).toEqual({
      metric: 'first',
      reason: 'PrometheusUnreachable',
      message:
        "first: http://grafana.test answered HTTP 200 without the Prometheus API's JSON; is it the Prometheus server's base URL?",
    });
  });
});

// Whoever may write a SurveillancePolicy in one namespace writes its prometheusUrl: the controller must not
// become their way into the cluster's network (a metadata endpoint, an internal service).
describe("a policy's own prometheusUrl, read by the controller", () => {
  const two = [metric('turnaround', { prometheus: 'review_turnaround_hours' })];
  async function counting() {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return { requests, url, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('is not asked when its host is neither --prometheus-url nor listed', async () => {
    const internal = await counting();
    try {
      const { readings, unread } = await readPrometheusMetrics(policy(two, `${internal.url}/internal`), {
        now: NOW,
        url: 'http://prometheus.monitoring:9090',
        hosts: DataHosts.none(),
      });
      expect(internal.requests).toEqual([]);
      expect(readings).toEqual([]);
      expect(unread).toEqual([
        {
          metric: 'turnaround',
          reason: 'PrometheusNotAllowed',
          message:
            "turnaround: spec.prometheusUrl names host 127.0.0.1, which this controller does not reach: it reads only from a host listed in VIGIL_DATA_HOSTS or the controller's --data-host (none is), or --prometheus-url's http://prometheus.monitoring:9090",
        },
      ]);
    } finally {
      await internal.close();
    }
  });

  it('is asked when it is on --prometheus-url, or on a listed host', async () => {
    const own = await counting();
    try {
      await readPrometheusMetrics(policy(two, `${own.url}/`), {
        now: NOW,
        url: own.url,
        hosts: DataHosts.none(),
      });
      expect(own.requests).toHaveLength(1);
      const port = Number(new URL(own.url).port);
      await readPrometheusMetrics(policy(two, own.url), {
        now: NOW,
        hosts: DataHosts.from({}, [{ host: '127.0.0.1', port }]),
      });
      expect(own.requests).toHaveLength(2);
      expect(own.requests[1]).toMatch(/^\/api\/v1\/query/);
    } finally {
      await own.close();
    }
  });
});
