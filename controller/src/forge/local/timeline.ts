// A pull request's timeline as GitHub's issue timeline API returns it: what happened, in the order it happened,
// and who did it (who dismissed a review, who force-pushed the head branch, who closed, reopened or merged).
// Events are recorded as they happen by the routes that cause them; commits and reviews are shown as they are
// now (a review dismissed later reads "dismissed", a commit force-pushed away leaves the timeline).
import type { Forge } from './forge.js';
import { iso, nodeId } from './representations.js';
import { listReply, type Route } from './routes.js';
import type { ForgeState, IssueRecord, RepoRecord, ReviewRecord } from './state.js';

type Json = Record<string, unknown>;

/** The issue events the forge records (GitHub's names). */
export type TimelineEventName =
  | 'closed'
  | 'reopened'
  | 'merged'
  | 'head_ref_force_pushed'
  | 'review_requested'
  | 'review_request_removed'
  | 'review_dismissed';

export interface TimelineEventInput {
  event: TimelineEventName;
  actor: string;
  /** The commit the event concerns (the merge commit of `merged`). */
  commitId?: string | null;
  requestedReviewer?: string;
  requestedTeam?: string;
  /** For review_dismissed: the review as it was before dismissal, and why. */
  dismissed?: { review: ReviewRecord; message: string | null; commitId?: string };
}

type Entry =
  | {
      kind: 'event';
      id: number;
      at: number;
      input: TimelineEventInput;
      /** The dismissed review's state before dismissal ("changes_requested", "approved"). */
      dismissedState?: string;
    }
  | { kind: 'reviewed'; id: number; at: number; reviewId: number }
  | { kind: 'committed'; id: number; at: number; sha: string };

const logs = new WeakMap<IssueRecord, Entry[]>();

function log(issue: IssueRecord): Entry[] {
  let entries = logs.get(issue);
  if (!entries) {
    entries = [];
    logs.set(issue, entries);
  }
  return entries;
}

/** Record an event on a pull request's (or issue's) timeline, now. */
export function recordEvent(state: ForgeState, issue: IssueRecord, input: TimelineEventInput): void {
  log(issue).push({
    kind: 'event',
    id: state.newId(),
    at: state.nowSeconds(),
    input,
    ...(input.dismissed ? { dismissedState: input.dismissed.review.state.toLowerCase() } : {}),
  });
}

export function recordReviewed(state: ForgeState, issue: IssueRecord, review: ReviewRecord): void {
  log(issue).push({ kind: 'reviewed', id: review.id, at: state.nowSeconds(), reviewId: review.id });
}

/** Commits that joined the pull request now (a push to its head); those present when it opened need no record. */
export function recordCommitted(state: ForgeState, issue: IssueRecord, shas: string[]): void {
  const entries = log(issue);
  const known = new Set(entries.flatMap((e) => (e.kind === 'committed' ? [e.sha] : [])));
  for (const sha of shas) {
    if (!known.has(sha)) entries.push({ kind: 'committed', id: state.newId(), at: state.nowSeconds(), sha });
  }
}

export function timelineRoutes(forge: Forge): Route[] {
  const { rep } = forge;

  const eventJson = (repo: RepoRecord, e: Extract<Entry, { kind: 'event' }>): Json => {
    const { input } = e;
    const commitId = input.commitId ?? null;
    const json: Json = {
      id: e.id,
      node_id: nodeId('IssueEvent', e.id),
      url: `${rep.base}/repos/${repo.fullName}/issues/events/${e.id}`,
      actor: rep.user(input.actor),
      event: input.event,
      commit_id: commitId,
      commit_url: commitId ? `${rep.base}/repos/${repo.fullName}/commits/${commitId}` : null,
      created_at: iso(e.at),
      performed_via_github_app: null,
    };
    if (input.event === 'closed' || input.event === 'reopened') json.state_reason = null;
    if (input.event === 'review_requested' || input.event === 'review_request_removed') {
      json.review_requester = rep.user(input.actor);
      if (input.requestedReviewer) json.requested_reviewer = rep.user(input.requestedReviewer);
      const team = input.requestedTeam
        ? forge.state.orgs.get(repo.owner)?.teams.get(input.requestedTeam)
        : undefined;
      if (team) json.requested_team = rep.team(team);
    }
    if (input.dismissed) {
      json.dismissed_review = {
        state: e.dismissedState,
        review_id: input.dismissed.review.id,
        dismissal_message: input.dismissed.message,
        ...(input.dismissed.commitId ? { dismissal_commit_id: input.dismissed.commitId } : {}),
      };
    }
    return json;
  };

  return [
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/issues/{issue_number}/timeline',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const issue = forge.issue(repo, ctx.params.issue_number);
        const entries = logs.get(issue) ?? [];
        const items: Json[] = [];
        if (issue.pull) {
          const base = await forge.baseSha(repo, issue);
          const commits = await repo.git.commitsBetween(base, issue.pull.headSha);
          const recorded = new Set(entries.flatMap((e) => (e.kind === 'committed' ? [e.sha] : [])));
          const bySha = new Map(commits.map((c) => [c.sha, c]));
          const committed = (sha: string) => {
            const c = bySha.get(sha);
            return c ? [{ ...rep.gitCommit(repo, c), event: 'committed' }] : [];
          };
          // Commits the pull request opened with come first; later ones where their push put them.
          for (const c of commits) if (!recorded.has(c.sha)) items.push(...committed(c.sha));
          for (const e of entries) {
            if (e.kind === 'committed') items.push(...committed(e.sha));
            else if (e.kind === 'event') items.push(eventJson(repo, e));
            else {
              const review = issue.pull.reviews.find((r) => r.id === e.reviewId);
              if (review) {
                const json = rep.review(repo, issue, review);
                items.push({ ...json, event: 'reviewed', state: review.state.toLowerCase() });
              }
            }
          }
        } else {
          for (const e of entries) if (e.kind === 'event') items.push(eventJson(repo, e));
        }
        return listReply(items, ctx.url);
      },
    },
  ];
}
