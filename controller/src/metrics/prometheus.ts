// Surveillance readings from Prometheus: each prometheus source of a policy, read over Prometheus's HTTP API
// (/api/v1/query at the evaluation time, or /api/v1/query_range over `rangeQuery.window`, reduced to one value).
//
// The query returns one series, or with `segments` one series per segment value labelled by the segment column
// (a series with none of those labels is the overall value). Whatever cannot be read becomes an unread metric
// with a reason, never an exception: no Prometheus configured, Prometheus unreachable or too slow (every request
// is bounded by a timeout), a query Prometheus refuses, no series, several series where one was expected, NaN or
// an infinite value. A `samplesQuery` gives the number of observations each value rests on, matched series by
// series; without one Prometheus gives no count and the value is judged as read.

import { z } from 'zod';
import { parseDuration } from '../../../specs/common.js';
import type { SurveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import { type DataHosts, urlRefusal } from '../data/data-hosts.js';
import type { MetricReading } from '../kinds/surveillancepolicy/status.js';
import { toTimestamp } from '../runtime/conditions.js';
import type { Shaped, UnreadMetric } from './sources.js';

type Metric = SurveillancePolicySpec['metrics'][number];
type RangeQuery = NonNullable<Metric['source']['rangeQuery']>;

export interface PrometheusReadOptions {
  /** The controller's Prometheus base URL, used where the policy names none. */
  url?: string;
  now: Date;
  /** Each request's bound, also passed to Prometheus as its own query timeout (default 10 s). */
  timeoutMs?: number;
  /** Ends every request at once (the controller shutting down). */
  signal?: AbortSignal;
  /** The HTTP client: Node's fetch by default; tests pass their own. */
  fetch?: typeof fetch;
  /**
   * The controller's list of hosts: a policy's own prometheusUrl is asked only when it is on `url`'s host and port
   * or a listed one, so whoever writes a policy cannot make the controller reach into its cluster's network. The
   * CLI, run by a person on a policy they chose, passes none.
   */
  hosts?: DataHosts;
}

export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 10_000;
/** An answer larger than this is not one value, or one per segment: refused before it fills memory. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** What a reading of one query came to: values by series key ("" overall, else the segment), or why not. */
type Answer = { ok: true; values: Map<string, number> } | { ok: false; failure: Failure };

interface Failure {
  reason: UnreadMetric['reason'];
  message: string;
}

const sample = z.tuple([z.number(), z.string()]);
const labels = z.record(z.string(), z.string());
const apiAnswer = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('string'), result: sample }),
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: labels, value: sample })),
      }),
      z.object({
        resultType: z.literal('matrix'),
        result: z.array(z.object({ metric: labels, values: z.array(sample) })),
      }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);
type Data = Extract<z.infer<typeof apiAnswer>, { status: 'success' }>['data'];

/** Readings of every prometheus source in the policy; other sources are not looked at. */
export async function readPrometheusMetrics(
  spec: SurveillancePolicySpec,
  options: PrometheusReadOptions,
): Promise<Shaped> {
  const out: Shaped = { readings: [], unread: [] };
  const metrics = spec.metrics.filter((m) => m.source.prometheus !== undefined);
  if (metrics.length === 0) return out;
  const base = spec.prometheusUrl ?? options.url;
  const refusal =
    spec.prometheusUrl !== undefined && options.hosts !== undefined
      ? prometheusRefusal(spec.prometheusUrl, options.url, options.hosts)
      : undefined;
  if (refusal !== undefined) {
    for (const m of metrics) {
      out.unread.push({ metric: m.name, reason: 'PrometheusNotAllowed', message: `${m.name}: ${refusal}` });
    }
    return out;
  }
  if (!base) {
    for (const m of metrics) {
      out.unread.push({
        metric: m.name,
        reason: 'NoPrometheus',
        message: `${m.name}: no Prometheus to ask: set spec.prometheusUrl, or start the controller with --prometheus-url`,
      });
    }
    return out;
  }
  const client = new PrometheusClient(base, options);
  const at = toTimestamp(options.now);
  for (const m of metrics) {
    const shaped = await readOne(client, m, options.now, at);
    out.readings.push(...shaped.readings);
    out.unread.push(...shaped.unread);
  }
  return out;
}

/** Why the controller may not ask the policy's own Prometheus: neither --prometheus-url's host nor a listed one. */
function prometheusRefusal(named: string, own: string | undefined, hosts: DataHosts): string | undefined {
  const origin = (u: string) => (URL.canParse(u) ? new URL(u).origin : undefined);
  if (own !== undefined && origin(named) !== undefined && origin(named) === origin(own)) return undefined;
  const refusal = urlRefusal(named, hosts, 'spec.prometheusUrl');
  return refusal && own !== undefined ? `${refusal}, or --prometheus-url's ${origin(own)}` : refusal;
}

