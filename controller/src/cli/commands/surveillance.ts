// `vigil surveillance evaluate`: evaluate a SurveillancePolicy once, offline, over an inference log, with the code
// the controller runs on each interval (readMetrics, then decideSurveillanceStatus). For CI, for a cron job, and
// for trying a policy before it is applied. Exit 1 when a rollback tier is reached.
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  type SurveillancePolicySpec,
  type SurveillancePolicyStatus,
  surveillancePolicySpec,
} from '../../../../specs/surveillancepolicy.js';
import { DataSourceError } from '../../data/errors.js';
import { formatDiagnostic } from '../../diagnostics.js';
import { decideSurveillanceStatus } from '../../kinds/surveillancepolicy/status.js';
import { type MetricReadings, readMetrics } from '../../metrics/inference-log.js';
import { validateDocument } from '../../validate/document.js';
import { loadYamlSource } from '../../yaml/index.js';
import { formatData, formatTable, InputError, parseOutputFormat, UsageError } from '../terminal.js';
import { prometheusUrlOption } from './controller.js';

const FORMATS = ['table', 'json', 'yaml'] as const;
// A policy is a few kilobytes; refusing more keeps a wrong path (the log itself) from filling memory.
const MAX_POLICY_BYTES = 1024 * 1024;

interface EvaluateFlags {
  log: string;
  now?: string;
  modelVersion?: string;
  prometheusUrl?: string;
  output: string;
}

export interface Evaluation {
  policy: string;
  evaluatedAt: string;
  worstTier: string;
  metrics: NonNullable<SurveillancePolicyStatus['metrics']>;
  unread: MetricReadings['unread'];
}

export function registerSurveillance(program: Command): void {
  const surveillance = program.command('surveillance').description('Post-market surveillance policies.');
  surveillance
    .command('evaluate')
    .description('Evaluate a SurveillancePolicy once over an inference log, as the controller would.')
    .argument('<policy>', 'the SurveillancePolicy YAML, e.g. readmission-surveillance.yaml')
    .requiredOption(
      '--log <file|url>',
      "the inference log (CSV, Parquet or JSON), in place of the policy's own",
    )
    .option('--now <time>', 'evaluate as at this time (ISO 8601, e.g. 2026-06-01T00:00:00Z); default: now')
    .option('--model-version <version>', "read only this version's rows; default: every version")
    .option(
      '--prometheus-url <url>',
      "Prometheus HTTP API base URL for prometheus sources, where the policy's spec.prometheusUrl names none",
    )
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .addHelpText(
      'after',
      [
        '',
        'The log keeps the columns the policy names (inferenceLog.timestampColumn, versionColumn); a URL is',
        'downloaded to a temporary file first. Prometheus sources are asked at spec.prometheusUrl, else at',
        '--prometheus-url, as the controller asks them. Nothing is written to a cluster or a forge.',
        '',
        'Exit status: 0 evaluated, no rollback tier reached; 1 a rollback tier is reached, or the policy or the log',
        'cannot be read; 2 usage error.',
        '',
        'Example:',
        '  vigil surveillance evaluate readmission-surveillance.yaml --log readmission-inference-log.csv \\',
        '    --now 2026-06-01T00:00:00Z -o json',
      ].join('\n'),
    )
    .action(async (file: string, opts: EvaluateFlags) => {
      const format = parseOutputFormat(opts.output, FORMATS) as (typeof FORMATS)[number];
      const now = parseNow(opts.now);
      const prometheusUrl = opts.prometheusUrl ? prometheusUrlOption(opts.prometheusUrl) : undefined;
      const policy = await readPolicy(file, opts.log);
      const evaluation = await withLog(opts.log, (baseDir, uri) =>
        evaluate(
          policy.name,
          { ...policy.spec, inferenceLog: { ...policy.spec.inferenceLog!, uri } },
          {
            baseDir,
            now,
            ...(opts.modelVersion !== undefined ? { version: opts.modelVersion } : {}),
            ...(prometheusUrl !== undefined ? { prometheus: { url: prometheusUrl } } : {}),
          },
        ),
      );
      process.stdout.write(`${format === 'table' ? table(evaluation) : formatData(evaluation, format)}\n`);
      if (evaluation.worstTier === 'rollback') process.exitCode = 1;
    });
}

function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)
    ? new Date(text)
    : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    throw new UsageError(`--now must be an ISO 8601 time such as 2026-06-01T00:00:00Z; got "${text}"`);
  }
  return at;
}

