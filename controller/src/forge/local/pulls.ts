// Pull requests: open, list, read, edit, close and reopen, their commits and files, review requests, and
// the merge, which really merges in the bare repository once the merge gate allows it.
import { ForgeError, unprocessable, validationFailed } from './errors.js';
import type { Forge } from './forge.js';
import { decideMerge, MERGE_DOC } from './merge-gate.js';
import {
  asBody,
  optionalBoolean,
  optionalEnum,
  optionalString,
  optionalStrings,
  requiredString,
} from './request-body.js';
import { listReply, type RequestContext, type Route } from './routes.js';
import type { IssueRecord, PullRecord, RepoRecord } from './state.js';
import { recordEvent } from './timeline.js';

const PULLS_DOC = 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request';
const REVIEW_REQUESTS_DOC =
  'https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request';
/** GitHub's committer for merges made through the API. */
const WEB_COMMITTER = { name: 'GitHub', email: 'noreply@github.com' };

/** "owner:branch" or "branch" -> the branch, when the owner is the repository's own. */
export function headBranch(head: string, owner: string): string | undefined {
  const colon = head.indexOf(':');
  if (colon < 0) return head;
  return head.slice(0, colon).toLowerCase() === owner.toLowerCase() ? head.slice(colon + 1) : undefined;
}

