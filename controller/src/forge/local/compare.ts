// Comparing two commits and reading one commit, as GitHub answers them. The compare API is the one that can
// return every commit of a large change (paginated), where a pull request's commit list stops at 250.
import { ForgeError, notFound } from './errors.js';
import type { Forge } from './forge.js';
import { type ChangedFile, EMPTY_TREE } from './git-store.js';
import type { Representations } from './representations.js';
import { paginate, type Route } from './routes.js';
import type { RepoRecord } from './state.js';

const COMPARE_DOC = 'https://docs.github.com/rest/commits/commits#compare-two-commits';
const COMMIT_DOC = 'https://docs.github.com/rest/commits/commits#get-a-commit';
/** Without per_page or page, GitHub's compare lists the most recent 250 commits. */
export const UNPAGED_COMPARE_LIMIT = 250;
/** The changed files a comparison (or a commit) lists at most. */
export const FILES_LIMIT = 300;

/** "base...head" (or "base..head"), each side optionally "owner:ref", as GitHub reads a basehead. */
export function parseBasehead(basehead: string): { base: string; head: string } | undefined {
  const m = /^(.+?)\.{2,3}(.+)$/.exec(basehead);
  if (!m) return undefined;
  const side = (s: string) => s.replace(/^[^:/]+:/, '');
  return { base: side(m[1] ?? ''), head: side(m[2] ?? '') };
}

/** Where a comparison stands: GitHub's status from the commits on each side only. */
export function comparisonStatus(aheadBy: number, behindBy: number): string {
  if (aheadBy === 0 && behindBy === 0) return 'identical';
  if (behindBy === 0) return 'ahead';
  if (aheadBy === 0) return 'behind';
  return 'diverged';
}

/** A file of a diff in GitHub's diff-entry shape, its URLs at `sha`. */
export function diffEntry(rep: Representations, repo: RepoRecord, f: ChangedFile, sha: string) {
  const at = (kind: string) => `${rep.base}/${repo.fullName}/${kind}/${sha}/${f.path}`;
  return {
    sha: f.sha,
    filename: f.path,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: at('blob'),
    raw_url: at('raw'),
    contents_url: `${rep.base}/repos/${repo.fullName}/contents/${f.path}?ref=${sha}`,
    patch: f.patch,
  };
}

export function compareRoutes(forge: Forge): Route[] {
  const { rep } = forge;

  return [
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/compare/{basehead}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const basehead = ctx.params.basehead ?? '';
        const sides = parseBasehead(basehead);
        if (!sides) throw notFound(COMPARE_DOC);
        const base = await repo.git.resolve(sides.base);
        const head = await repo.git.resolve(sides.head);
        if (!base || !head) throw notFound(COMPARE_DOC);
        const mergeBase = await repo.git.mergeBase(base, head);
        if (!mergeBase)
          throw new ForgeError(
            404,
            `No common ancestor between ${sides.base} and ${sides.head}.`,
            COMPARE_DOC,
          );
        const ahead = await repo.git.revList([head], [base]);
        const behindBy = (await repo.git.revList([base], [head])).length;
        const paged = ctx.query.has('per_page') || ctx.query.has('page');
        let shas = ahead.slice(-UNPAGED_COMPARE_LIMIT);
        let link: string | undefined;
        if (paged) {
          const page = paginate(ahead, ctx.url);
          shas = page.items;
          link = page.link;
        }
        const firstPage = !paged || (Number.parseInt(ctx.query.get('page') ?? '1', 10) || 1) <= 1;
        const [baseCommit, mergeBaseCommit, ...commits] = await repo.git.commits([base, mergeBase, ...shas]);
        const files = firstPage ? (await repo.git.changedFiles(base, head)).slice(0, FILES_LIMIT) : undefined;
        const url = `${rep.base}/repos/${repo.fullName}/compare/${basehead}`;
        const html = `${rep.base}/${repo.fullName}/compare/${basehead}`;
        return {
          status: 200,
          headers: link ? { link } : undefined,
          body: {
            url,
            html_url: html,
            permalink_url: `${rep.base}/${repo.fullName}/compare/${base}...${head}`,
            diff_url: `${html}.diff`,
            patch_url: `${html}.patch`,
            base_commit: rep.commit(repo, baseCommit!),
            merge_base_commit: rep.commit(repo, mergeBaseCommit!),
            status: comparisonStatus(ahead.length, behindBy),
            ahead_by: ahead.length,
            behind_by: behindBy,
            total_commits: ahead.length,
            commits: commits.map((c) => rep.commit(repo, c)),
            ...(files ? { files: files.map((f) => diffEntry(rep, repo, f, head)) } : {}),
          },
        };
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/commits/{ref}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const ref = ctx.params.ref ?? '';
        const sha = await repo.git.resolve(ref);
        if (!sha) throw new ForgeError(422, `No commit found for SHA: ${ref}`, COMMIT_DOC);
        const commit = await repo.git.commit(sha);
        const files = (await repo.git.diffFiles(commit.parents[0] ?? EMPTY_TREE, sha)).slice(0, FILES_LIMIT);
        const additions = files.reduce((n, f) => n + f.additions, 0);
        const deletions = files.reduce((n, f) => n + f.deletions, 0);
        return {
          status: 200,
          body: {
            ...rep.commit(repo, commit),
            stats: { additions, deletions, total: additions + deletions },
            files: files.map((f) => diffEntry(rep, repo, f, sha)),
          },
        };
      },
    },
  ];
}
