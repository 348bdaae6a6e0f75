// `vigil simulate inference-log`: write a realistic inference log for one of the example use cases, from the
// public UCI sample in examples/data/ (metrics/simulate.ts says how; examples/data/README.md lists the columns).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { repositoryRoot } from '../../../../specs/generate.js';
import { loadSample, simulate, writeLog } from '../../metrics/simulate.js';
import { PROFILES, profileOf } from '../../metrics/simulate-profiles.js';
import { InputError, UsageError } from '../terminal.js';

const FORMATS = ['csv', 'parquet'] as const;

interface SimulateFlags {
  useCase: string;
  days: string;
  driftFrom?: string;
  driftStrength: string;
  now?: string;
  seed: string;
  out?: string;
  output?: string;
  sample?: string;
}

/** The UCI sample the project keeps. */
export const defaultSample = (): string =>
  resolve(repositoryRoot(), 'examples', 'data', 'uci-diabetes-130', 'encounters-sample.csv');

export function registerSimulate(program: Command): void {
  const simulateCmd = program.command('simulate').description('Generate example data for trying Vigil.');
  simulateCmd
    .command('inference-log')
    .description(
      'Write a realistic inference log for an example use case, made from the de-identified UCI sample in examples/data/.',
    )
    .requiredOption('--use-case <name>', `the use case: ${PROFILES.map((p) => p.useCase).join(', ')}`)
    .requiredOption('--days <n>', 'days of log, ending at --now')
    .option('--drift-from <day>', 'from this day of the log (0 is its first) the inputs and scores drift')
    .option('--drift-strength <x>', 'how far the drift goes: 1 is the full drift, 0.5 half of it', '1')
    .option('--now <time>', 'the end of the log (ISO 8601, e.g. 2026-06-01T00:00:00Z); default: now')
    .option('--seed <n>', 'the same seed, options and sample give the same log', '1')
    .option(
      '--out <file>',
      "where to write it; default: the file the example policy reads, in this directory's data/",
    )
    .option(
      '-o, --output <format>',
      'csv or parquet; default: from --out, else what the example policy reads',
    )
    .option('--sample <csv>', 'the encounter sample to draw from; default: the UCI sample shipped with Vigil')
    .addHelpText(
      'after',
      [
        '',
        'Use cases:',
        ...PROFILES.map((p) => `  ${p.summary}`),
        '',
        'Each row draws an encounter of the sample; identifiers are generated, so no row names a patient. Outcomes',
        'mature after a delay, so the most recent rows have none yet. Example:',
        '  vigil simulate inference-log --use-case readmission-risk --days 150 --drift-from 136 \\',
        '    --out examples/data/readmission-inference-log.csv',
      ].join('\n'),
    )
    .action(async (opts: SimulateFlags) => {
      const profile = profileOf(opts.useCase);
      if (!profile) {
        throw new UsageError(
          `--use-case must be one of ${PROFILES.map((p) => p.useCase).join(', ')}; got "${opts.useCase}"`,
        );
      }
      const days = wholeNumber('--days', opts.days, 1, 3650);
      const seed = wholeNumber('--seed', opts.seed, 0, 2 ** 31 - 1);
      const driftFrom =
        opts.driftFrom === undefined ? undefined : wholeNumber('--drift-from', opts.driftFrom, 0, days);
      const driftStrength = Number(opts.driftStrength);
      if (!Number.isFinite(driftStrength) || driftStrength < 0 || driftStrength > 5) {
        throw new UsageError(`--drift-strength must be a number from 0 to 5; got "${opts.driftStrength}"`);
      }
      let now = new Date();
      if (opts.now !== undefined) {
        now = new Date(opts.now);
        if (Number.isNaN(now.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(opts.now)) {
          throw new UsageError(
            `--now must be an ISO 8601 time such as 2026-06-01T00:00:00Z; got "${opts.now}"`,
          );
        }
      }
      const out = resolve(opts.out ?? profile.file);
      const format = (opts.output ??
        (/\.parquet$/i.test(out)
          ? 'parquet'
          : /\.csv$/i.test(out)
            ? 'csv'
            : profile.format)) as (typeof FORMATS)[number];
      if (!FORMATS.includes(format)) {
        throw new UsageError(`-o/--output must be one of ${FORMATS.join(', ')}; got "${opts.output}"`);
      }
      const samplePath = resolve(opts.sample ?? defaultSample());
      let sample: Awaited<ReturnType<typeof loadSample>>;
      try {
        sample = await loadSample(samplePath);
      } catch (err) {
        throw new InputError(`${samplePath}: cannot be read as the encounter sample (${firstLine(err)})`);
      }
      const rows = simulate(profile, sample, {
        now,
        days,
        seed,
        ...(driftFrom !== undefined ? { driftFrom, driftStrength } : {}),
      });
      try {
        await writeLog(profile, rows, out, format);
      } catch (err) {
        throw new InputError(`${out}: cannot be written (${firstLine(err)})`);
      }
      process.stdout.write(
        `${out}: ${rows.length} rows of ${profile.useCase}, ${days} days to ${now.toISOString()}` +
          `${driftFrom !== undefined ? `, drifting from day ${driftFrom}` : ''} (${format})\n`,
      );
    });
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}; got "${text}"`);
  }
  return n;
}

const firstLine = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
