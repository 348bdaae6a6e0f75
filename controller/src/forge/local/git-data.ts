// GitHub's Git database API: blobs, trees and commits written object by object. Whoever calls it writes the
// commit's author and committer (name, e-mail, date) as they please, as anyone with push access can; the forge
// does not vouch for such a commit, so it stays unsigned unless the caller supplies a signature of its own.
import { notFound, unprocessable } from './errors.js';
import type { Forge } from './forge.js';
import type { GitIdentity, TreeEdit } from './git-store.js';
import { asBody, type Body, optionalString, optionalStrings, requiredString } from './request-body.js';
import type { Route } from './routes.js';

const BLOBS_DOC = 'https://docs.github.com/rest/git/blobs#create-a-blob';
const TREES_DOC = 'https://docs.github.com/rest/git/trees#create-a-tree';
const COMMITS_DOC = 'https://docs.github.com/rest/git/commits#create-a-commit';
const GET_TREE_DOC = 'https://docs.github.com/rest/git/trees#get-a-tree';
/** GitHub lists at most this many entries of a recursive tree, then says `truncated`. */
export const TREE_ENTRY_LIMIT = 100_000;
const MODES = ['100644', '100755', '040000', '160000', '120000'] as const;
const SHA = /^[0-9a-f]{40}$/;

/** An author or committer as the caller wrote it; git cannot store "<", ">" or a line break in one. */
export function identityFrom(value: unknown, field: string, fallback: GitIdentity): GitIdentity {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'object' || Array.isArray(value))
    throw unprocessable(`Invalid request.\n\n"${field}" is not an object.`, COMMITS_DOC);
  const v = value as Body;
  const name = v.name ?? fallback.name;
  const email = v.email ?? fallback.email;
  if (typeof name !== 'string' || typeof email !== 'string')
    throw unprocessable(`Invalid request.\n\n"${field}" needs a name and an email.`, COMMITS_DOC);
  if (/[<>\n]/.test(name) || /[<>\n]/.test(email))
    throw unprocessable(`Invalid request.\n\n"${field}" cannot contain <, > or a line break.`, COMMITS_DOC);
  let at = fallback.at;
  if (v.date !== undefined && v.date !== null) {
    const ms = typeof v.date === 'string' ? Date.parse(v.date) : Number.NaN;
    if (Number.isNaN(ms))
      throw unprocessable(`Invalid request.\n\n"${field}.date" is not a date.`, COMMITS_DOC);
    at = Math.floor(ms / 1000);
  }
  return { name, email, at };
}

/** The tree edits of a create-a-tree body: every entry a path, a mode, and a sha (null removes) or content. */
function treeEntries(body: Body): (Omit<TreeEdit, 'sha'> & { sha: string | null; content?: string })[] {
  const tree = body.tree;
  if (!Array.isArray(tree)) throw unprocessable('Invalid request.\n\n"tree" wasn\'t supplied.', TREES_DOC);
  return tree.map((raw, i) => {
    const e = asBody(raw);
    const path = requiredString(e, 'path').replace(/^\/+|\/+$/g, '');
    const mode = requiredString(e, 'mode');
    if (!(MODES as readonly string[]).includes(mode))
      throw unprocessable(`Invalid request.\n\ntree[${i}].mode "${mode}" is not a git file mode.`, TREES_DOC);
    if (path === '' || path.split('/').some((s) => s === '' || s === '.' || s === '..' || s === '.git'))
      throw unprocessable(`tree.path "${path}" is not a valid path`, TREES_DOC);
    const content = optionalString(e, 'content');
    const sha = e.sha === null ? null : optionalString(e, 'sha');
    if (content === undefined && sha === undefined)
      throw unprocessable(`Invalid request.\n\ntree[${i}] needs a sha or content.`, TREES_DOC);
    return { path, mode: mode as TreeEdit['mode'], sha: sha ?? null, content };
  });
}