export function pullRoutes(forge: Forge): Route[] {
  const { state, rep } = forge;
  const now = () => state.nowSeconds();

  const close = async (repo: RepoRecord, issue: IssueRecord) => {
    issue.pull!.baseSha = (await repo.git.branchTip(issue.pull!.baseRef)) ?? issue.pull!.baseSha;
    issue.state = 'closed';
    issue.closedAt = now();
    issue.updatedAt = now();
  };

  const listPulls = async (ctx: RequestContext) => {
    const repo = forge.repo(ctx);
    const q = ctx.query;
    const wanted = q.get('state') ?? 'open';
    const head = q.get('head');
    const base = q.get('base');
    const branch = head ? headBranch(head, repo.owner) : undefined;
    let pulls = [...repo.issues.values()].filter((i): i is IssueRecord & { pull: PullRecord } =>
      Boolean(i.pull),
    );
    pulls = pulls.filter((i) => wanted === 'all' || i.state === wanted);
    if (head) pulls = pulls.filter((i) => i.pull.headRef === branch);
    if (base) pulls = pulls.filter((i) => i.pull.baseRef === base);
    const sort = q.get('sort') ?? 'created';
    const key = (i: IssueRecord) => (sort === 'updated' ? i.updatedAt : i.createdAt) * 1e6 + i.number;
    const direction = q.get('direction') ?? 'desc';
    pulls.sort((a, b) => (direction === 'asc' ? key(a) - key(b) : key(b) - key(a)));
    const views = await Promise.all(pulls.map((i) => forge.pullView(repo, i, true)));
    return listReply(views, ctx.url);
  };

  return [
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/pulls',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const title = requiredString(body, 'title');
        const head = requiredString(body, 'head');
        const base = requiredString(body, 'base');
        const text = optionalString(body, 'body') ?? null;
        const draft = optionalBoolean(body, 'draft') ?? false;
        return repo.lock.run(async () => {
          const baseSha = await repo.git.branchTip(base);
          if (!baseSha)
            throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }], PULLS_DOC);
          const branch = headBranch(head, repo.owner);
          const headSha = branch ? await repo.git.branchTip(branch) : undefined;
          if (!branch || !headSha) {
            throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }], PULLS_DOC);
          }
          const existing = state.pullsWithHead(repo, branch).find((i) => i.pull?.baseRef === base);
          if (existing) {
            throw validationFailed(
              [
                {
                  resource: 'PullRequest',
                  code: 'custom',
                  message: `A pull request already exists for ${repo.owner}:${branch}.`,
                },
              ],
              PULLS_DOC,
            );
          }
          if ((await repo.git.commitsBetween(baseSha, headSha)).length === 0) {
            throw validationFailed(
              [
                {
                  resource: 'PullRequest',
                  code: 'custom',
                  message: `No commits between ${base} and ${branch}`,
                },
              ],
              PULLS_DOC,
            );
          }
          const number = repo.nextNumber++;
          const issue: IssueRecord = {
            id: state.newId(),
            number,
            title,
            body: text,
            user: ctx.user.login,
            state: 'open',
            labels: [],
            comments: [],
            createdAt: now(),
            updatedAt: now(),
            closedAt: null,
            pull: {
              id: state.newId(),
              headRef: branch,
              baseRef: base,
              headSha,
              baseSha,
              draft,
              merged: false,
              mergedAt: null,
              mergedBy: null,
              mergeCommitSha: null,
              requestedReviewers: [],
              requestedTeams: [],
              reviews: [],
            },
          };
          repo.issues.set(number, issue);
          await forge.emitPull('opened', repo, issue, ctx.user.login);
          const view = await forge.pullView(repo, issue);
          return { status: 201, body: view, headers: { location: String(view.url) } };
        });
      },
    },
    { method: 'GET', template: '/repos/{owner}/{repo}/pulls', handle: listPulls },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        return { status: 200, body: await forge.pullView(repo, forge.pull(repo, ctx.params.pull_number)) };
      },
    },
    {
      method: 'PATCH',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const title = optionalString(body, 'title');
        const text = optionalString(body, 'body');
        const wanted = optionalEnum(body, 'state', ['open', 'closed'] as const);
        const base = optionalString(body, 'base');
        return repo.lock.run(async () => {
          const issue = forge.pull(repo, ctx.params.pull_number);
          const changes: Record<string, { from: unknown }> = {};
          if (title !== undefined && title !== issue.title) {
            changes.title = { from: issue.title };
            issue.title = title;
          }
          if (text !== undefined && text !== issue.body) {
            changes.body = { from: issue.body };
            issue.body = text;
          }
          if (base !== undefined && base !== issue.pull.baseRef) {
            const tip = await repo.git.branchTip(base);
            if (!tip) {
              throw validationFailed(
                [{ resource: 'PullRequest', field: 'base', code: 'invalid' }],
                PULLS_DOC,
              );
            }
            changes.base = { from: { ref: issue.pull.baseRef, sha: issue.pull.baseSha } };
            issue.pull.baseRef = base;
            issue.pull.baseSha = tip;
          }
          if (Object.keys(changes).length > 0) {
            issue.updatedAt = now();
            await forge.emitPull('edited', repo, issue, ctx.user.login, { changes });
          }
          if (wanted === 'closed' && issue.state === 'open') {
            await close(repo, issue);
            recordEvent(state, issue, { event: 'closed', actor: ctx.user.login });
            await forge.emitPull('closed', repo, issue, ctx.user.login);
          } else if (wanted === 'open' && issue.state === 'closed') {
            if (issue.pull.merged) throw unprocessable('Cannot reopen a merged pull request', PULLS_DOC);
            const tip = await repo.git.branchTip(issue.pull.headRef);
            if (!tip) throw unprocessable(`The ${issue.pull.headRef} branch has been deleted.`, PULLS_DOC);
            issue.state = 'open';
            issue.closedAt = null;
            issue.updatedAt = now();
            issue.pull.headSha = tip;
            issue.pull.baseSha = (await repo.git.branchTip(issue.pull.baseRef)) ?? issue.pull.baseSha;
            recordEvent(state, issue, { event: 'reopened', actor: ctx.user.login });
            await forge.emitPull('reopened', repo, issue, ctx.user.login);
          }
          return { status: 200, body: await forge.pullView(repo, issue) };
        });
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/commits',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const issue = forge.pull(repo, ctx.params.pull_number);
        const base = await forge.baseSha(repo, issue);
        const commits = await repo.git.commitsBetween(base, issue.pull.headSha);
        return listReply(
          commits.slice(0, 250).map((c) => rep.commit(repo, c)),
          ctx.url,
        );
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/files',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const issue = forge.pull(repo, ctx.params.pull_number);
        const base = await forge.baseSha(repo, issue);
        const files = await repo.git.changedFiles(base, issue.pull.headSha);
        const at = (sha: string, path: string) => `${rep.base}/${repo.fullName}/${sha}/${path}`;
        return listReply(
          files.map((f) => ({
            sha: f.sha,
            filename: f.path,
            status: f.status,
            additions: f.additions,
            deletions: f.deletions,
            changes: f.additions + f.deletions,
            blob_url: at(`blob/${issue.pull.headSha}`, f.path),
            raw_url: at(`raw/${issue.pull.headSha}`, f.path),
            contents_url: `${rep.base}/repos/${repo.fullName}/contents/${f.path}?ref=${issue.pull.headSha}`,
            patch: f.patch,
          })),
          ctx.url,
        );
      },
    },
    {
      method: 'PUT',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/merge',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const expectedSha = optionalString(body, 'sha');
        const method = optionalEnum(body, 'merge_method', ['merge', 'squash', 'rebase'] as const) ?? 'merge';
        const commitTitle = optionalString(body, 'commit_title');
        const commitMessage = optionalString(body, 'commit_message');
        return repo.lock.run(async () => {
          const issue = forge.pull(repo, ctx.params.pull_number);
          const p = issue.pull;
          if (method === 'rebase')
            throw new ForgeError(405, 'Rebase merges are not allowed on this repository.', MERGE_DOC);
          forge.requireRole(repo, ctx.user, 'write');
          const decision = decideMerge(await forge.gateInput(repo, issue, expectedSha, ctx.user));
          if (!decision.allowed)
            throw new ForgeError(decision.status, decision.message, decision.documentationUrl);
          const baseSha = await repo.git.branchTip(p.baseRef);
          const tree = baseSha ? await repo.git.mergeTree(baseSha, p.headSha) : undefined;
          if (!baseSha || !tree) throw new ForgeError(405, 'Pull Request is not mergeable', MERGE_DOC);
          const author = state.identity(ctx.user.login);
          const committer = { ...WEB_COMMITTER, at: author.at };
          let message: string;
          let parents: string[];
          if (method === 'squash') {
            const commits = await repo.git.commitsBetween(baseSha, p.headSha);
            const subject = commitTitle ?? `${issue.title} (#${issue.number})`;
            message = `${subject}\n\n${commitMessage ?? commits.map((c) => `* ${c.message.trim()}`).join('\n\n')}\n`;
            parents = [baseSha];
          } else {
            const subject =
              commitTitle ?? `Merge pull request #${issue.number} from ${repo.owner}/${p.headRef}`;
            message = `${subject}\n\n${commitMessage ?? issue.title}\n`;
            parents = [baseSha, p.headSha];
          }
          const sha = await repo.git.commitTree(tree, parents, message, author, committer);
          if (!(await repo.git.updateRef(`refs/heads/${p.baseRef}`, sha, baseSha))) {
            throw new ForgeError(409, 'Base branch was modified. Review and try the merge again.', MERGE_DOC);
          }
          p.merged = true;
          p.mergedAt = now();
          p.mergedBy = ctx.user.login;
          p.mergeCommitSha = sha;
          issue.state = 'closed';
          issue.closedAt = now();
          issue.updatedAt = now();
          p.baseSha = baseSha;
          await forge.afterPush(repo, p.baseRef, baseSha, sha, ctx.user.login);
          recordEvent(state, issue, { event: 'merged', actor: ctx.user.login, commitId: sha });
          recordEvent(state, issue, { event: 'closed', actor: ctx.user.login });
          await forge.emitPull('closed', repo, issue, ctx.user.login);
          return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
        });
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const reviewers = optionalStrings(body, 'reviewers') ?? [];
        const teams = optionalStrings(body, 'team_reviewers') ?? [];
        return repo.lock.run(async () => {
          const issue = forge.pull(repo, ctx.params.pull_number);
          const org = state.orgs.get(repo.owner);
          if (reviewers.includes(issue.user)) {
            throw unprocessable('Review cannot be requested from pull request author.', REVIEW_REQUESTS_DOC);
          }
          const strangers =
            reviewers.some((r) => !state.isOrgMember(repo.owner, r)) || teams.some((t) => !org?.teams.has(t));
          if (strangers) {
            throw unprocessable(
              `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
              REVIEW_REQUESTS_DOC,
            );
          }
          const p = issue.pull;
          for (const r of reviewers) {
            if (p.requestedReviewers.includes(r)) continue;
            p.requestedReviewers.push(r);
            recordEvent(state, issue, {
              event: 'review_requested',
              actor: ctx.user.login,
              requestedReviewer: r,
            });
            await forge.emitPull('review_requested', repo, issue, ctx.user.login, {
              requested_reviewer: rep.user(r),
            });
          }
          for (const t of teams) {
            if (p.requestedTeams.includes(t)) continue;
            p.requestedTeams.push(t);
            recordEvent(state, issue, { event: 'review_requested', actor: ctx.user.login, requestedTeam: t });
            const team = org!.teams.get(t)!;
            await forge.emitPull('review_requested', repo, issue, ctx.user.login, {
              requested_team: rep.team(team),
            });
          }
          issue.updatedAt = now();
          return { status: 201, body: await forge.pullView(repo, issue, true) };
        });
      },
    },
    {
      method: 'DELETE',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const reviewers = optionalStrings(body, 'reviewers') ?? [];
        const teams = optionalStrings(body, 'team_reviewers') ?? [];
        return repo.lock.run(async () => {
          const issue = forge.pull(repo, ctx.params.pull_number);
          const p = issue.pull;
          const org = state.orgs.get(repo.owner);
          for (const r of reviewers.filter((x) => p.requestedReviewers.includes(x))) {
            p.requestedReviewers = p.requestedReviewers.filter((x) => x !== r);
            recordEvent(state, issue, {
              event: 'review_request_removed',
              actor: ctx.user.login,
              requestedReviewer: r,
            });
            await forge.emitPull('review_request_removed', repo, issue, ctx.user.login, {
              requested_reviewer: rep.user(r),
            });
          }
          for (const t of teams.filter((x) => p.requestedTeams.includes(x))) {
            p.requestedTeams = p.requestedTeams.filter((x) => x !== t);
            recordEvent(state, issue, {
              event: 'review_request_removed',
              actor: ctx.user.login,
              requestedTeam: t,
            });
            const team = org?.teams.get(t);
            await forge.emitPull('review_request_removed', repo, issue, ctx.user.login, {
              ...(team ? { requested_team: rep.team(team) } : {}),
            });
          }
          return { status: 200, body: await forge.pullView(repo, issue, true) };
        });
      },
    },
  ];
}
