// Promotion decisions, apart from the I/O: which phase a pull request puts the promotion in, what its sign-off
// status reads, which newer promotion supersedes it, whether a break-glass retrospective is done or overdue,
// and the events a phase change tells.
import type { PromotionPhase, PromotionSpec, PromotionStatus } from '../../../../specs/promotion.js';
import type { PullRequest } from '../../forge/forge.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import type { SignoffResult } from '../../signoff/index.js';

/** Phases nothing moves out of: the pull request is settled. */
export const SETTLED: ReadonlySet<PromotionPhase> = new Set(['Rejected', 'Superseded', 'RolledBack']);

/** The phase a pull request and its sign-off put an opened promotion in. */
export function phaseOf(pr: Pick<PullRequest, 'state' | 'merged'>, signoff?: SignoffResult): PromotionPhase {
  if (pr.merged) return 'Merged';
  if (pr.state === 'closed') return 'Rejected';
  return signoff?.conclusion === 'success' ? 'SignedOff' : 'Open';
}

/** The roles filled, as status.signoffs, and "filled/required". */
export function signoffStatus(result: SignoffResult): Pick<PromotionStatus, 'signoffs' | 'signoffSummary'> {
  const signoffs = result.roles.flatMap((r) =>
    r.filledBy
      ? [
          {
            role: r.role,
            login: r.filledBy.login,
            at: r.filledBy.at,
            reviewId: r.filledBy.reviewId,
            commit: r.filledBy.commit,
          },
        ]
      : [],
  );
  return { signoffs, signoffSummary: `${result.filled}/${result.required}` };
}

export interface PromotionRef {
  name: string;
  spec: PromotionSpec;
  phase?: PromotionPhase;
  createdAt?: string;
  pullRequest?: number;
}

/**
 * The promotion that supersedes `mine`: the newest other promotion of the same use case, stage and type for a
 * different version, created after it, and not itself rejected or superseded. Creation order, not version order:
 * a rollback to an older version is as much the newer decision as a new candidate.
 */
export function supersedingPromotion(
  mine: PromotionRef,
  others: readonly PromotionRef[],
): PromotionRef | undefined {
  const t = (p: PromotionRef) => (p.createdAt ? Date.parse(p.createdAt) : 0);
  const newer = others.filter(
    (o) =>
      o.name !== mine.name &&
      o.spec.useCase === mine.spec.useCase &&
      o.spec.to === mine.spec.to &&
      o.spec.type === mine.spec.type &&
      o.spec.version !== mine.spec.version &&
      o.phase !== 'Rejected' &&
      o.phase !== 'Superseded' &&
      (t(o) > t(mine) || (t(o) === t(mine) && o.name > mine.name)),
  );
  return newer.sort((a, b) => t(b) - t(a) || (a.name < b.name ? 1 : -1))[0];
}

export function supersededComment(by: PromotionRef, namespace: string): string {
  const pr = by.pullRequest ? ` (pull request #${by.pullRequest})` : '';
  return `Superseded by promotion \`${namespace}/${by.name}\`${pr}: ${by.spec.useCase} ${by.spec.version} to ${by.spec.to}. Vigil closed this pull request; the newer candidate carries its own evidence and needs its own sign-off.`;
}

export type Retrospective = { state: 'done'; at: string } | { state: 'owed'; overdue: boolean; due: string };

/** Where a break-glass merge's retrospective sign-off stands: the usual roles' sign-off, due by a time. */
export function retrospective(
  breakGlass: NonNullable<PromotionStatus['breakGlass']>,
  usual: SignoffResult | undefined,
  now: Date,
): Retrospective {
  if (breakGlass.retrospectiveDoneAt) return { state: 'done', at: breakGlass.retrospectiveDoneAt };
  if (usual?.conclusion === 'success') return { state: 'done', at: now.toISOString() };
  return {
    state: 'owed',
    overdue: now.getTime() > Date.parse(breakGlass.retrospectiveDue),
    due: breakGlass.retrospectiveDue,
  };
}

/** A promotion of the use case that merged on break-glass, as the cache shows it. */
export interface BreakGlassMerge {
  name: string;
  pullRequest?: number;
  breakGlass: NonNullable<PromotionStatus['breakGlass']>;
}

/**
 * The break-glass merge whose retrospective sign-off is overdue and not done, the one due first; undefined when
 * none is. While one is, no further promotion of the use case opens a pull request.
 */
export function overdueRetrospective(
  merges: readonly BreakGlassMerge[],
  now: Date,
): BreakGlassMerge | undefined {
  return merges
    .filter((m) => {
      const r = retrospective(m.breakGlass, undefined, now);
      return r.state === 'owed' && r.overdue;
    })
    .sort(
      (a, b) =>
        Date.parse(a.breakGlass.retrospectiveDue) - Date.parse(b.breakGlass.retrospectiveDue) ||
        (a.name < b.name ? -1 : 1),
    )[0];
}

/** Why a promotion waits for a retrospective, in the words the Ready condition uses. */
export function retrospectiveHoldMessage(owed: BreakGlassMerge, useCase: string): string {
  const pr = owed.pullRequest !== undefined ? ` (pull request #${owed.pullRequest})` : '';
  return `the retrospective sign-off of break-glass rollback ${owed.name}${pr}, merged on ${owed.breakGlass.by}'s approval, was due by ${owed.breakGlass.retrospectiveDue} and is not done: no promotion of ${useCase} opens a pull request until the usual roles sign it off`;
}

const READY_REASON: Record<PromotionPhase, string> = {
  Pending: 'Pending',
  Open: 'AwaitingSignoff',
  SignedOff: 'SignedOff',
  Merged: 'Merged',
  Rejected: 'Rejected',
  Superseded: 'Superseded',
  RolledBack: 'RolledBack',
};

/** Ready says the promotion is where its pull request puts it; the phase column says where that is. */
export function readyCondition(phase: PromotionPhase, message: string): ConditionUpdate {
  return { type: 'Ready', status: 'True', reason: READY_REASON[phase], message };
}

/** The event a phase change tells; none when the phase held. */
export function phaseEvent(
  before: PromotionPhase | undefined,
  after: PromotionPhase,
  detail: {
    pr?: { number: number; url: string };
    summary?: string;
    by?: string;
    version: string;
    to: string;
  },
): EventSpec | undefined {
  if (before === after) return undefined;
  const pr = detail.pr ? `pull request #${detail.pr.number}` : 'no pull request';
  switch (after) {
    case 'Open':
      return before === 'SignedOff'
        ? {
            type: 'Warning',
            reason: 'SignoffWithdrawn',
            message: `${pr} is no longer signed off (${detail.summary ?? ''})`,
          }
        : {
            type: 'Normal',
            reason: 'PullRequestOpened',
            message: `opened ${pr} to deploy ${detail.version} to ${detail.to}: ${detail.pr?.url ?? ''}`,
          };
    case 'SignedOff':
      return {
        type: 'Normal',
        reason: 'SignedOff',
        message: `${pr} signed off by every required role (${detail.summary ?? ''})`,
      };
    case 'Merged':
      return {
        type: 'Normal',
        reason: 'Merged',
        message: `${pr} merged: ${detail.to} runs ${detail.version}`,
      };
    case 'Rejected':
      return { type: 'Warning', reason: 'Rejected', message: `${pr} was closed without merging` };
    case 'Superseded':
      return {
        type: 'Normal',
        reason: 'Superseded',
        message: `superseded by ${detail.by ?? 'a newer candidate'}`,
      };
    default:
      return undefined;
  }
}