async function readOne(client: PrometheusClient, m: Metric, now: Date, at: string): Promise<Shaped> {
  const source = m.source;
  const unread = (failure: Failure, what = ''): Shaped => ({
    readings: [],
    unread: [{ metric: m.name, reason: failure.reason, message: `${m.name}: ${what}${failure.message}` }],
  });
  const value = source.rangeQuery
    ? shapeAnswer(await client.range(source.prometheus!, now, source.rangeQuery), m, source.rangeQuery)
    : shapeAnswer(await client.instant(source.prometheus!, now), m);
  if (!value.ok) return unread(value.failure);
  let samples: Map<string, number> | undefined;
  if (source.samplesQuery !== undefined) {
    const counted = shapeAnswer(await client.instant(source.samplesQuery, now), m);
    if (!counted.ok) return unread(counted.failure, 'samplesQuery: ');
    samples = counted.values;
  }
  const out: Shaped = { readings: [], unread: [] };
  for (const [key, v] of [...value.values].sort(([a], [b]) => a.localeCompare(b))) {
    const segment = key === '' ? undefined : key;
    const where = { metric: m.name, ...(segment !== undefined ? { segment } : {}) };
    const label = segment === undefined ? m.name : `${m.name} (${segment})`;
    if (!Number.isFinite(v)) {
      out.unread.push({
        ...where,
        reason: 'NotANumber',
        message: `${label}: the query returned ${v}${Number.isNaN(v) ? ', as a ratio of 0 to 0 does when nothing was counted in the window' : ''}`,
      });
      continue;
    }
    const reading: MetricReading = { ...where, value: v, at };
    if (samples) {
      const n = samples.get(key);
      if (n === undefined || !Number.isFinite(n)) {
        out.unread.push({
          ...where,
          reason: 'NoData',
          message: `${label}: the samplesQuery gave ${n === undefined ? 'no series' : String(n)} for it, so the value cannot be judged against minSamples`,
        });
        continue;
      }
      reading.samples = Math.max(0, Math.round(n));
    }
    out.readings.push(reading);
  }
  return out;
}

/**
 * One value per series key from an answer: "" for a series with none of the metric's segment labels (all of
 * them, when the metric has no segments), `column=value` for a series labelled with one segment column.
 */
function shapeAnswer(
  answer: { ok: true; data: Data } | { ok: false; failure: Failure },
  m: Metric,
  range?: RangeQuery,
): Answer {
  if (!answer.ok) return answer;
  const data = answer.data;
  if (data.resultType === 'string') {
    return fail('QueryFailed', 'the query returns a string, not a number');
  }
  if (data.resultType === 'scalar') return { ok: true, values: new Map([['', number(data.result[1])]]) };
  if (data.resultType === 'matrix' && !range) {
    return fail(
      'QueryFailed',
      'the query returns a range vector (a selector such as x[5m]); wrap it in a function such as rate() or avg_over_time(), or use rangeQuery',
    );
  }
  const series =
    data.resultType === 'vector'
      ? data.result.map((s) => ({ metric: s.metric, value: number(s.value[1]) }))
      : data.result.map((s) => ({ metric: s.metric, value: reduce(s.values, range!.reduce) }));
  if (series.length === 0) {
    return fail(
      'NoData',
      'the query returned no series: nothing matched in Prometheus at the evaluation time',
    );
  }
  const values = new Map<string, number>();
  for (const s of series) {
    const own = m.segments.filter((c) => s.metric[c] !== undefined);
    if (own.length > 1) {
      return fail(
        'AmbiguousResult',
        `a series is labelled with several segment columns (${own.join(', ')}); each series must carry one`,
      );
    }
    const key = own.length === 0 ? '' : `${own[0]}=${s.metric[own[0]!]}`;
    if (values.has(key)) {
      return fail(
        'AmbiguousResult',
        `the query returned ${series.length} series (${series
          .slice(0, 3)
          .map((x) => selector(x.metric))
          .join(
            ', ',
          )}${series.length > 3 ? ', ...' : ''}) where one ${key === '' ? 'was expected' : `per ${key.split('=')[0]} value was expected`}; aggregate it, e.g. sum(...)${m.segments.length > 0 ? ` by (${m.segments.join(', ')})` : ''}`,
      );
    }
    values.set(key, s.value);
  }
  return { ok: true, values };
}

const fail = (reason: UnreadMetric['reason'], message: string): Answer => ({
  ok: false,
  failure: { reason, message },
});

/** Prometheus writes sample values as text: "0.93", "NaN", "+Inf". */
const number = (text: string): number =>
  Number(text === '+Inf' ? 'Infinity' : text === '-Inf' ? '-Infinity' : text);

