// What a command run in process writes to stdout and stderr, captured test by test, for the tests of the CLI.
import { afterEach, beforeEach, vi } from 'vitest';

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
