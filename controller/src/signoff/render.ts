// renderCheckRun: the `vigil/sign-off` check run's output, written for the person who signs off or audits: who
// signed which role and when, what is still missing, and every review that did not count and why, and when it
// was evaluated. That time sits on a line of its own that sameCheckRunOutput leaves out, so an unchanged decision
// is not written again: the time shown is when the decision standing was reached.
import { REASON_LABEL, type SignoffResult } from './evaluate.js';

export interface CheckRunContext {
  /** The policy in force, `namespace/name`. */
  policy: string;
  /** Git commit of the policy file in force. */
  policyRevision?: string;
  /** When the decision was made (ISO 8601), shown on the check. */
  evaluatedAt?: string;
}

export interface CheckRunOutput {
  conclusion: 'success' | 'failure';
  title: string;
  /** Markdown. */
  summary: string;
  /** Markdown. */
  text: string;
}

/** GitHub refuses a check run summary or text over 65,535 characters. */
const MAX_OUTPUT = 65_535;
const MAX_IGNORED_ROWS = 200;

export function renderCheckRun(result: SignoffResult, context: CheckRunContext): CheckRunOutput {
  return {
    conclusion: result.conclusion,
    title: title(result),
    summary: limit(summary(result, context)),
    text: limit(text(result, context)),
  };
}

function title(r: SignoffResult): string {
  if (r.breakGlass) {
    const owed = r.breakGlass.retrospectiveRoles.length;
    return `Signed off under break-glass by ${r.breakGlass.by.login}; ${owed} ${owed === 1 ? 'role owes' : 'roles owe'} a retrospective sign-off`;
  }
  if (r.conclusion === 'success') return `Signed off: ${r.summary}`;
  const objections = r.blockers.filter((b) => b.code === 'changes-requested').map((b) => b.login);
  if (objections.length > 0) return `Not signed off: changes requested by ${objections.join(', ')}`;
  if (r.blockers.length > 0 && r.required === 0) return 'Not signed off: sign-off cannot be evaluated';
  return `Not signed off: ${r.summary}`;
}

function summary(r: SignoffResult, c: CheckRunContext): string {
  const lines: string[] = [];
  const on = r.headSha ? ` on commit \`${short(r.headSha)}\`` : '';
  const cls = r.riskClass ? ` for risk class \`${r.riskClass}\`` : '';
  if (r.breakGlass) {
    const bg = r.breakGlass;
    lines.push(
      `**Signed off under break-glass.** This rollback may merge on ${bg.by.login}'s approval as ${bg.role} (${bg.team}), given ${when(bg.by.at)}.`,
    );
    lines.push(
      bg.retrospectiveRoles.length > 0
        ? `Retrospective sign-off is owed by ${bg.retrospectiveRoles.join(', ')} before ${when(bg.retrospectiveDue)}.`
        : 'Every required role has also signed off; no retrospective sign-off is owed.',
    );
  } else if (r.conclusion === 'success') {
    lines.push(`**Signed off.** All ${r.required} roles required${cls} have approved${on}.`);
  } else {
    lines.push(
      `**Not signed off.** ${r.filled} of ${r.required} roles required${cls} have approved${on}. The change cannot merge until every role has signed off and nothing blocks it.`,
    );
  }
  lines.push(`Policy: \`${c.policy}\`${c.policyRevision ? ` at revision \`${c.policyRevision}\`` : ''}.`);

  if (r.blockers.length > 0) {
    lines.push('', '**Blocking:**', '');
    for (const b of r.blockers) lines.push(`- ${cell(b.message)}`);
  }
  if (r.roles.length > 0) {
    lines.push('', '| Role | Team | Signed off by | When | Status |', '| --- | --- | --- | --- | --- |');
    for (const role of r.roles) {
      const by = role.filledBy;
      lines.push(
        by
          ? `| ${cell(role.role)} | ${cell(role.team)} | ${cell(by.login)} (review #${by.reviewId}) | ${when(by.at)} | Signed off on \`${short(by.commit)}\` |`
          : `| ${cell(role.role)} | ${cell(role.team || '-')} | - | - | Missing: ${cell(role.missing?.message ?? 'no valid approval')} |`,
      );
    }
  }
  if (r.notes.length > 0) {
    lines.push('');
    for (const n of r.notes) lines.push(`Note: ${n}`);
  }
  if (r.reevaluateAt) {
    lines.push(
      '',
      `The earliest approval that counts expires ${when(r.reevaluateAt)}; the check is evaluated again then.`,
    );
  }
  if (c.evaluatedAt) lines.push('', evaluatedLine(c.evaluatedAt));
  return lines.join('\n');
}

