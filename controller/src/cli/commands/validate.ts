import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { compareDiagnostics, formatDiagnostic } from '../../diagnostics.js';
import { type BaseComparison, compareContractsWithBase } from '../../validate/contract-base.js';
import { GitHistoryError } from '../../validate/git-history.js';
import {
  MAX_THREADS,
  PARALLEL_FROM,
  STDIN_PATH,
  type ValidationReport,
  validatePaths,
} from '../../validate/index.js';
import { formatData, InputError, palette, parseOutputFormat, UsageError, useColour } from '../terminal.js';

const FORMATS = ['text', 'json', 'yaml'] as const;

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'Validate governance YAML: every document against its kind, then every reference across the set.\n' +
        'Exit status: 0 valid, 1 invalid input, 2 usage error.',
    )
    .argument(
      '[paths...]',
      'files or directories to read, "-" for standard input (default: the current directory)',
    )
    .option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`, 'text')
    .option('--strict', 'treat warnings as errors')
    .option(
      '--base <ref>',
      'compare each DataContract with its version at this git ref: a breaking change without a new major version is an error',
    )
    .option('--mrn-pattern <regex...>', 'extra medical record number patterns the PHI guard refuses')
    .option(
      '--threads <n>',
      `worker threads to check files with: 1 checks them all in this process; "auto" uses one per core for a tree of more than ${PARALLEL_FROM} files`,
      'auto',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  vigil validate examples/\n  vigil validate usecases/readmission.yaml -o json\n' +
        '  git show main:usecases/readmission.yaml | vigil validate -\n' +
        "  vigil validate . --base origin/main        # in the governance repository's CI\n\n" +
        'A directory is read recursively (*.yaml, *.yml); a .vigilignore file in it lists paths to skip.\n' +
        'A file named here that holds no document (empty, or comments only) is an error.',
    )
    .action(async (paths: string[], opts: Options) => {
      const format = parseOutputFormat(opts.output, FORMATS) as (typeof FORMATS)[number];
      const threads = parseThreads(opts.threads);
      const mrnPatterns = (opts.mrnPattern ?? []).map((p) => {
        try {
          return new RegExp(p, 'i');
        } catch (err) {
          throw new UsageError(
            `--mrn-pattern "${p}" is not a valid regular expression: ${(err as Error).message}`,
          );
        }
      });
      const targets = paths.length ? paths : ['.'];
      for (const path of targets)
        if (path !== STDIN_PATH && !existsSync(path))
          throw new UsageError(
            `${path} does not exist; name files or directories of governance YAML, or - for standard input`,
          );
      // The PHI guard is given as options, not as a function, so that worker threads can be given it too.
      const report = await validatePaths(targets, {
        phi: mrnPatterns.length ? { mrnPatterns } : {},
        keepObjects: false,
        threads,
      });
      const base = opts.base !== undefined ? await againstBase(targets, opts.base) : undefined;
      if (base) {
        report.diagnostics = [...report.diagnostics, ...base.diagnostics].sort(compareDiagnostics);
        report.errors += base.diagnostics.length;
      }
      const failed = report.errors > 0 || (opts.strict === true && report.warnings > 0);
      if (format === 'text') printText(report, base);
      else
        process.stdout.write(
          `${formatData({ ...toJson(report), ...(base ? { base: baseJson(base) } : {}) }, format)}\n`,
        );
      process.exitCode = failed ? 1 : 0;
    });
}

/** The contracts under `targets` against `ref`; git's answer when it has none is the person's to fix. */
async function againstBase(targets: string[], ref: string): Promise<BaseComparison> {
  const paths = targets.filter((p) => p !== STDIN_PATH);
  if (paths.length === 0)
    throw new UsageError('--base compares files in a git repository; standard input has no history');
  try {
    return await compareContractsWithBase(paths, ref);
  } catch (error) {
    if (error instanceof GitHistoryError) throw new InputError(`--base ${ref}: ${error.message}`);
    throw error;
  }
}

function baseJson(b: BaseComparison) {
  return { ref: b.ref, commit: b.commit, compared: b.compared, contracts: b.contracts };
}

interface Options {
  output: string;
  strict?: boolean;
  base?: string;
  mrnPattern?: string[];
  threads: string;
}

function parseThreads(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_THREADS)
    throw new UsageError(
      `--threads must be "auto" or a whole number from 1 to ${MAX_THREADS}; got "${value}"`,
    );
  return n;
}

function toJson(r: ValidationReport) {
  return {
    valid: r.errors === 0,
    files: r.files,
    documents: r.documents,
    kinds: r.kinds,
    otherDocuments: r.foreign,
    errors: r.errors,
    warnings: r.warnings,
    diagnostics: r.diagnostics,
  };
}

function printText(r: ValidationReport, base?: BaseComparison): void {
  const c = palette(useColour(process.stdout));
  for (const contract of base?.contracts ?? []) {
    const consumers = contract.consumers.length > 0 ? contract.consumers.join(', ') : 'none listed';
    process.stdout.write(
      `DataContract ${contract.namespace}/${contract.name} ${contract.from} -> ${contract.to}: ${contract.breaking.length} breaking change${contract.breaking.length === 1 ? '' : 's'} against ${base?.ref} (consumers: ${consumers})\n`,
    );
    for (const b of contract.breaking)
      process.stdout.write(`  ${b.file}:${b.line}:${b.col}: ${b.kind}: ${b.message}\n`);
  }
  if (base) {
    process.stdout.write(
      `compared ${base.compared} DataContract${base.compared === 1 ? '' : 's'} with ${base.ref} (${base.commit.slice(0, 7)})\n`,
    );
  }
  for (const d of r.diagnostics) {
    const line = formatDiagnostic(d);
    const coloured = line.replace(
      /: (error|warning): /,
      (_m, sev: string) => `: ${sev === 'error' ? c.red(sev) : c.yellow(sev)}: `,
    );
    process.stdout.write(`${coloured}\n`);
  }
  const kinds = Object.entries(r.kinds)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const counted = `${r.documents} document${r.documents === 1 ? '' : 's'} in ${r.files} file${r.files === 1 ? '' : 's'}`;
  if (r.errors === 0) {
    const warn = r.warnings ? `, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}` : '';
    process.stdout.write(`${c.green('valid')}: ${counted}${kinds ? ` (${kinds})` : ''}${warn}\n`);
  } else {
    process.stdout.write(
      `${c.red('invalid')}: ${r.errors} error${r.errors === 1 ? '' : 's'}, ${r.warnings} warning${r.warnings === 1 ? '' : 's'} in ${counted}\n`,
    );
  }
}
