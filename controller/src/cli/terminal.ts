// How the CLI talks to a person: colour only on a terminal and never with NO_COLOR, and output formats.
import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

export interface Palette {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string) => s;

export function palette(enabled: boolean): Palette {
  if (!enabled) return { red: plain, yellow: plain, green: plain, dim: plain, bold: plain };
  return { red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

/** Render rows as an aligned plain-text table, the way kubectl does. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatData(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value, { lineWidth: 0 }).trimEnd();
}

export function parseOutputFormat(value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) {
    throw new UsageError(`-o/--output must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return value;
}

/** A mistake in how the command was called: exit 2, message only, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command ran but the input is wrong: exit 1, message only, no stack. */
export class InputError extends Error {
  override name = 'InputError';
}
