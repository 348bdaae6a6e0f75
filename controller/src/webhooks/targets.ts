// What a webhook event asks to re-evaluate: the pull requests it concerns, and the Promotions that carry them.
import type { PromotionStatus } from '../../../specs/promotion.js';
import type { PullRequest } from '../forge/forge.js';
import { type PullLike, toPullRequest } from '../forge/github/index.js';
import { PROMOTIONS, statusOf, USE_CASES } from '../kinds/resources.js';
import { type CacheReader, objectKey } from '../runtime/index.js';

/** A pull request, `org/repo` and number. */
export interface PullRequestRef {
  repository: string;
  number: number;
}

export const HANDLED_EVENTS = [
  'pull_request',
  'pull_request_review',
  'check_run',
  'push',
  'membership',
  'team',
  'organization',
] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];

/**
 * A change to who is in a team: an approval counts only from a member when the decision is made, so every open
 * governed pull request is evaluated again. `team` is the slug; absent when the change may touch every team of
 * the organization (a member removed from it).
 */
export interface MembershipChange {
  organization: string;
  team?: string;
}

/** `team` actions that change who its members are (a deleted team has none; a new parent gains the members). */
const TEAM_ACTIONS = new Set(['created', 'deleted', 'edited']);

/**
 * The `pull_request` actions that can change a sign-off decision: a new or moved head, the end of the pull
 * request, a new base (`edited` with `changes.base`). Labels, review requests, assignees and the like cannot;
 * most of them are Vigil's own writes coming back, and re-evaluating on them would only read again what no
 * event said had changed.
 */
const SIGNOFF_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'closed', 'edited']);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const num = (v: unknown): number | undefined =>
  Number.isInteger(v) && (v as number) > 0 ? (v as number) : undefined;

/**
 * The pull requests an event concerns. Our own check's runs are our writes coming back, except a person asking
 * to run it again (`rerequested`); other checks' runs are passed on, as a promotion may wait on them.
 */
export function targetsOf(event: HandledEvent, payload: Json, checkName: string): PullRequestRef[] {
  const repository = obj(payload.repository)?.full_name;
  if (typeof repository !== 'string' || repository === '') return [];
  const one = (n: unknown) => {
    const number = num(n);
    return number ? [{ repository, number }] : [];
  };
  switch (event) {
    case 'pull_request': {
      const action = payload.action;
      if (typeof action === 'string' && !SIGNOFF_ACTIONS.has(action)) return [];
      if (action === 'edited' && !obj(obj(payload.changes)?.base)) return [];
      return one(payload.number ?? obj(payload.pull_request)?.number);
    }
    case 'pull_request_review':
      return one(obj(payload.pull_request)?.number);
    case 'check_run': {
      const run = obj(payload.check_run);
      if (!run) return [];
      if (run.name === checkName && payload.action !== 'rerequested') return [];
      const prs = Array.isArray(run.pull_requests) ? run.pull_requests : [];
      return prs.flatMap((p) => one(obj(p)?.number));
    }
    // No pull request is named: a push is matched to pull requests by branch, a team change concerns them all.
    case 'push':
    case 'membership':
    case 'team':
    case 'organization':
      return [];
  }
}

/**
 * The team change a `membership`, `team` or `organization` delivery reports; undefined for one that changes no
 * membership (a team given a repository, a member invited, an organization-scoped membership event).
 */
export function membershipChangeOf(event: HandledEvent, payload: Json): MembershipChange | undefined {
  const organization = obj(payload.organization)?.login;
  if (typeof organization !== 'string' || organization === '') return undefined;
  const slug = obj(payload.team)?.slug;
  const team = typeof slug === 'string' && slug !== '' ? { team: slug } : {};
  switch (event) {
    case 'membership':
      return payload.scope === 'team' ? { organization, ...team } : undefined;
    case 'team':
      return typeof payload.action === 'string' && TEAM_ACTIONS.has(payload.action)
        ? { organization, ...team }
        : undefined;
    case 'organization':
      return payload.action === 'member_removed' ? { organization } : undefined;
    default:
      return undefined;
  }
}