export function gitDataRoutes(forge: Forge): Route[] {
  const { state, rep } = forge;

  return [
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/git/blobs',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const content = requiredString(body, 'content');
        const encoding = optionalString(body, 'encoding') ?? 'utf-8';
        if (encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'base64')
          throw unprocessable(`encoding must be "utf-8" or "base64", not "${encoding}"`, BLOBS_DOC);
        const data = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
        const sha = await repo.git.writeBlob(data);
        const url = `${rep.base}/repos/${repo.fullName}/git/blobs/${sha}`;
        return { status: 201, body: { url, sha }, headers: { location: url } };
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/git/trees',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const entries = treeEntries(body);
        const baseTree = optionalString(body, 'base_tree');
        if (baseTree !== undefined && (await repo.git.objectType(baseTree)) !== 'tree')
          throw unprocessable('base_tree is not a valid tree oid', TREES_DOC);
        const edits: TreeEdit[] = [];
        for (const e of entries) {
          let sha = e.sha;
          if (e.content !== undefined) sha = await repo.git.writeBlob(Buffer.from(e.content, 'utf8'));
          if (sha !== null) {
            const expected = e.mode === '040000' ? 'tree' : e.mode === '160000' ? 'commit' : 'blob';
            // A submodule names a commit of another repository: git stores it without looking it up.
            if (expected !== 'commit' && (!SHA.test(sha) || (await repo.git.objectType(sha)) !== expected))
              throw unprocessable(`tree.sha ${sha} is not a valid ${expected}`, TREES_DOC);
          }
          edits.push({ path: e.path, mode: e.mode, sha });
        }
        const sha = await repo.git.writeTree(baseTree, edits);
        const listed = await repo.git.list(sha, '');
        const url = `${rep.base}/repos/${repo.fullName}/git/trees/${sha}`;
        return {
          status: 201,
          headers: { location: url },
          body: {
            sha,
            url,
            truncated: false,
            tree: listed.map((e) => ({
              path: e.path,
              mode: e.mode,
              type: e.type,
              sha: e.sha,
              ...(e.type === 'blob' ? { size: e.size } : {}),
              url: `${rep.base}/repos/${repo.fullName}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
            })),
          },
        };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/git/trees/{tree_sha}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        // A tree sha, or (as GitHub also takes) a commit sha, branch or tag whose tree is meant.
        const sha = await repo.git.resolveTree(ctx.params.tree_sha ?? '');
        if (!sha) throw notFound(GET_TREE_DOC);
        // Any value of `recursive` asks for every level, as on GitHub; absent, only the top one.
        const entries = await repo.git.tree(sha, ctx.query.has('recursive'));
        const url = (type: string, of: string) =>
          `${rep.base}/repos/${repo.fullName}/git/${type === 'tree' ? 'trees' : 'blobs'}/${of}`;
        return {
          status: 200,
          body: {
            sha,
            url: url('tree', sha),
            truncated: entries.length > TREE_ENTRY_LIMIT,
            tree: entries.slice(0, TREE_ENTRY_LIMIT).map((e) => ({
              path: e.path,
              mode: e.mode,
              type: e.type,
              sha: e.sha,
              ...(e.type === 'blob' ? { size: e.size } : {}),
              // A submodule names a commit of another repository: GitHub gives it no URL here.
              ...(e.type === 'commit' ? {} : { url: url(e.type, e.sha) }),
            })),
          },
        };
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/git/commits',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const message = requiredString(body, 'message');
        const tree = requiredString(body, 'tree');
        const parents = optionalStrings(body, 'parents') ?? [];
        const signature = optionalString(body, 'signature');
        // As on GitHub: the author defaults to the caller, the committer to the author.
        const author = identityFrom(body.author, 'author', state.identity(ctx.user.login));
        const committer = identityFrom(body.committer, 'committer', author);
        if ((await repo.git.objectType(tree)) !== 'tree')
          throw unprocessable('Tree SHA does not exist', COMMITS_DOC);
        for (const p of parents) {
          if ((await repo.git.objectType(p)) !== 'commit')
            throw unprocessable('Parent SHA does not exist or is not a commit object', COMMITS_DOC);
        }
        const sha = await repo.git.commitTree(
          tree,
          parents,
          message,
          author,
          committer,
          signature ? { signature } : 'none',
        );
        const json = rep.gitCommit(repo, await repo.git.commit(sha));
        return { status: 201, body: json, headers: { location: String(json.url) } };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/git/commits/{commit_sha}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const sha = ctx.params.commit_sha ?? '';
        if ((await repo.git.objectType(sha)) !== 'commit')
          throw notFound('https://docs.github.com/rest/git/commits#get-a-commit-object');
        return { status: 200, body: rep.gitCommit(repo, await repo.git.commit(sha)) };
      },
    },
  ];
}
