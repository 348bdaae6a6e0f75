// What a command run in process writes to stdout and stderr, for the tests of the CLI: captured test by test, or
// for one run of `vigil`.
import { afterEach, beforeEach, vi } from 'vitest';
import { run } from '../../controller/src/cli/main.js';

/** What the running test's command has written so far; a test may empty either to read what comes next. */
export interface CliOutput {
  out: string;
  err: string;
}

/**
 * Capture stdout and stderr in every test of the file (or describe block) that calls this, each test from
 * nothing; afterwards restore them and the exit code a command set.
 */
export function captureOutput(): CliOutput {
  const output: CliOutput = { out: '', err: '' };
  beforeEach(() => {
    output.out = '';
    output.err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      output.out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      output.err += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  return output;
}

/** What a terminal would show of a command, and its exit code. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * `vigil ...args` in process, as main.ts runs it, in `cwd` when given: what a terminal would show and the exit
 * code. Stdout, stderr, the working directory and the exit code are as they were afterwards.
 */
export async function runVigil(args: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  const output = { out: '', err: '' };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    output.out += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    output.err += String(chunk);
    return true;
  });
  const cwd = process.cwd();
  if (options.cwd !== undefined) process.chdir(options.cwd);
  try {
    return { code: await run([process.execPath, 'vigil', ...args]), ...output };
  } finally {
    process.chdir(cwd);
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}