/** A range's points as one value, NaN points left out; NaN when none is left. */
function reduce(points: readonly (readonly [number, string])[], how: RangeQuery['reduce']): number {
  const xs = points.map((p) => number(p[1])).filter((x) => !Number.isNaN(x));
  if (xs.length === 0) return Number.NaN;
  switch (how) {
    case 'min':
      return Math.min(...xs);
    case 'max':
      return Math.max(...xs);
    case 'last':
      return xs[xs.length - 1]!;
    default:
      return xs.reduce((a, b) => a + b, 0) / xs.length;
  }
}

/** `{job="api", payer="medicaid"}`, as Prometheus prints a series. */
const selector = (metric: Record<string, string>): string =>
  `{${Object.entries(metric)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;

/** Prometheus's query API at one base URL, every request bounded; a server that failed once is not asked again. */
class PrometheusClient {
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private down: Failure | undefined;

  constructor(
    private readonly base: string,
    private readonly options: PrometheusReadOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  instant(query: string, now: Date) {
    return this.ask('query', { query, time: seconds(now) });
  }

  range(query: string, now: Date, range: RangeQuery) {
    const window = parseDuration(range.window) ?? 0;
    const start = new Date(now.getTime() - window * 1000);
    return this.ask('query_range', {
      query,
      start: seconds(start),
      end: seconds(now),
      step: `${parseDuration(range.step) ?? 300}s`,
    });
  }

  private async ask(
    endpoint: 'query' | 'query_range',
    params: Record<string, string>,
  ): Promise<{ ok: true; data: Data } | { ok: false; failure: Failure }> {
    if (this.down) return { ok: false, failure: this.down };
    const where = this.base.replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(`${where}/api/v1/${endpoint}`);
    } catch {
      return this.serverFailure('QueryFailed', `the Prometheus URL "${this.base}" is not a URL`);
    }
    const signals = [AbortSignal.timeout(this.timeoutMs)];
    if (this.options.signal) signals.push(this.options.signal);
    const body = new URLSearchParams({
      ...params,
      timeout: `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s`,
    });
    let response: Response;
    let text: string;
    try {
      // POST: a long query does not fit in a URL; Prometheus takes the same parameters as a form.
      response = await this.fetch(url, { method: 'POST', body, signal: AbortSignal.any(signals) });
      text = await boundedText(response);
    } catch (err) {
      if (this.options.signal?.aborted) throw err;
      if (err instanceof AnswerTooLarge) {
        return { ok: false, failure: { reason: 'QueryFailed', message: err.message } };
      }
      if (isTimeout(err)) {
        return this.serverFailure(
          'PrometheusTimeout',
          `Prometheus at ${where} did not answer within ${this.timeoutMs / 1000} s`,
        );
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return this.serverFailure(
        'PrometheusUnreachable',
        `cannot reach Prometheus at ${where}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.serverFailure(
        'PrometheusUnreachable',
        `${where} answered HTTP ${response.status} without the Prometheus API's JSON; is it the Prometheus server's base URL?`,
      );
    }
    const parsed = apiAnswer.safeParse(json);
    if (!parsed.success) {
      return this.serverFailure(
        'PrometheusUnreachable',
        `${where} answered HTTP ${response.status} with JSON that is not a Prometheus query result`,
      );
    }
    const answer = parsed.data;
    if (answer.status === 'error') {
      const what = answer.error ?? `HTTP ${response.status}`;
      if (answer.errorType === 'timeout' || answer.errorType === 'canceled') {
        return {
          ok: false,
          failure: { reason: 'PrometheusTimeout', message: `Prometheus gave up on the query: ${what}` },
        };
      }
      return {
        ok: false,
        failure: {
          reason: 'QueryFailed',
          message: `Prometheus refused the query (${answer.errorType ?? 'error'}): ${what}`,
        },
      };
    }
    return { ok: true, data: answer.data };
  }

  private serverFailure(reason: UnreadMetric['reason'], message: string) {
    // Prometheus itself could not be used: every other query to it this round would fail the same way.
    this.down = { reason, message };
    return { ok: false as const, failure: this.down };
  }
}

class AnswerTooLarge extends Error {}

/** The body as text, refused past MAX_ANSWER_BYTES. */
async function boundedText(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  const tooLarge = () =>
    new AnswerTooLarge(
      `the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MB; a metric is one series, or one per segment: aggregate the query`,
    );
  if (declared > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isTimeout = (err: unknown): boolean =>
  err instanceof Error &&
  (err.name === 'TimeoutError' || (err.cause as Error | undefined)?.name === 'TimeoutError');

/** Prometheus takes times as Unix seconds. */
const seconds = (d: Date): string => String(d.getTime() / 1000);
