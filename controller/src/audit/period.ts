// The audit period as a person types it: calendar dates (or full RFC 3339 times), inclusive at both ends, in UTC.
// Parsing returns data, so the CLI decides what a bad date means (a usage error) and the report stays pure.

export interface AuditPeriod {
  /** First instant covered, RFC 3339; absent means "from the beginning of the record". */
  from?: string;
  /** Last instant covered, RFC 3339; absent means "up to when the report was made". */
  to?: string;
}

export type PeriodResult = { period: AuditPeriod } | { error: string };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** One bound: a date covers its whole UTC day, so `--to 2026-03-31` includes the 31st. */
function parseBound(flag: string, value: string, end: boolean): { at: string } | { error: string } {
  let ms: number;
  if (DATE.test(value)) {
    ms = Date.parse(`${value}T00:00:00.000Z`);
    // Date.parse rolls 2026-02-30 over to March; a date that does not round-trip does not exist.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      return { error: `${flag} must be a calendar date such as 2026-03-01; got "${value}" (no such day)` };
    }
    if (end) ms += 24 * 60 * 60 * 1000 - 1;
  } else if (DATE_TIME.test(value)) {
    ms = Date.parse(value);
    if (Number.isNaN(ms)) return { error: `${flag} is not a valid time; got "${value}"` };
  } else {
    return {
      error: `${flag} must be a date (YYYY-MM-DD) or an RFC 3339 time (2026-03-01T09:00:00Z); got "${value}"`,
    };
  }
  return { at: new Date(ms).toISOString() };
}

export function parsePeriod(from: string | undefined, to: string | undefined): PeriodResult {
  const period: AuditPeriod = {};
  if (from !== undefined) {
    const b = parseBound('--from', from, false);
    if ('error' in b) return b;
    period.from = b.at;
  }
  if (to !== undefined) {
    const b = parseBound('--to', to, true);
    if ('error' in b) return b;
    period.to = b.at;
  }
  if (period.from && period.to && Date.parse(period.from) > Date.parse(period.to)) {
    return { error: `--from (${from}) is after --to (${to}); the period would be empty` };
  }
  return { period };
}

/** Whether an instant lies in the period (both ends inclusive). */
export function inPeriod(period: AuditPeriod, at: string | undefined): boolean {
  if (!at) return false;
  const t = Date.parse(at);
  if (Number.isNaN(t)) return false;
  if (period.from && t < Date.parse(period.from)) return false;
  if (period.to && t > Date.parse(period.to)) return false;
  return true;
}

/** Whether a span of activity [start, end] touches the period: an open promotion counts in every period it spans. */
export function overlapsPeriod(
  period: AuditPeriod,
  start: string | undefined,
  end: string | undefined,
): boolean {
  const s = start ? Date.parse(start) : Number.NEGATIVE_INFINITY;
  const e = end ? Date.parse(end) : Number.POSITIVE_INFINITY;
  if (period.to && s > Date.parse(period.to)) return false;
  if (period.from && e < Date.parse(period.from)) return false;
  return true;
}
