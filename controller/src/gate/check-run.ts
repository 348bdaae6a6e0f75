// The `vigil/sign-off` check run as the gate wants it, and the write (if any) that gets it there. Pure: the gate
// reads the existing run, these decide, the gate writes. An unchanged decision writes nothing.
import type { CheckRun } from '../forge/forge.js';
import type { CheckRunOutput } from '../signoff/index.js';

export type CheckRunWrite =
  | { kind: 'create' }
  | { kind: 'update'; id: number }
  | { kind: 'unchanged'; id: number };

/** Create when there is no run on the head commit, update only when what it says differs. */
export function checkRunWrite(existing: CheckRun | undefined, desired: CheckRunOutput): CheckRunWrite {
  if (!existing) return { kind: 'create' };
  const same =
    existing.status === 'completed' &&
    existing.conclusion === desired.conclusion &&
    existing.output?.title === desired.title &&
    existing.output.summary === desired.summary &&
    (existing.output.text ?? '') === desired.text;
  return same ? { kind: 'unchanged', id: existing.id } : { kind: 'update', id: existing.id };
}

/**
 * The output when some of what the decision needs could not be read: always `failure`, and it says why first,
 * so nobody mistakes an outage for missing approvals.
 */
export function notEvaluatedCheckRun(rendered: CheckRunOutput, reason: string): CheckRunOutput {
  return {
    conclusion: 'failure',
    title: `Not signed off: ${reason}`,
    summary: `**${capitalize(reason)}.** The check stays failed until the sign-off can be evaluated again.\n\n${rendered.summary}`,
    text: rendered.text,
  };
}

/** `12:04 UTC`, with the date when it is not today (UTC). */
export function clockTime(at: Date, now: Date = new Date()): string {
  const iso = at.toISOString();
  const hhmm = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? hhmm : `${iso.slice(0, 10)} ${hhmm}`;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
