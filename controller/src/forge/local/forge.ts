// The forge's domain operations that the route modules share: finding a repository or pull request the way
// GitHub does (404 when the user cannot see it), what a push to a branch sets off, a pull request's merge
// state, and webhook events with the fields every payload carries.
import { forbidden, notFound } from './errors.js';
import { type GateInput, latestByName, mergeableState, type ObservedCheck } from './merge-gate.js';
import {
  actorFacts,
  branchUpdateError,
  branchUpdateRefusals,
  bypassesRules,
  pushRefusal,
} from './protection.js';
import { refUpdated } from './push-events.js';
import type { Representations } from './representations.js';
import type { RequestContext } from './routes.js';
import type { RepoRole } from './seed.js';
import type { ForgeState, IssueRecord, PullRecord, RepoRecord, UserRecord } from './state.js';
import { recordEvent } from './timeline.js';
import type { WebhookDispatcher } from './webhooks.js';

type Json = Record<string, unknown>;

export class Forge {
  constructor(
    readonly state: ForgeState,
    readonly rep: Representations,
    readonly hooks: WebhookDispatcher,
  ) {}

  /** The repository named in the path; 404 for one that does not exist or that the user cannot see. */
  repo(ctx: RequestContext): RepoRecord {
    const r = this.state.repo(ctx.params.owner ?? '', ctx.params.repo ?? '');
    if (!r) throw notFound();
    if (r.private && !this.state.can(r, ctx.user, 'read')) throw notFound();
    return r;
  }

  /** Refuse (403, GitHub's wording) a user whose role, or an App whose permissions, fall short of `needed`. */
  requireRole(repo: RepoRecord, user: UserRecord, needed: RepoRole): void {
    if (this.state.can(repo, user, needed)) return;
    throw forbidden(
      user.app
        ? 'Resource not accessible by integration'
        : 'Resource not accessible by personal access token',
    );
  }

  /** Check runs on a commit as the merge gate reads them, oldest first. */
  observedChecks(repo: RepoRecord, sha: string | undefined): ObservedCheck[] {
    return repo.checkRuns.filter((c) => c.headSha === sha);
  }

  /**
   * Refuse a direct update of a branch (not a pull request merge) that the actor may not push to, or that
   * its protection forbids: no pull request, a force push, required checks not passing on the new tip.
   * `after` is undefined for a commit the forge is about to make (it has no checks yet).
   */
  async refuseBranchUpdate(
    ctx: RequestContext,
    repo: RepoRecord,
    branch: string,
    before: string | undefined,
    after: string | undefined,
    status: 409 | 422,
  ): Promise<void> {
    this.requireRole(repo, ctx.user, 'write');
    const p = repo.protection;
    if (!p || p.branch !== branch) return;
    const fastForward = !before || !after || (await repo.git.isAncestor(before, after));
    const reasons = branchUpdateRefusals({
      protection: p,
      who: actorFacts(this.state, repo, ctx.user),
      fastForward,
      checks: this.observedChecks(repo, after),
      statuses: repo.statuses.filter((s) => s.sha === after),
    });
    if (reasons.length > 0) throw branchUpdateError(p, branch, reasons, status);
  }

  issue(repo: RepoRecord, raw: string | undefined): IssueRecord {
    const n = Number(raw);
    const issue = Number.isInteger(n) ? repo.issues.get(n) : undefined;
    if (!issue) throw notFound();
    return issue;
  }

  pull(repo: RepoRecord, raw: string | undefined): IssueRecord & { pull: PullRecord } {
    const issue = this.issue(repo, raw);
    if (!issue.pull) throw notFound();
    return issue as IssueRecord & { pull: PullRecord };
  }

  /** The base commit a pull request is compared against: the base tip while open, frozen once closed. */
  async baseSha(repo: RepoRecord, issue: IssueRecord): Promise<string> {
    const p = issue.pull!;
    if (issue.state === 'closed') return p.baseSha;
    return (await repo.git.branchTip(p.baseRef)) ?? p.baseSha;
  }

