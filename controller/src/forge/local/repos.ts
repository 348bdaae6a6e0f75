// Repositories, file contents, refs and branches, and how the default branch is protected: the git side of
// the API, where every write is a real commit or ref update in the bare repository.
import { conflict, ForgeError, invalidRequest, unprocessable } from './errors.js';
import type { Forge } from './forge.js';
import { refUpdated } from './push-events.js';
import { nodeId } from './representations.js';
import { asBody, optionalBoolean, optionalString, requiredString } from './request-body.js';
import type { RequestContext, Route } from './routes.js';
import type { RepoRecord } from './state.js';

const CONTENTS_DOC = 'https://docs.github.com/rest/repos/contents#create-or-update-file-contents';
const REFS_DOC = 'https://docs.github.com/rest/git/refs#create-a-reference';

/** GitHub wraps base64 content at 60 characters a line. */
export function wrapBase64(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 60) lines.push(b64.slice(i, i + 60));
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function repoRoutes(forge: Forge): Route[] {
  const { state, rep } = forge;

  const refJson = (repo: RepoRecord, fullRef: string, sha: string) => ({
    ref: fullRef,
    node_id: nodeId('Ref', `${repo.id}:${fullRef}`),
    url: `${rep.base}/repos/${repo.fullName}/git/${fullRef}`,
    object: { type: 'commit', sha, url: `${rep.base}/repos/${repo.fullName}/git/commits/${sha}` },
  });

  const resolveRefOr404 = async (repo: RepoRecord, ref: string) => {
    const sha = (await repo.git.branchTip(ref)) ?? (await repo.git.resolve(ref));
    if (!sha)
      throw new ForgeError(
        404,
        `No commit found for the ref ${ref}`,
        'https://docs.github.com/rest/repos/contents',
      );
    return sha;
  };

  const classicProtected = (repo: RepoRecord, branch: string) =>
    repo.protection?.enforcedBy === 'branch-protection' && repo.protection.branch === branch;

  /** Create, move or delete a branch ref, then let open pull requests follow it. */
  const moveBranch = async (
    ctx: RequestContext,
    repo: RepoRecord,
    branch: string,
    before: string | undefined,
    after: string,
  ) => {
    if (!(await repo.git.updateRef(`refs/heads/${branch}`, after, before))) {
      throw conflict(
        `Reference refs/heads/${branch} moved while it was being updated; read it again and retry.`,
      );
    }
    await forge.afterPush(repo, branch, before, after, ctx.user.login);
  };

  return [
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}',
      handle: async (ctx) => ({ status: 200, body: rep.repo(forge.repo(ctx), true) }),
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/contents/{path}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const ref = ctx.query.get('ref') || repo.defaultBranch;
        const sha = await resolveRefOr404(repo, ref);
        const path = (ctx.params.path ?? '').replace(/^\/+|\/+$/g, '');
        const entry = await repo.git.entry(sha, path);
        if (!entry)
          throw new ForgeError(
            404,
            'Not Found',
            'https://docs.github.com/rest/repos/contents#get-repository-content',
          );
        if (entry.type === 'tree') {
          const entries = await repo.git.list(sha, path);
          return { status: 200, body: entries.map((e) => rep.contentEntry(repo, e, ref)) };
        }
        const content = await repo.git.blob(entry.sha);
        return {
          status: 200,
          body: { ...rep.contentEntry(repo, entry, ref), content: wrapBase64(content), encoding: 'base64' },
        };
      },
    },
    {
      // A branch's history, optionally only the commits that changed `path`, newest first, a page at a time.
      method: 'GET',
      template: '/repos/{owner}/{repo}/commits',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const head = await resolveRefOr404(repo, ctx.query.get('sha') || repo.defaultBranch);
        const perPage = Math.min(100, Math.max(1, Number(ctx.query.get('per_page')) || 30));
        const page = Math.max(1, Number(ctx.query.get('page')) || 1);
        const path = (ctx.query.get('path') ?? '').replace(/^\/+|\/+$/g, '');
        const commits = await repo.git.pathHistory(
          head,
          path === '' ? '.' : path,
          perPage,
          (page - 1) * perPage,
        );
        return { status: 200, body: commits.map((c) => rep.commit(repo, c)) };
      },
    },
    {
      method: 'PUT',
      template: '/repos/{owner}/{repo}/contents/{path}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const message = requiredString(body, 'message');
        const content = requiredString(body, 'content');
        const expected = optionalString(body, 'sha');
        const branch = optionalString(body, 'branch') ?? repo.defaultBranch;
        const path = (ctx.params.path ?? '').replace(/^\/+|\/+$/g, '');
        if (
          path === '' ||
          path.split('/').some((seg) => seg === '' || seg === '.' || seg === '..' || seg === '.git')
        ) {
          throw unprocessable(`path "${path}" is not a valid file path`, CONTENTS_DOC);
        }
        if (!/^[A-Za-z0-9+/=\s]*$/.test(content))
          throw invalidRequest('content is not valid Base64', CONTENTS_DOC);
        return repo.lock.run(async () => {
          const before = await repo.git.branchTip(branch);
          if (!before) throw new ForgeError(404, `Branch ${branch} not found`, CONTENTS_DOC);
          // The new commit would carry no checks yet, so the branch's rules are judged on its parent's line.
          await forge.refuseBranchUpdate(ctx, repo, branch, before, undefined, 409);
          const existing = await repo.git.entry(before, path);
          if (existing?.type === 'tree') throw unprocessable(`${path} is a directory`, CONTENTS_DOC);
          if (existing && expected === undefined)
            throw invalidRequest(`"sha" wasn't supplied.`, CONTENTS_DOC);
          if (expected !== undefined && existing?.sha !== expected) {
            throw conflict(`${path} does not match ${expected}`, CONTENTS_DOC);
          }
          const who = (field: string) => {
            const v = body[field] as { name?: unknown; email?: unknown } | undefined;
            const me = state.identity(ctx.user.login);
            return v && typeof v.name === 'string' && typeof v.email === 'string'
              ? { ...me, name: v.name, email: v.email }
              : me;
          };
          const after = await repo.git.commitFiles(
            before,
            new Map([[path, Buffer.from(content, 'base64')]]),
            message,
            who('author'),
            who('committer'),
            // The forge vouches only for identities it set itself: caller-written metadata stays unsigned.
            body.author === undefined && body.committer === undefined ? 'forge' : 'none',
          );
          await moveBranch(ctx, repo, branch, before, after);
          const entry = await repo.git.entry(after, path);
          const commit = await repo.git.commit(after);
          return {
            status: existing ? 200 : 201,
            body: {
              content: entry ? rep.contentEntry(repo, entry, branch) : null,
              commit: rep.gitCommit(repo, commit),
            },
          };
        });
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/git/ref/{ref}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const full = `refs/${ctx.params.ref ?? ''}`;
        const sha = (await repo.git.refExists(full)) ? await repo.git.resolve(full) : undefined;
        if (!sha)
          throw new ForgeError(404, 'Not Found', 'https://docs.github.com/rest/git/refs#get-a-reference');
        return { status: 200, body: refJson(repo, full, sha) };
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/git/refs',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const ref = requiredString(body, 'ref');
        const sha = requiredString(body, 'sha');
        if (!/^refs\/(heads|tags)\/[^\s~^:?*[\\]+$/.test(ref) || ref.includes('..') || ref.endsWith('/')) {
          throw unprocessable('Reference name is invalid', REFS_DOC);
        }
        return repo.lock.run(async () => {
          if (await repo.git.refExists(ref)) throw unprocessable('Reference already exists', REFS_DOC);
          const target = /^[0-9a-f]{40}$/.test(sha) ? await repo.git.resolve(sha) : undefined;
          if (!target) throw unprocessable('Object does not exist', REFS_DOC);
          if (ref.startsWith('refs/heads/')) {
            forge.requireRole(repo, ctx.user, 'write');
            await moveBranch(ctx, repo, ref.slice('refs/heads/'.length), undefined, target);
          } else if (!(await repo.git.updateRef(ref, target, undefined))) {
            throw unprocessable('Reference already exists', REFS_DOC);
          } else {
            await refUpdated(forge, repo, ref, undefined, target, ctx.user.login);
          }
          const url = `${rep.base}/repos/${repo.fullName}/git/${ref}`;
          return { status: 201, body: refJson(repo, ref, target), headers: { location: url } };
        });
      },
    },
    {
      method: 'PATCH',
      template: '/repos/{owner}/{repo}/git/refs/{ref}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const sha = requiredString(body, 'sha');
        const force = optionalBoolean(body, 'force') ?? false;
        const full = `refs/${ctx.params.ref ?? ''}`;
        return repo.lock.run(async () => {
          const before = (await repo.git.refExists(full)) ? await repo.git.resolve(full) : undefined;
          if (!before)
            throw unprocessable(
              'Reference does not exist',
              'https://docs.github.com/rest/git/refs#update-a-reference',
            );
          const target = /^[0-9a-f]{40}$/.test(sha) ? await repo.git.resolve(sha) : undefined;
          if (!target)
            throw unprocessable(
              'Object does not exist',
              'https://docs.github.com/rest/git/refs#update-a-reference',
            );
          if (!force && !(await repo.git.isAncestor(before, target))) {
            throw unprocessable(
              'Update is not a fast forward',
              'https://docs.github.com/rest/git/refs#update-a-reference',
            );
          }
          if (full.startsWith('refs/heads/')) {
            const branch = full.slice('refs/heads/'.length);
            await forge.refuseBranchUpdate(ctx, repo, branch, before, target, 422);
            await moveBranch(ctx, repo, branch, before, target);
          } else if (!(await repo.git.updateRef(full, target, before))) {
            throw conflict(`Reference ${full} moved while it was being updated`);
          } else {
            await refUpdated(forge, repo, full, before, target, ctx.user.login);
          }
          return { status: 200, body: refJson(repo, full, target) };
        });
      },
    },
    {
      method: 'DELETE',
      template: '/repos/{owner}/{repo}/git/refs/{ref}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const full = `refs/${ctx.params.ref ?? ''}`;
        return repo.lock.run(async () => {
          const before = (await repo.git.refExists(full)) ? await repo.git.resolve(full) : undefined;
          if (!before)
            throw unprocessable(
              'Reference does not exist',
              'https://docs.github.com/rest/git/refs#delete-a-reference',
            );
          forge.requireRole(repo, ctx.user, 'write');
          if (full === `refs/heads/${repo.defaultBranch}`) {
            throw unprocessable(
              'Cannot delete the default branch',
              'https://docs.github.com/rest/git/refs#delete-a-reference',
            );
          }
          await repo.git.deleteRef(full, before);
          await refUpdated(forge, repo, full, before, undefined, ctx.user.login);
          return { status: 204 };
        });
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/branches/{branch}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const branch = ctx.params.branch ?? '';
        const sha = await repo.git.branchTip(branch);
        if (!sha)
          throw new ForgeError(
            404,
            'Branch not found',
            'https://docs.github.com/rest/branches/branches#get-a-branch',
          );
        const commit = await repo.git.commit(sha);
        const isProtected = classicProtected(repo, branch);
        const p = repo.protection;
        return {
          status: 200,
          body: {
            name: branch,
            commit: rep.commit(repo, commit),
            _links: {
              self: `${rep.base}/repos/${repo.fullName}/branches/${branch}`,
              html: `${rep.base}/${repo.fullName}/tree/${branch}`,
            },
            protected: isProtected,
            protection: {
              enabled: isProtected,
              required_status_checks: {
                enforcement_level: !isProtected ? 'off' : p?.enforceAdmins ? 'everyone' : 'non_admins',
                contexts: isProtected && p ? p.requiredChecks.map((c) => c.context) : [],
                checks:
                  isProtected && p
                    ? p.requiredChecks.map((c) => ({ context: c.context, app_id: c.appId ?? null }))
                    : [],
              },
            },
            protection_url: `${rep.base}/repos/${repo.fullName}/branches/${branch}/protection`,
          },
        };
      },
    },
  ];
}