/** The policy, checked as `vigil validate` checks it; an inferenceLog it lacks is the log given. */
async function readPolicy(
  file: string,
  log: string,
): Promise<{ name: string; spec: SurveillancePolicySpec }> {
  let text: Buffer;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_POLICY_BYTES) {
      throw new InputError(
        `${file}: ${size} bytes; a policy is at most ${MAX_POLICY_BYTES} (is this the log?)`,
      );
    }
    text = await readFile(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const loaded = loadYamlSource(text, file, { single: true });
  const fail = (lines: string[], count: number) => {
    for (const line of lines) process.stderr.write(`${line}\n`);
    throw new InputError(`${file}: not evaluated (${count} error${count === 1 ? '' : 's'})`);
  };
  const loadErrors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (loadErrors.length > 0 || !loaded.documents[0])
    fail(loadErrors.map(formatDiagnostic), loadErrors.length || 1);
  const doc = loaded.documents[0]!;
  const value = doc.value as { kind?: unknown; spec?: Record<string, unknown> } | null;
  if (value?.kind !== 'SurveillancePolicy') {
    throw new InputError(`${file}: expected a SurveillancePolicy; found ${String(value?.kind ?? 'no kind')}`);
  }
  if (value.spec && typeof value.spec === 'object' && value.spec.inferenceLog === undefined) {
    value.spec.inferenceLog = { uri: log };
  }
  const result = validateDocument(doc);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (result.outcome !== 'valid' || errors.length > 0) fail(errors.map(formatDiagnostic), errors.length);
  if (result.outcome !== 'valid') throw new Error('unreachable');
  return { name: result.object.name, spec: surveillancePolicySpec.parse(result.object.object.spec) };
}

/** Run `work` with the log as a directory and a name in it; a URL is downloaded to a temporary directory first. */
async function withLog<T>(log: string, work: (baseDir: string, uri: string) => Promise<T>): Promise<T> {
  if (!/^https?:\/\//i.test(log)) {
    const absolute = path.resolve(log);
    return work(path.dirname(absolute), path.basename(absolute));
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-log-'));
  try {
    const url = new URL(log);
    const response = await fetch(url).catch((err: unknown) => {
      throw new InputError(`${url.origin}${url.pathname}: cannot be fetched (${(err as Error).message})`);
    });
    if (!response.ok || !response.body) {
      throw new InputError(`${url.origin}${url.pathname}: the server answered ${response.status}`);
    }
    // The name keeps the extension, which says the format when the policy does not.
    const name = path.basename(url.pathname) || 'inference-log';
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(path.join(dir, name)));
    return await work(dir, name);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One evaluation, as the controller makes it on an interval, without a previous status. */
export async function evaluate(
  name: string,
  spec: SurveillancePolicySpec,
  options: { baseDir: string; now: Date; version?: string; prometheus?: { url: string } },
): Promise<Evaluation> {
  let read: MetricReadings;
  try {
    read = await readMetrics(spec, options);
  } catch (err) {
    if (err instanceof DataSourceError) throw new InputError(err.message);
    throw err;
  }
  const decision = decideSurveillanceStatus(spec, read.readings, undefined, options.now);
  return {
    policy: name,
    evaluatedAt: options.now.toISOString(),
    worstTier: decision.status.worstTier ?? 'none',
    metrics: decision.status.metrics ?? [],
    unread: read.unread,
  };
}

const show = (n: number | undefined) => (n === undefined ? '' : String(Number(n.toPrecision(6))));

function table(e: Evaluation): string {
  const rows = e.metrics.map((m) => [
    m.name,
    m.segment ?? '',
    show(m.value),
    show(m.baseline),
    m.baselineSamples !== undefined ? `${m.samples} / ${m.baselineSamples}` : String(m.samples ?? ''),
    m.excluded
      ? String(m.excluded.missing + m.excluded.nan + m.excluded.outOfRange + m.excluded.unlabelled)
      : '',
    show(m.degradation),
    m.degradation === undefined ? 'insufficient data' : (m.tier ?? ''),
  ]);
  const lines = [
    formatTable(
      ['METRIC', 'SEGMENT', 'VALUE', 'BASELINE', 'SAMPLES', 'EXCLUDED', 'DEGRADATION', 'TIER'],
      rows,
    ),
  ];
  for (const u of e.unread) lines.push(`not read: ${u.message}`);
  lines.push(`${e.policy} at ${e.evaluatedAt}: worst tier ${e.worstTier}`);
  return lines.join('\n');
}
