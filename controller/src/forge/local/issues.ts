// Issues (governance reviews opened by surveillance), labels and comments; a pull request is an issue too,
// so labels and comments on a pull request go through these routes, and the issue listing holds pull requests
// as well, as on GitHub.
import { invalidRequest } from './errors.js';
import type { Forge } from './forge.js';
import { asBody, optionalEnum, optionalString, optionalStrings, requiredString } from './request-body.js';
import { listReply, type Route } from './routes.js';
import type { IssueRecord, RepoRecord } from './state.js';
import { recordEvent } from './timeline.js';

/** GitHub's colour for a label created by adding it to an issue. */
const NEW_LABEL_COLOUR = 'ededed';

export function issueRoutes(forge: Forge): Route[] {
  const { state, rep } = forge;

  const ensureLabel = (repo: RepoRecord, name: string) => {
    let label = repo.labels.get(name);
    if (!label) {
      label = { id: state.newId(), name, color: NEW_LABEL_COLOUR, description: null };
      repo.labels.set(name, label);
    }
    return label;
  };

  const emitIssue = (
    event: string,
    action: string,
    repo: RepoRecord,
    issue: IssueRecord,
    sender: string,
    extra = {},
  ) => forge.emit(event, repo, sender, { action, issue: rep.issue(repo, issue), ...extra });

  return [
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/issues',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const title = body.title;
        if (typeof title !== 'string' && typeof title !== 'number')
          throw invalidRequest('"title" wasn\'t supplied.');
        const labels = optionalStrings(body, 'labels') ?? [];
        return repo.lock.run(async () => {
          const now = state.nowSeconds();
          const issue: IssueRecord = {
            id: state.newId(),
            number: repo.nextNumber++,
            title: String(title),
            body: optionalString(body, 'body') ?? null,
            user: ctx.user.login,
            state: 'open',
            labels: labels.map((l) => ensureLabel(repo, l).name),
            comments: [],
            createdAt: now,
            updatedAt: now,
            closedAt: null,
          };
          repo.issues.set(issue.number, issue);
          emitIssue('issues', 'opened', repo, issue, ctx.user.login);
          const json = rep.issue(repo, issue);
          return { status: 201, body: json, headers: { location: String(json.url) } };
        });
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/issues',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const q = ctx.query;
        const wanted = q.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(wanted)) {
          throw invalidRequest(`Invalid value for "state": ${JSON.stringify(wanted)}.`);
        }
        // Every label named (comma-separated) must be on the issue.
        const labels = (q.get('labels') ?? '')
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean);
        const sort = q.get('sort') ?? 'created';
        const direction = q.get('direction') ?? 'desc';
        const key = (i: IssueRecord) => (sort === 'updated' ? i.updatedAt : i.createdAt) * 1e6 + i.number;
        const issues = [...repo.issues.values()]
          .filter((i) => wanted === 'all' || i.state === wanted)
          .filter((i) => labels.every((l) => i.labels.includes(l)))
          .sort((a, b) => (direction === 'asc' ? key(a) - key(b) : key(b) - key(a)));
        return listReply(
          issues.map((i) => rep.issue(repo, i)),
          ctx.url,
        );
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/issues/{issue_number}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        return { status: 200, body: rep.issue(repo, forge.issue(repo, ctx.params.issue_number)) };
      },
    },
    {
      method: 'PATCH',
      template: '/repos/{owner}/{repo}/issues/{issue_number}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const title = optionalString(body, 'title');
        const text = optionalString(body, 'body');
        const wanted = optionalEnum(body, 'state', ['open', 'closed'] as const);
        const reason = optionalEnum(body, 'state_reason', ['completed', 'not_planned', 'reopened'] as const);
        const labels = optionalStrings(body, 'labels');
        return repo.lock.run(async () => {
          const issue = forge.issue(repo, ctx.params.issue_number);
          // Its author may edit an issue; anyone else needs triage.
          if (issue.user !== ctx.user.login) forge.requireRole(repo, ctx.user, 'triage');
          const changes: Record<string, { from: unknown }> = {};
          if (title !== undefined && title !== issue.title) {
            changes.title = { from: issue.title };
            issue.title = title;
          }
          if (text !== undefined && text !== issue.body) {
            changes.body = { from: issue.body };
            issue.body = text;
          }
          if (labels !== undefined) issue.labels = labels.map((l) => ensureLabel(repo, l).name);
          const now = state.nowSeconds();
          if (Object.keys(changes).length > 0 || labels !== undefined) {
            issue.updatedAt = now;
            if (Object.keys(changes).length > 0)
              emitIssue('issues', 'edited', repo, issue, ctx.user.login, { changes });
          }
          if (wanted === 'closed' && issue.state === 'open') {
            issue.state = 'closed';
            issue.stateReason = reason === 'not_planned' ? 'not_planned' : 'completed';
            issue.closedAt = now;
            issue.updatedAt = now;
            recordEvent(state, issue, { event: 'closed', actor: ctx.user.login });
            emitIssue('issues', 'closed', repo, issue, ctx.user.login);
          } else if (wanted === 'open' && issue.state === 'closed') {
            issue.state = 'open';
            issue.stateReason = 'reopened';
            issue.closedAt = null;
            issue.updatedAt = now;
            recordEvent(state, issue, { event: 'reopened', actor: ctx.user.login });
            emitIssue('issues', 'reopened', repo, issue, ctx.user.login);
          }
          return { status: 200, body: rep.issue(repo, issue) };
        });
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        // GitHub takes {"labels": [...]} or a bare array of names.
        const names = Array.isArray(ctx.body)
          ? (ctx.body as unknown[])
          : (optionalStrings(asBody(ctx.body), 'labels') ?? []);
        if (names.some((n) => typeof n !== 'string'))
          throw invalidRequest('"labels" must be an array of strings.');
        return repo.lock.run(async () => {
          const issue = forge.issue(repo, ctx.params.issue_number);
          for (const name of names as string[]) {
            if (issue.labels.includes(name)) continue;
            const label = ensureLabel(repo, name);
            issue.labels.push(name);
            issue.updatedAt = state.nowSeconds();
            if (issue.pull)
              await forge.emitPull('labeled', repo, issue, ctx.user.login, { label: rep.label(label, repo) });
            else
              emitIssue('issues', 'labeled', repo, issue, ctx.user.login, { label: rep.label(label, repo) });
          }
          return {
            status: 200,
            body: issue.labels.flatMap((n) => {
              const l = repo.labels.get(n);
              return l ? [rep.label(l, repo)] : [];
            }),
          };
        });
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const issue = forge.issue(repo, ctx.params.issue_number);
        return listReply(
          issue.comments.map((c) => rep.comment(repo, issue, c)),
          ctx.url,
        );
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const text = requiredString(asBody(ctx.body), 'body');
        return repo.lock.run(async () => {
          const issue = forge.issue(repo, ctx.params.issue_number);
          const now = state.nowSeconds();
          const comment = {
            id: state.newId(),
            user: ctx.user.login,
            body: text,
            createdAt: now,
            updatedAt: now,
          };
          issue.comments.push(comment);
          issue.updatedAt = now;
          const json = rep.comment(repo, issue, comment);
          emitIssue('issue_comment', 'created', repo, issue, ctx.user.login, { comment: json });
          return { status: 201, body: json, headers: { location: String(json.url) } };
        });
      },
    },
  ];
}
