// Whether a pull request may merge, decided from what was observed (no I/O): the head sha guard, conflicts,
// and the protected branch's required checks and approvals, with the status codes and wording GitHub uses.
import type { CheckConclusion, CheckStatus } from './state.js';

export const PROTECTED_BRANCHES_DOC = 'https://docs.github.com/articles/about-protected-branches';
export const RULESETS_DOC =
  'https://docs.github.com/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets';
export const MERGE_DOC = 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request';

export interface ObservedCheck {
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  /** The App that created the run. */
  appId: number;
}

/** A required check by name, optionally pinned to the App that must report it (branch protection's app_id). */
export interface RequiredCheck {
  context: string;
  appId?: number;
}

export interface ObservedStatus {
  context: string;
  state: 'error' | 'failure' | 'pending' | 'success';
}

export interface GateProtection {
  enforcedBy: 'branch-protection' | 'ruleset';
  requiredChecks: RequiredCheck[];
  requiredApprovingReviewCount: number;
}

export interface GateInput {
  open: boolean;
  merged: boolean;
  headSha: string;
  /** The `sha` the merge request insists on, if any. */
  expectedSha?: string;
  conflicts: boolean;
  protection?: GateProtection;
  /** Check runs and commit statuses on the head commit, oldest first (the last of a name is its latest). */
  checks: ObservedCheck[];
  statuses: ObservedStatus[];
  /** Reviewers whose latest review is an approval. */
  approvals: number;
  /** The merging actor may skip the branch's rules (an admin where admins are not held, a bypass actor). */
  bypass?: boolean;
  /** Why the merging actor may not push to the base branch at all (push restrictions), if so. */
  pushRefusal?: string;
}

export type GateDecision =
  | { allowed: true }
  | { allowed: false; status: 405 | 409; message: string; documentationUrl: string };

export type RequiredCheckState = 'passing' | 'expected' | 'pending' | 'failing';

// As on GitHub, a required check passes on success, neutral or skipped: that is why Vigil must never report
// its sign-off check as neutral or skipped when sign-off is missing.
const PASSING: ReadonlySet<string> = new Set(['success', 'neutral', 'skipped']);

/**
 * How one required check stands on the head commit. A check pinned to an App counts only that App's latest
 * run of the name: another App's run, or a commit status anyone with write access can post, never satisfies
 * it. An unpinned check takes the latest run of the name from any App, else the latest commit status.
 */
export function requiredCheckState(
  required: RequiredCheck | string,
  checks: ObservedCheck[],
  statuses: ObservedStatus[],
): RequiredCheckState {
  const { context: name, appId } = typeof required === 'string' ? { context: required } : required;
  const last = <T>(items: T[]) => items[items.length - 1];
  const run = last(checks.filter((c) => c.name === name && (appId === undefined || c.appId === appId)));
  const status = appId === undefined ? last(statuses.filter((s) => s.context === name)) : undefined;
  if (run) {
    if (run.status !== 'completed') return 'pending';
    return run.conclusion && PASSING.has(run.conclusion) ? 'passing' : 'failing';
  }
  if (status) {
    if (status.state === 'success') return 'passing';
    return status.state === 'pending' ? 'pending' : 'failing';
  }
  return 'expected';
}

/** GitHub's sentence for the required checks that are not passing, or undefined when all pass. */
export function requiredChecksMessage(
  required: RequiredCheck[],
  checks: ObservedCheck[],
  statuses: ObservedStatus[],
): string | undefined {
  const states = required.map((r) => ({ name: r.context, state: requiredCheckState(r, checks, statuses) }));
  const blocking = states.filter((s) => s.state !== 'passing');
  if (blocking.length === 0) return undefined;
  const word = (s: RequiredCheckState) =>
    s === 'failing' ? 'failing' : s === 'pending' ? 'in progress' : 'expected';
  if (blocking.length === 1) {
    const only = blocking[0]!;
    return `Required status check "${only.name}" is ${word(only.state)}.`;
  }
  const failing = blocking.filter((s) => s.state === 'failing').length;
  const verb =
    failing > 0 ? 'failing' : blocking.some((s) => s.state === 'expected') ? 'expected' : 'in progress';
  const count = failing > 0 ? failing : blocking.length;
  return `${count} of ${required.length} required status checks are ${verb}.`;
}

export function decideMerge(input: GateInput): GateDecision {
  const refuse = (status: 405 | 409, message: string, documentationUrl = MERGE_DOC): GateDecision => ({
    allowed: false,
    status,
    message,
    documentationUrl,
  });
  if (!input.open || input.merged) return refuse(405, 'Pull Request is not mergeable');
  if (input.expectedSha !== undefined && input.expectedSha !== input.headSha) {
    return refuse(409, 'Head branch was modified. Review and try the merge again.');
  }
  if (input.conflicts) return refuse(405, 'Pull Request is not mergeable');
  const p = input.protection;
  if (!p) return { allowed: true };
  if (input.pushRefusal) return refuse(405, input.pushRefusal, PROTECTED_BRANCHES_DOC);
  if (input.bypass) return { allowed: true };
  const problems: string[] = [];
  if (p.requiredApprovingReviewCount > 0 && input.approvals < p.requiredApprovingReviewCount) {
    const n = p.requiredApprovingReviewCount;
    problems.push(
      `At least ${n} approving review${n === 1 ? ' is' : 's are'} required by reviewers with write access.`,
    );
  }
  const checks = requiredChecksMessage(p.requiredChecks, input.checks, input.statuses);
  if (checks) problems.push(checks);
  if (problems.length === 0) return { allowed: true };
  if (p.enforcedBy === 'ruleset') {
    return refuse(405, `Repository rule violations found\n\n${problems.join('\n\n')}\n\n`, RULESETS_DOC);
  }
  return refuse(405, problems.join('\n'), PROTECTED_BRANCHES_DOC);
}

/** GitHub's mergeable_state: dirty (conflicts), blocked (protection unmet), unstable (a check failing), clean. */
export function mergeableState(input: GateInput): 'dirty' | 'blocked' | 'unstable' | 'clean' {
  if (input.conflicts) return 'dirty';
  const decision = decideMerge({ ...input, expectedSha: undefined, open: true, merged: false });
  if (!decision.allowed) return 'blocked';
  const latest = <T>(items: T[], key: (t: T) => string) => [
    ...new Map(items.map((t) => [key(t), t] as const)).values(),
  ];
  const failing =
    latest(input.checks, (c) => `${c.appId}\0${c.name}`).some(
      (c) => c.status === 'completed' && !PASSING.has(c.conclusion ?? ''),
    ) || latest(input.statuses, (s) => s.context).some((s) => s.state === 'failure' || s.state === 'error');
  return failing ? 'unstable' : 'clean';
}

/** The latest of each name (the highest id wins, as GitHub's `filter=latest`). */
export function latestByName<T extends { id: number }>(items: T[], nameOf: (t: T) => string): T[] {
  const latest = new Map<string, T>();
  for (const item of items) {
    const prev = latest.get(nameOf(item));
    if (!prev || item.id > prev.id) latest.set(nameOf(item), item);
  }
  return [...latest.values()];
}
