// What every ref update sets off besides moving the ref: GitHub's `push` webhook (who pushed, which commits,
// whether it was forced, created or deleted) and, on the pull requests whose head moved, the timeline's record
// of a force push and of the commits that joined. The push event is the only place GitHub says who put a
// commit on a branch: commit metadata is whatever the pusher wrote.
import type { Forge } from './forge.js';
import type { GitCommit } from './git-store.js';
import { iso } from './representations.js';
import type { RepoRecord } from './state.js';
import { recordCommitted, recordEvent } from './timeline.js';

type Json = Record<string, unknown>;

export const NO_COMMIT = '0'.repeat(40);
/** GitHub lists at most this many commits in one push event. */
export const PUSH_COMMITS_LIMIT = 2048;

/** The facts of a ref update that the push event states, decided from what git says. */
export interface RefUpdate {
  ref: string;
  before: string | undefined;
  after: string | undefined;
  /** `before` is no longer reachable from `after`. */
  forced: boolean;
}

/** Whether a ref update is a creation, a deletion, or forced, in GitHub's three flags. */
export function pushFlags(u: RefUpdate): { created: boolean; deleted: boolean; forced: boolean } {
  return { created: u.before === undefined, deleted: u.after === undefined, forced: u.forced };
}

/**
 * After `ref` moved from `before` to `after` (undefined: it did not exist / no longer exists), as `pusher`:
 * record what the timelines of affected pull requests show, then deliver the push event. Call it after the
 * ref update and before the pull requests follow the new head.
 */
export async function refUpdated(
  forge: Forge,
  repo: RepoRecord,
  ref: string,
  before: string | undefined,
  after: string | undefined,
  pusher: string,
): Promise<void> {
  const git = repo.git;
  const forced = before !== undefined && after !== undefined && !(await git.isAncestor(before, after));
  if (ref.startsWith('refs/heads/') && after !== undefined) {
    const branch = ref.slice('refs/heads/'.length);
    for (const issue of forge.state.pullsWithHead(repo, branch)) {
      const old = issue.pull!.headSha;
      if (old === after) continue;
      if (!(await git.isAncestor(old, after))) {
        recordEvent(forge.state, issue, { event: 'head_ref_force_pushed', actor: pusher, commitId: after });
      }
      const base = await forge.baseSha(repo, issue);
      recordCommitted(forge.state, issue, await git.revList([after], [old, base]));
    }
  }
  forge.emit('push', repo, pusher, await pushPayload(forge, repo, { ref, before, after, forced }, pusher));
}

/** The body of GitHub's push event, without the repository, organisation and sender every event carries. */
export async function pushPayload(
  forge: Forge,
  repo: RepoRecord,
  u: RefUpdate,
  pusher: string,
): Promise<Json> {
  const git = repo.git;
  const others = [...(await git.refs()).entries()].filter(([name]) => name !== u.ref).map(([, sha]) => sha);
  let shas: string[] = [];
  let distinct = new Set<string>();
  if (u.after !== undefined) {
    shas = await git.revList([u.after], u.before ? [u.before] : others);
    distinct = new Set(u.before ? await git.revList([u.after], [u.before, ...others]) : shas);
  }
  shas = shas.slice(-PUSH_COMMITS_LIMIT);
  const commits = await git.commits(shas);
  const changes = await git.changesOf(shas);
  const user = forge.state.users.get(pusher);
  const base = forge.rep.base;
  const commitJson = (c: GitCommit, isDistinct: boolean): Json => {
    const who = (p: GitCommit['author']) => {
      const login = forge.state.userByEmail(p.email)?.login;
      return { name: p.name, email: p.email, ...(login ? { username: login } : {}) };
    };
    const ch = changes.get(c.sha) ?? { added: [], removed: [], modified: [] };
    return {
      id: c.sha,
      tree_id: c.tree,
      distinct: isDistinct,
      message: c.message.replace(/\n$/, ''),
      timestamp: iso(c.author.at),
      url: `${base}/${repo.fullName}/commit/${c.sha}`,
      author: who(c.author),
      committer: who(c.committer),
      added: ch.added,
      removed: ch.removed,
      modified: ch.modified,
    };
  };
  let headCommit: Json | null = null;
  if (u.after !== undefined) {
    const head = commits.find((c) => c.sha === u.after) ?? (await git.commit(u.after));
    const headChanges = changes.has(head.sha) ? undefined : await git.changesOf([head.sha]);
    if (headChanges) changes.set(head.sha, headChanges.get(head.sha)!);
    headCommit = commitJson(head, distinct.has(head.sha));
  }
  const short = (sha: string | undefined) => (sha ?? NO_COMMIT).slice(0, 12);
  return {
    ref: u.ref,
    before: u.before ?? NO_COMMIT,
    after: u.after ?? NO_COMMIT,
    ...pushFlags(u),
    base_ref: null,
    compare: `${base}/${repo.fullName}/compare/${short(u.before)}...${short(u.after)}`,
    commits: commits.map((c) => commitJson(c, distinct.has(c.sha))),
    head_commit: headCommit,
    pusher: { name: pusher, email: user?.email ?? null },
  };
}
