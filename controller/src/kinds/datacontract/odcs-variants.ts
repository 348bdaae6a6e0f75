// The ways ODCS lets a document say one thing that Vigil reads in a single form: free-text status, ISO 8601
// durations in service levels, v3.0's inclusive/exclusive bound flags. Each reader returns what Vigil reads and
// whether that is all the document said.
import semver from 'semver';
import { CONTRACT_STATUSES } from '../../../../specs/datacontract.js';

export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

// ODCS leaves status free ("the current status of the data contract"); these are the words published contracts use.
const STATUS_WORDS: Record<ContractStatus, readonly string[]> = {
  proposed: ['proposed', 'proposal', 'pending', 'in review', 'review', 'requested', 'submitted', 'planned'],
  draft: [
    'draft',
    'development',
    'in development',
    'dev',
    'wip',
    'work in progress',
    'test',
    'testing',
    'beta',
  ],
  active: [
    'active',
    'current',
    'production',
    'prod',
    'released',
    'published',
    'live',
    'approved',
    'valid',
    'stable',
  ],
  deprecated: ['deprecated', 'sunset', 'sunsetting', 'superseded'],
  retired: ['retired', 'archived', 'decommissioned', 'obsolete', 'inactive', 'withdrawn', 'end of life'],
};

export interface StatusReading {
  status: ContractStatus;
  /** The document used Vigil's own word. */
  exact: boolean;
  /** The word was not recognised, and Vigil took the safest reading. */
  guessed: boolean;
}

/**
 * Vigil's lifecycle status for an ODCS status. A word Vigil does not know reads as draft: a contract whose status
 * nobody can interpret must not pass for one in production.
 */
export function readStatus(text: string): StatusReading {
  if ((CONTRACT_STATUSES as readonly string[]).includes(text)) {
    return { status: text as ContractStatus, exact: true, guessed: false };
  }
  const word = text
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
  for (const status of CONTRACT_STATUSES) {
    if (STATUS_WORDS[status].includes(word)) return { status, exact: false, guessed: false };
  }
  return { status: 'draft', exact: false, guessed: true };
}

/** A semantic version for an ODCS version, which may be any text ("1.0", "2024-03"); undefined when none fits. */
export function readVersion(text: string): string | undefined {
  if (semver.valid(text)) return text;
  return semver.coerce(text)?.version;
}

// ISO 8601 duration, e.g. P1Y, P3DT12H, PT30M, P2W.
const DURATION =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const PARTS = [
  { unit: 'y', days: 365 },
  { unit: 'mo', days: 30 },
  { unit: 'w', days: 7 },
  { unit: 'd', days: 1 },
  { unit: 'h', days: 1 / 24 },
  { unit: 'm', days: 1 / 1440 },
  { unit: 's', days: 1 / 86400 },
] as const;

export interface DurationReading {
  value: number;
  unit: string;
  /** The duration mixed units (P1Y6M): it is read in its smallest one, taking a year as 365 days, a month 30. */
  approximate: boolean;
}

// A number and a unit in one string, as contracts often write a latency: "500ms", "4d", "1.5 h".
const SHORTHAND = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$/;

/**
 * An ISO 8601 duration (`P1Y` -> 1 y), or a number with its unit in one string (`500ms`), as a number and a
 * unit; undefined when the text is neither.
 */
export function readDuration(text: string): DurationReading | undefined {
  const short = SHORTHAND.exec(text.trim());
  if (short) return { value: Number(short[1]), unit: short[2]!, approximate: false };
  const m = DURATION.exec(text.trim().toUpperCase());
  if (!m || text.trim().toUpperCase() === 'P' || text.trim().toUpperCase().endsWith('T')) return undefined;
  const given = PARTS.map((p, i) => ({
    ...p,
    n: m[i + 1] === undefined ? undefined : Number(m[i + 1]),
  })).filter((p): p is (typeof PARTS)[number] & { n: number } => p.n !== undefined);
  if (given.length === 0) return undefined;
  if (given.length === 1) return { value: given[0]!.n, unit: given[0]!.unit, approximate: false };
  const smallest = given[given.length - 1]!;
  const days = given.reduce((sum, p) => sum + p.n * p.days, 0);
  const value = Math.round((days / smallest.days) * 1e6) / 1e6;
  const exact = given.every((p) => ['w', 'd', 'h', 'm', 's'].includes(p.unit));
  return { value, unit: smallest.unit, approximate: !exact };
}
