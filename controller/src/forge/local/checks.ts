// Check runs and commit statuses on a commit: the sign-off check Vigil writes, and what the merge gate
// reads. Listing by ref resolves a branch or sha and returns the latest run of each name by default.
import { forbidden, invalidRequest, notFound, unprocessable } from './errors.js';
import type { Forge } from './forge.js';
import { latestByName } from './merge-gate.js';
import { asBody, type Body, optionalEnum, optionalString, requiredString } from './request-body.js';
import { pageWindow, type Route } from './routes.js';
import type {
  AppRecord,
  CheckConclusion,
  CheckRunRecord,
  CheckStatus,
  RepoRecord,
  StatusRecord,
  UserRecord,
} from './state.js';

const CHECKS_DOC = 'https://docs.github.com/rest/checks/runs#create-a-check-run';
const STATUSES = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'] as const;
const CONCLUSIONS = [
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'success',
  'skipped',
  'timed_out',
] as const;

function seconds(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidRequest(`"${value}" is not a date-time.`, CHECKS_DOC);
  return Math.floor(ms / 1000);
}

function readOutput(body: Body, current?: CheckRunRecord['output']): CheckRunRecord['output'] {
  const out = body.output;
  if (out === undefined || out === null) return current ?? { title: null, summary: null, text: null };
  if (typeof out !== 'object' || Array.isArray(out))
    throw invalidRequest('"output" must be an object.', CHECKS_DOC);
  const o = out as Body;
  return {
    title: optionalString(o, 'title') ?? current?.title ?? null,
    summary: requiredString(o, 'summary'),
    text: optionalString(o, 'text') ?? null,
  };
}

/**
 * The App a check run write comes from. Check runs are the Checks API of GitHub Apps: a user's token is
 * refused, and so is an App without the checks permission.
 */
export function checksApp(user: UserRecord): AppRecord {
  if (!user.app) throw forbidden('You must authenticate via a GitHub App.', CHECKS_DOC);
  if (user.app.permissions.checks !== 'write')
    throw forbidden('Resource not accessible by integration', CHECKS_DOC);
  return user.app;
}

