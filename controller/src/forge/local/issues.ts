// Issues (governance reviews opened by surveillance), labels and comments; a pull request is an issue too,
// so labels and comments on a pull request go through these routes, as on GitHub.
import { invalidRequest } from './errors.js';
import type { Forge } from './forge.js';
import { asBody, optionalString, optionalStrings, requiredString } from './request-body.js';
import { listReply, type Route } from './routes.js';
import type { IssueRecord, RepoRecord } from './state.js';

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
      template: '/repos/{owner}/{repo}/issues/{issue_number}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        return { status: 200, body: rep.issue(repo, forge.issue(repo, ctx.params.issue_number)) };
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