const EVALUATED = 'Evaluated at ';
const EVALUATED_LINE = /^Evaluated at [^\n]*$/gm;

/**
 * The line that says when the decision was made: `Evaluated at 2026-03-02 14:05:31 UTC ...`. It is evaluated again
 * on every change to the pull request, its reviews or the teams; an unchanged decision keeps its first time.
 */
export function evaluatedLine(at: string): string {
  const ms = Date.parse(at);
  const shown = Number.isNaN(ms)
    ? cell(at)
    : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return `${EVALUATED}${shown}; evaluated again on every change, rewritten when the decision changes.`;
}

/** Whether two outputs say the same, whenever each was evaluated. */
export function sameCheckRunOutput(
  a: { conclusion?: string | null; title?: string | null; summary?: string | null; text?: string | null },
  b: { conclusion?: string | null; title?: string | null; summary?: string | null; text?: string | null },
): boolean {
  const timeless = (s: string | null | undefined) => (s ?? '').replace(EVALUATED_LINE, '');
  return (
    a.conclusion === b.conclusion &&
    a.title === b.title &&
    timeless(a.summary) === timeless(b.summary) &&
    timeless(a.text) === timeless(b.text)
  );
}

function text(r: SignoffResult, c: CheckRunContext): string {
  const lines: string[] = ['### Reviews that did not count', ''];
  if (r.ignored.length === 0) {
    lines.push('None: every submitted review was taken into account.');
  } else {
    lines.push(
      '| Review | Reviewer | State | Submitted | Why it did not count | Details |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const i of r.ignored.slice(0, MAX_IGNORED_ROWS)) {
      const label = REASON_LABEL[i.reason];
      const forRole = i.role ? ` (for ${i.role})` : '';
      lines.push(
        `| #${i.reviewId} | ${cell(i.login)} | ${STATE_LABEL[i.state]} on \`${short(i.commit)}\` | ${i.at ? when(i.at) : '-'} | ${cell(capitalize(label))}${cell(forRole)} | ${cell(i.message)} |`,
      );
    }
    if (r.ignored.length > MAX_IGNORED_ROWS)
      lines.push('', `... and ${r.ignored.length - MAX_IGNORED_ROWS} more.`);
  }
  if (r.rules) {
    const yes = (b: boolean) => (b ? 'yes' : 'no');
    lines.push(
      '',
      '### Rules in force',
      '',
      `Policy \`${c.policy}\`${c.policyRevision ? ` at revision \`${c.policyRevision}\`` : ''}:`,
      '',
      `- A push after an approval invalidates it: ${yes(r.rules.dismissOnPush)}`,
      `- The author cannot sign off: ${yes(r.rules.authorCannotApprove)}`,
      `- Anyone with a commit in the change cannot sign off: ${yes(r.rules.committersCannotApprove)}`,
      `- One person fills at most one role: ${yes(r.rules.separationOfDuties)}`,
      `- Approvals expire after: ${r.rules.approvalExpiry ?? 'never'}`,
      "- Only each person's latest approval or change request counts; a comment changes nothing.",
      '- Changes requested by a member of a required team block until that person approves or someone in a role the policy names for it dismisses the review.',
    );
  }
  return lines.join('\n');
}

const STATE_LABEL: Record<string, string> = {
  APPROVED: 'approved',
  CHANGES_REQUESTED: 'changes requested',
  COMMENTED: 'commented',
  DISMISSED: 'dismissed',
  PENDING: 'pending',
};

const short = (sha: string) => sha.slice(0, 7);
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `2026-03-02 14:05 UTC`: minutes are precise enough for a reader; the record keeps the full time. */
function when(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return cell(iso);
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Keep a value inside its Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function limit(s: string): string {
  if (s.length <= MAX_OUTPUT) return s;
  const marker = '\n\n(truncated)';
  return s.slice(0, MAX_OUTPUT - marker.length) + marker;
}
