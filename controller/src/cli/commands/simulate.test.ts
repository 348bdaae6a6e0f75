// `vigil simulate inference-log` as a person types it: a log written where --out says, in the format its
// extension names; a mistake in the flags is one line and exit 2.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../../../../test/support/cli-output.js';
import { withEngine } from '../../data/engine.js';
import { run } from '../main.js';

const output = captureOutput();

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-simulate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vigil = (...args: string[]) => run(['node', 'vigil', 'simulate', 'inference-log', ...args]);

describe('vigil simulate inference-log', () => {
  it('writes the log to --out as Parquet, ending at --now, and says how many rows', async () => {
    const file = path.join(dir, 'prior-auth.parquet');
    const code = await vigil(
      '--use-case',
      'prior-auth-summarization',
      '--days',
      '20',
      '--now',
      '2026-06-01T00:00:00Z',
      '--out',
      file,
    );
    expect(output.err).toBe('');
    expect(code).toBe(0);
    const rows = Number(
      /: (\d+) rows of prior-auth-summarization, 20 days to 2026-06-01T00:00:00.000Z \(parquet\)/.exec(
        output.out,
      )?.[1],
    );
    expect(rows).toBeGreaterThan(100);
    const read = await withEngine(dir, async (engine) => {
      await engine.register('log', 'prior-auth.parquet');
      return engine.query(
        `SELECT count(*) AS n, max(drafted_at) <= TIMESTAMPTZ '2026-06-01T00:00:00Z' AS ended, count(DISTINCT stage) AS stages FROM log`,
      );
    });
    expect(read[0]).toEqual({ n: rows, ended: true, stages: 1 });
  });

  it.each([
    [
      ['--use-case', 'sepsis', '--days', '5'],
      /--use-case must be one of readmission-risk, denials-triage, ambient-documentation, prior-auth-summarization; got "sepsis"/,
    ],
    [
      ['--use-case', 'denials-triage', '--days', '0'],
      /--days must be a whole number from 1 to 3650; got "0"/,
    ],
    [
      ['--use-case', 'denials-triage', '--days', '9', '--drift-from', '10'],
      /--drift-from must be a whole number from 0 to 9; got "10"/,
    ],
    [['--use-case', 'denials-triage', '--days', '9', '--now', 'yesterday'], /--now must be an ISO 8601 time/],
    [
      ['--use-case', 'denials-triage', '--days', '9', '-o', 'xlsx', '--out', path.join(dir, 'x')],
      /-o\/--output must be one of csv, parquet; got "xlsx"/,
    ],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    expect(await vigil(...args)).toBe(2);
    expect(output.err).toMatch(message);
    expect(output.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
  });
});
