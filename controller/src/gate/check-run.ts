// The `vigil/sign-off` check run as the gate wants it, and the write (if any) that gets it there. Pure: the gate
// reads the existing run, these decide, the gate writes. An unchanged decision writes nothing. StandingChecks
// remembers what the gate set on each pull request, so a success it can no longer confirm can be withdrawn.
import type { CheckRun } from '../forge/forge.js';
import { type CheckRunOutput, evaluatedLine, sameCheckRunOutput } from '../signoff/index.js';

export type CheckRunWrite =
  | { kind: 'create' }
  | { kind: 'update'; id: number }
  | { kind: 'unchanged'; id: number };

/**
 * Create when there is no run on the head commit, update only when what it says differs (when it was evaluated
 * aside: an unchanged decision is not written again).
 */
export function checkRunWrite(existing: CheckRun | undefined, desired: CheckRunOutput): CheckRunWrite {
  if (!existing) return { kind: 'create' };
  const same =
    existing.status === 'completed' &&
    existing.output !== undefined &&
    sameCheckRunOutput({ conclusion: existing.conclusion, ...existing.output }, desired);
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

/** The check this gate last set on a pull request's head, and what it concluded. */
export interface StandingCheck {
  headSha: string;
  id: number;
  conclusion: CheckRunOutput['conclusion'];
}

/**
 * The sign-off check last set on each pull request, so that when the gate cannot decide (a read fails, the rate
 * limit stops reads) it can still withdraw a success it no longer stands behind, without reading anything first.
 * Bounded: the oldest pull requests are forgotten first.
 */
export class StandingChecks {
  private readonly byPullRequest = new Map<string, StandingCheck>();

  constructor(private readonly capacity = 1000) {}

  remember(repository: string, number: number, check: StandingCheck): void {
    const key = `${repository.toLowerCase()}#${number}`;
    this.byPullRequest.delete(key);
    this.byPullRequest.set(key, check);
    if (this.byPullRequest.size > this.capacity) {
      const oldest = this.byPullRequest.keys().next().value;
      if (oldest !== undefined) this.byPullRequest.delete(oldest);
    }
  }

  get(repository: string, number: number): StandingCheck | undefined {
    return this.byPullRequest.get(`${repository.toLowerCase()}#${number}`);
  }
}

/**
 * The output that withdraws a sign-off that can no longer be confirmed: `failure`, saying why and since when.
 * Nothing else is known at that moment, so it claims nothing else.
 */
export function withdrawnCheckRun(reason: string, evaluatedAt: Date): CheckRunOutput {
  return notEvaluatedCheckRun(
    {
      conclusion: 'failure',
      title: '',
      summary: `Any sign-off given earlier on this commit no longer counts.\n\n${evaluatedLine(evaluatedAt.toISOString())}`,
      text: '',
    },
    reason,
  );
}