export function checkRoutes(forge: Forge): Route[] {
  const { state, rep } = forge;

  const commitFor = async (repo: RepoRecord, ref: string) => {
    const sha = (await repo.git.branchTip(ref)) ?? (await repo.git.resolve(ref));
    if (!sha) throw unprocessable(`No commit found for SHA: ${ref}`, CHECKS_DOC);
    return sha;
  };

  /** Apply status, conclusion and times from a create or update body, as GitHub does. */
  const applyState = (run: CheckRunRecord, body: Body) => {
    const status = optionalEnum(body, 'status', STATUSES);
    const conclusion = optionalEnum(body, 'conclusion', CONCLUSIONS);
    if (status) run.status = status as CheckStatus;
    if (conclusion) {
      // Giving a conclusion completes the run.
      run.conclusion = conclusion as CheckConclusion;
      run.status = 'completed';
    }
    if (run.status === 'completed' && !run.conclusion)
      throw invalidRequest('"conclusion" wasn\'t supplied.', CHECKS_DOC);
    if (run.status !== 'completed') {
      run.conclusion = null;
      run.completedAt = null;
    } else {
      run.completedAt = seconds(optionalString(body, 'completed_at'), run.completedAt ?? state.nowSeconds());
    }
  };

  const findRun = (repo: RepoRecord, raw: string | undefined) => {
    const run = repo.checkRuns.find((c) => String(c.id) === raw);
    if (!run) throw notFound('https://docs.github.com/rest/checks/runs#get-a-check-run');
    return run;
  };

  return [
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/check-runs',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const app = checksApp(ctx.user);
        const body = asBody(ctx.body);
        const name = requiredString(body, 'name');
        const headSha = await commitFor(repo, requiredString(body, 'head_sha'));
        const run: CheckRunRecord = {
          id: state.newId(),
          suiteId: 0,
          headSha,
          name,
          status: 'queued',
          conclusion: null,
          startedAt: seconds(optionalString(body, 'started_at'), state.nowSeconds()),
          completedAt: null,
          output: readOutput(body),
          detailsUrl: optionalString(body, 'details_url') ?? null,
          externalId: optionalString(body, 'external_id') ?? null,
          createdBy: ctx.user.login,
          appId: app.id,
        };
        run.suiteId = run.id + 500_000;
        applyState(run, body);
        repo.checkRuns.push(run);
        forge.emit('check_run', repo, ctx.user.login, {
          action: 'created',
          check_run: rep.checkRun(repo, run),
        });
        return { status: 201, body: rep.checkRun(repo, run) };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/check-runs/{check_run_id}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        return { status: 200, body: rep.checkRun(repo, findRun(repo, ctx.params.check_run_id)) };
      },
    },
    {
      method: 'PATCH',
      template: '/repos/{owner}/{repo}/check-runs/{check_run_id}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const run = findRun(repo, ctx.params.check_run_id);
        // Only the App that created a run may change it: no one else can turn another App's failure green.
        if (checksApp(ctx.user).id !== run.appId) {
          throw forbidden(
            'Invalid app_id: this check run belongs to another GitHub App; only the App that created it can update it.',
            'https://docs.github.com/rest/checks/runs#update-a-check-run',
          );
        }
        const wasCompleted = run.status === 'completed';
        const next = { ...run, output: { ...run.output } };
        next.name = optionalString(body, 'name') ?? run.name;
        next.detailsUrl = optionalString(body, 'details_url') ?? run.detailsUrl;
        next.externalId = optionalString(body, 'external_id') ?? run.externalId;
        next.startedAt = seconds(optionalString(body, 'started_at'), run.startedAt);
        next.output = readOutput(body, run.output);
        applyState(next, body);
        Object.assign(run, next);
        if (run.status === 'completed' && !wasCompleted) {
          forge.emit('check_run', repo, ctx.user.login, {
            action: 'completed',
            check_run: rep.checkRun(repo, run),
          });
        }
        return { status: 200, body: rep.checkRun(repo, run) };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/commits/{ref}/check-runs',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const sha = await commitFor(repo, ctx.params.ref ?? '');
        const q = ctx.query;
        let runs = repo.checkRuns.filter((c) => c.headSha === sha);
        // Latest per App and name: another App's run of the same name never hides this App's own.
        if (q.get('filter') !== 'all') runs = latestByName(runs, (c) => `${c.appId}\0${c.name}`);
        const appId = q.get('app_id');
        if (appId) runs = runs.filter((c) => String(c.appId) === appId);
        const name = q.get('check_name');
        if (name) runs = runs.filter((c) => c.name === name);
        const status = q.get('status');
        if (status) runs = runs.filter((c) => c.status === status);
        runs.sort((a, b) => b.id - a.id);
        const { perPage, page } = pageWindow(q);
        return {
          status: 200,
          body: {
            total_count: runs.length,
            check_runs: runs.slice((page - 1) * perPage, page * perPage).map((r) => rep.checkRun(repo, r)),
          },
        };
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/statuses/{sha}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        // Commit statuses take push access (an App, its statuses permission): any writer may post one, which
        // is why they never satisfy a check pinned to an App.
        if (ctx.user.app) {
          if (ctx.user.app.permissions.statuses !== 'write')
            throw forbidden('Resource not accessible by integration');
        } else {
          forge.requireRole(repo, ctx.user, 'write');
        }
        const body = asBody(ctx.body);
        const sha = await commitFor(repo, ctx.params.sha ?? '');
        const stateValue = optionalEnum(body, 'state', ['error', 'failure', 'pending', 'success'] as const);
        if (!stateValue) throw invalidRequest('"state" wasn\'t supplied.');
        const record: StatusRecord = {
          id: state.newId(),
          sha,
          state: stateValue,
          context: optionalString(body, 'context') ?? 'default',
          description: optionalString(body, 'description') ?? null,
          targetUrl: optionalString(body, 'target_url') ?? null,
          createdAt: state.nowSeconds(),
          creator: ctx.user.login,
        };
        repo.statuses.push(record);
        return { status: 201, body: rep.status(repo, record) };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/commits/{ref}/status',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const ref = ctx.params.ref ?? '';
        const sha = (await repo.git.branchTip(ref)) ?? (await repo.git.resolve(ref));
        if (!sha) throw notFound();
        const latest = latestByName(
          repo.statuses.filter((s) => s.sha === sha),
          (s) => s.context,
        );
        const combined = latest.some((s) => s.state === 'failure' || s.state === 'error')
          ? 'failure'
          : latest.length > 0 && latest.every((s) => s.state === 'success')
            ? 'success'
            : 'pending';
        return {
          status: 200,
          body: {
            state: combined,
            statuses: latest.map((s) => {
              const { creator: _creator, ...simple } = rep.status(repo, s);
              return simple;
            }),
            sha,
            total_count: latest.length,
            repository: rep.repo(repo),
            commit_url: `${rep.base}/repos/${repo.fullName}/commits/${sha}`,
            url: `${rep.base}/repos/${repo.fullName}/commits/${sha}/status`,
          },
        };
      },
    },
  ];
}