  /** What the merge gate needs to know about a pull request now; with `merger`, who is merging it. */
  async gateInput(
    repo: RepoRecord,
    issue: IssueRecord,
    expectedSha?: string,
    merger?: UserRecord,
  ): Promise<GateInput> {
    const p = issue.pull!;
    const base = await this.baseSha(repo, issue);
    const conflicts = issue.state === 'open' && (await repo.git.mergeTree(base, p.headSha)) === undefined;
    const rules = repo.protection && repo.protection.branch === p.baseRef ? repo.protection : undefined;
    const protection = rules
      ? {
          enforcedBy: rules.enforcedBy,
          requiredChecks: rules.requiredChecks,
          requiredApprovingReviewCount: rules.requiredApprovingReviewCount,
        }
      : undefined;
    const who = merger ? actorFacts(this.state, repo, merger) : undefined;
    const latestReviews = latestByName(
      p.reviews.filter((r) => r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED'),
      (r) => r.user,
    );
    return {
      open: issue.state === 'open',
      merged: p.merged,
      headSha: p.headSha,
      expectedSha,
      conflicts,
      protection,
      checks: this.observedChecks(repo, p.headSha),
      statuses: repo.statuses.filter((s) => s.sha === p.headSha),
      approvals: latestReviews.filter((r) => r.state === 'APPROVED').length,
      bypass: rules && who ? bypassesRules(rules, who) : false,
      pushRefusal: rules && who ? pushRefusal(rules, who) : undefined,
    };
  }

  /** The full pull request representation (counts, merge state) as GET /pulls/{n} returns it. */
  async pullView(repo: RepoRecord, issue: IssueRecord, simple = false): Promise<Json> {
    const p = issue.pull!;
    const baseSha = await this.baseSha(repo, issue);
    if (simple) return this.rep.pull(repo, issue, { baseSha, simple: true });
    const commits = baseSha ? await repo.git.commitsBetween(baseSha, p.headSha) : [];
    const files = baseSha ? await repo.git.changedFiles(baseSha, p.headSha) : [];
    let mergeable: boolean | null = null;
    let state = 'unknown';
    if (issue.state === 'open') {
      const input = await this.gateInput(repo, issue);
      mergeable = !input.conflicts;
      state = mergeableState(input);
    }
    return this.rep.pull(repo, issue, {
      baseSha,
      mergeable,
      mergeableState: state,
      commits: commits.length,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changedFiles: files.length,
    });
  }

  /**
   * A branch moved from `before` to `after` (a commit through the contents API, a ref update, a merge):
   * open pull requests with that head follow it, their stale approvals are dismissed where the branch
   * protection says so, and `synchronize` is delivered.
   */
  async afterPush(
    repo: RepoRecord,
    branch: string,
    before: string | undefined,
    after: string,
    pusher: string,
  ) {
    repo.pushedAt = this.state.nowSeconds();
    await refUpdated(this, repo, `refs/heads/${branch}`, before, after, pusher);
    for (const issue of repo.issues.values()) {
      if (issue.pull && issue.state === 'open' && issue.pull.baseRef === branch) issue.pull.baseSha = after;
    }
    for (const issue of this.state.pullsWithHead(repo, branch)) {
      const p = issue.pull!;
      if (p.headSha === after) continue;
      p.headSha = after;
      issue.updatedAt = this.state.nowSeconds();
      const dismissed =
        repo.protection?.dismissStaleReviews && repo.protection.branch === p.baseRef
          ? p.reviews.filter((r) => r.state === 'APPROVED')
          : [];
      for (const r of dismissed) {
        recordEvent(this.state, issue, {
          event: 'review_dismissed',
          actor: pusher,
          dismissed: { review: r, message: null, commitId: after },
        });
        r.state = 'DISMISSED';
      }
      await this.emitPull('synchronize', repo, issue, pusher, { before: before ?? null, after });
      for (const r of dismissed) {
        this.emit('pull_request_review', repo, pusher, {
          action: 'dismissed',
          review: { ...this.rep.review(repo, issue, r), state: 'dismissed', dismissal_message: null },
          pull_request: await this.pullView(repo, issue, true),
        });
      }
    }
  }

  async emitPull(action: string, repo: RepoRecord, issue: IssueRecord, sender: string, extra: Json = {}) {
    this.emit('pull_request', repo, sender, {
      action,
      number: issue.number,
      pull_request: await this.pullView(repo, issue),
      ...extra,
    });
  }

  /** Deliver an event with the repository, organisation and sender every GitHub payload carries. */
  emit(event: string, repo: RepoRecord, sender: string, payload: Json): void {
    const org = this.state.orgs.get(repo.owner);
    this.hooks.emit(event, {
      ...payload,
      repository: this.rep.repo(repo),
      ...(org ? { organization: this.rep.org(org) } : {}),
      sender: this.rep.user(sender),
    });
  }
}