/**
 * The pull request a `pull_request` or `pull_request_review` delivery carries, as the forge would report it on
 * a read; undefined when the payload lacks what a sign-off decision needs (head, base, state, author, times).
 */
export function pullRequestInPayload(payload: Json): PullRequest | undefined {
  const p = obj(payload.pull_request);
  const head = obj(p?.head);
  const base = obj(p?.base);
  if (
    !p ||
    !num(p.number) ||
    typeof p.html_url !== 'string' ||
    typeof p.state !== 'string' ||
    typeof p.updated_at !== 'string' ||
    typeof p.created_at !== 'string' ||
    typeof head?.sha !== 'string' ||
    typeof head.ref !== 'string' ||
    typeof base?.sha !== 'string' ||
    typeof base.ref !== 'string' ||
    typeof obj(p.user)?.login !== 'string'
  ) {
    return undefined;
  }
  return toPullRequest({
    ...(p as unknown as PullLike),
    merged_at: typeof p.merged_at === 'string' ? p.merged_at : null,
    closed_at: typeof p.closed_at === 'string' ? p.closed_at : null,
    body: typeof p.body === 'string' ? p.body : null,
    title: typeof p.title === 'string' ? p.title : '',
    labels: Array.isArray(p.labels) ? (p.labels as PullLike['labels']) : [],
  });
}

/**
 * The keys (`namespace/name`) of the Promotions whose pull request is `target`. The repository is the use case's
 * GitOps repository, or failing that the one in the pull request's URL; a Promotion whose repository cannot be
 * told is matched on the number alone (one re-evaluation too many is harmless, one too few is not).
 */
export function promotionKeysFor(cache: CacheReader, target: PullRequestRef): string[] {
  const wanted = target.repository.toLowerCase();
  const keys: string[] = [];
  for (const promotion of cache.list(PROMOTIONS)) {
    const pr = statusOf<PromotionStatus>(promotion)?.pullRequest;
    if (pr?.number !== target.number) continue;
    const namespace = promotion.metadata?.namespace;
    // Only these two fields are needed: an object failing some other rule still names its repository.
    const useCaseName = obj(promotion.spec)?.useCase;
    const useCase =
      typeof useCaseName === 'string' ? cache.get(USE_CASES, namespace, useCaseName) : undefined;
    const declared = obj(obj(useCase?.spec)?.deployment)?.repository;
    const repository = typeof declared === 'string' ? declared : repositoryInUrl(pr.url);
    if (repository === undefined || repository.toLowerCase() === wanted) {
      keys.push(objectKey(namespace, promotion.metadata?.name ?? ''));
    }
  }
  return keys.sort();
}

/** Phases whose pull request still awaits a decision: what the poller watches. */
const AWAITING = new Set(['Pending', 'Open', 'SignedOff']);

/** The pull requests of Promotions still awaiting sign-off or merge, for the poller's `targets`. */
export function openPromotionPullRequests(cache: CacheReader): PullRequestRef[] {
  const refs: PullRequestRef[] = [];
  for (const promotion of cache.list(PROMOTIONS)) {
    const status = statusOf<PromotionStatus>(promotion);
    const pr = status?.pullRequest;
    if (!pr || (status?.phase !== undefined && !AWAITING.has(status.phase))) continue;
    const useCaseName = obj(promotion.spec)?.useCase;
    const useCase =
      typeof useCaseName === 'string'
        ? cache.get(USE_CASES, promotion.metadata?.namespace, useCaseName)
        : undefined;
    const declared = obj(obj(useCase?.spec)?.deployment)?.repository;
    const repository = typeof declared === 'string' ? declared : repositoryInUrl(pr.url);
    if (repository) refs.push({ repository, number: pr.number });
  }
  return refs;
}

/** `org/repo` from a pull request's web URL (`.../org/repo/pull/12`). */
export function repositoryInUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const m = /\/([^/]+)\/([^/]+)\/pulls?\/\d+\/?$/.exec(new URL(url).pathname);
    return m ? `${m[1]}/${m[2]}` : undefined;
  } catch {
    return undefined;
  }
}
