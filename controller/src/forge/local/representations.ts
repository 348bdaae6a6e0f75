// The forge's records as GitHub's REST API represents them: every field the published response schema
// requires, URLs built on the forge's own base, times in ISO 8601 without fractions, as GitHub sends them.
import type { GitCommit } from './git-store.js';
import { verificationJson } from './signing.js';
import type {
  AppRecord,
  CheckRunRecord,
  CommentRecord,
  ForgeState,
  IssueRecord,
  LabelRecord,
  OrgRecord,
  RepoRecord,
  ReviewRecord,
  StatusRecord,
  TeamRecord,
  UserRecord,
} from './state.js';

type Json = Record<string, unknown>;

export const iso = (seconds: number): string =>
  new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const isoOrNull = (seconds: number | null | undefined): string | null =>
  seconds === null || seconds === undefined ? null : iso(seconds);
export const nodeId = (type: string, id: number | string): string =>
  Buffer.from(`${type}:${id}`).toString('base64');

export class Representations {
  constructor(
    readonly base: string,
    readonly state: ForgeState,
  ) {}

  user(u: UserRecord | string): Json {
    const rec = typeof u === 'string' ? this.state.users.get(u) : u;
    const login = rec?.login ?? (u as string);
    const id = rec?.id ?? 0;
    // An App's bot login (`vigil[bot]`) is escaped in URLs, as GitHub does.
    const path = encodeURIComponent(login);
    const url = `${this.base}/users/${path}`;
    return {
      login,
      id,
      node_id: nodeId('User', id),
      avatar_url: `${this.base}/avatars/${path}`,
      gravatar_id: '',
      url,
      html_url: `${this.base}/${path}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: rec?.type ?? 'User',
      user_view_type: 'public',
      site_admin: false,
    };
  }

  /** GET /user: the authenticated user's private view. */
  privateUser(u: UserRecord): Json {
    return {
      ...this.user(u),
      name: u.name,
      company: null,
      blog: '',
      location: null,
      email: u.email,
      hireable: null,
      bio: null,
      twitter_username: null,
      notification_email: u.email,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: iso(u.createdAt),
      updated_at: iso(u.createdAt),
      private_gists: 0,
      total_private_repos: 0,
      owned_private_repos: 0,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
    };
  }

  org(o: OrgRecord): Json {
    const url = `${this.base}/orgs/${o.login}`;
    return {
      login: o.login,
      id: o.id,
      node_id: nodeId('Organization', o.id),
      url,
      repos_url: `${url}/repos`,
      events_url: `${url}/events`,
      hooks_url: `${url}/hooks`,
      issues_url: `${url}/issues`,
      members_url: `${url}/members{/member}`,
      public_members_url: `${url}/public_members{/member}`,
      avatar_url: `${this.base}/avatars/${o.login}`,
      description: o.name,
    };
  }

  /** The owner of a repository: an organisation answers as a user of type Organization. */
  private owner(login: string): Json {
    const org = this.state.orgs.get(login);
    if (!org) return this.user(login);
    return { ...this.user(login), id: org.id, node_id: nodeId('Organization', org.id), type: 'Organization' };
  }

  repo(r: RepoRecord, full = false): Json {
    const url = `${this.base}/repos/${r.fullName}`;
    const html = `${this.base}/${r.fullName}`;
    const minimal: Json = {
      id: r.id,
      node_id: nodeId('Repository', r.id),
      name: r.name,
      full_name: r.fullName,
      private: r.private,
      owner: this.owner(r.owner),
      html_url: html,
      description: r.description,
      fork: false,
      url,
      archive_url: `${url}/{archive_format}{/ref}`,
      assignees_url: `${url}/assignees{/user}`,
      blobs_url: `${url}/git/blobs{/sha}`,
      branches_url: `${url}/branches{/branch}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      comments_url: `${url}/comments{/number}`,
      commits_url: `${url}/commits{/sha}`,
      compare_url: `${url}/compare/{base}...{head}`,
      contents_url: `${url}/contents/{+path}`,
      contributors_url: `${url}/contributors`,
      deployments_url: `${url}/deployments`,
      downloads_url: `${url}/downloads`,
      events_url: `${url}/events`,
      forks_url: `${url}/forks`,
      git_commits_url: `${url}/git/commits{/sha}`,
      git_refs_url: `${url}/git/refs{/sha}`,
      git_tags_url: `${url}/git/tags{/sha}`,
      git_url: `${html}.git`,
      issue_comment_url: `${url}/issues/comments{/number}`,
      issue_events_url: `${url}/issues/events{/number}`,
      issues_url: `${url}/issues{/number}`,
      keys_url: `${url}/keys{/key_id}`,
      labels_url: `${url}/labels{/name}`,
      languages_url: `${url}/languages`,
      merges_url: `${url}/merges`,
      milestones_url: `${url}/milestones{/number}`,
      notifications_url: `${url}/notifications{?since,all,participating}`,
      pulls_url: `${url}/pulls{/number}`,
      releases_url: `${url}/releases{/id}`,
      ssh_url: `${html}.git`,
      stargazers_url: `${url}/stargazers`,
      statuses_url: `${url}/statuses/{sha}`,
      subscribers_url: `${url}/subscribers`,
      subscription_url: `${url}/subscription`,
      tags_url: `${url}/tags`,
      teams_url: `${url}/teams`,
      trees_url: `${url}/git/trees{/sha}`,
      clone_url: `${html}.git`,
      mirror_url: null,
      hooks_url: `${url}/hooks`,
      svn_url: html,
      homepage: null,
      language: 'YAML',
      forks_count: 0,
      stargazers_count: 0,
      watchers_count: 0,
      size: 1,
      default_branch: r.defaultBranch,
      open_issues_count: [...r.issues.values()].filter((i) => i.state === 'open').length,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: false,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: r.private ? 'private' : 'public',
      pushed_at: iso(r.pushedAt),
      created_at: iso(r.createdAt),
      updated_at: iso(r.updatedAt),
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_forking: false,
      web_commit_signoff_required: false,
      license: null,
      forks: 0,
      open_issues: [...r.issues.values()].filter((i) => i.state === 'open').length,
      watchers: 0,
    };
    if (!full) return minimal;
    return {
      ...minimal,
      allow_merge_commit: true,
      allow_squash_merge: true,
      allow_rebase_merge: false,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_update_branch: true,
      use_squash_pr_title_as_default: true,
      squash_merge_commit_title: 'PR_TITLE',
      squash_merge_commit_message: 'COMMIT_MESSAGES',
      merge_commit_title: 'MERGE_MESSAGE',
      merge_commit_message: 'PR_TITLE',
      network_count: 0,
      subscribers_count: 0,
      organization: this.owner(r.owner),
    };
  }

  label(l: LabelRecord, r: RepoRecord): Json {
    return {
      id: l.id,
      node_id: nodeId('Label', l.id),
      url: `${this.base}/repos/${r.fullName}/labels/${encodeURIComponent(l.name)}`,
      name: l.name,
      description: l.description,
      color: l.color,
      default: false,
    };
  }

  private labels(r: RepoRecord, names: string[], descriptionRequired = false): Json[] {
    return names
      .map((n) => r.labels.get(n))
      .flatMap((l) => {
        if (!l) return [];
        const json = this.label(l, r);
        // The pull-request-simple schema (lists, review requests) types a label's description as a plain
        // string, unlike every other label schema; an empty string satisfies both readings.
        return [descriptionRequired && json.description === null ? { ...json, description: '' } : json];
      });
  }

  team(t: TeamRecord): Json {
    const org = this.state.orgs.get(t.org);
    const url = `${this.base}/organizations/${org?.id ?? 0}/team/${t.id}`;
    return {
      id: t.id,
      node_id: nodeId('Team', t.id),
      url,
      html_url: `${this.base}/orgs/${t.org}/teams/${t.slug}`,
      name: t.name,
      slug: t.slug,
      description: t.description,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${url}/members{/member}`,
      repositories_url: `${url}/repos`,
      type: 'organization',
      organization_id: org?.id ?? 0,
      parent: null,
    };
  }

  teamFull(t: TeamRecord): Json {
    const org = this.state.orgs.get(t.org);
    const orgJson = org
      ? {
          ...this.org(org),
          name: org.name,
          html_url: `${this.base}/${org.login}`,
          has_organization_projects: false,
          has_repository_projects: false,
          public_repos: 0,
          public_gists: 0,
          followers: 0,
          following: 0,
          type: 'Organization',
          created_at: iso(org.createdAt),
          updated_at: iso(org.createdAt),
          archived_at: null,
        }
      : {};
    return {
      ...this.team(t),
      members_count: [...t.members.values()].filter((m) => m.state === 'active').length,
      repos_count: [...this.state.repos.values()].filter((r) => r.owner === t.org).length,
      created_at: iso(t.createdAt),
      updated_at: iso(t.createdAt),
      organization: orgJson,
    };
  }

  /** A pull request; `simple` is the list shape, without the counts and merge state. */
  pull(
    r: RepoRecord,
    issue: IssueRecord,
    extra: {
      baseSha: string;
      mergeable?: boolean | null;
      mergeableState?: string;
      simple?: boolean;
    } & Partial<{
      commits: number;
      additions: number;
      deletions: number;
      changedFiles: number;
    }>,
  ): Json {
    const p = issue.pull!;
    const url = `${this.base}/repos/${r.fullName}/pulls/${issue.number}`;
    const issueUrl = `${this.base}/repos/${r.fullName}/issues/${issue.number}`;
    const html = `${this.base}/${r.fullName}/pull/${issue.number}`;
    const repoJson = this.repo(r);
    const head = {
      label: `${r.owner}:${p.headRef}`,
      ref: p.headRef,
      sha: p.headSha,
      user: this.owner(r.owner),
      repo: repoJson,
    };
    const base = {
      label: `${r.owner}:${p.baseRef}`,
      ref: p.baseRef,
      sha: extra.baseSha,
      user: this.owner(r.owner),
      repo: repoJson,
    };
    const link = (href: string) => ({ href });
    const json: Json = {
      url,
      id: p.id,
      node_id: nodeId('PullRequest', p.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issueUrl,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${this.base}/repos/${r.fullName}/pulls/comments{/number}`,
      comments_url: `${issueUrl}/comments`,
      statuses_url: `${this.base}/repos/${r.fullName}/statuses/${p.headSha}`,
      number: issue.number,
      state: issue.state,
      locked: false,
      title: issue.title,
      user: this.user(issue.user),
      body: issue.body,
      labels: this.labels(r, issue.labels, true),
      milestone: null,
      active_lock_reason: null,
      created_at: iso(issue.createdAt),
      updated_at: iso(issue.updatedAt),
      closed_at: isoOrNull(issue.closedAt),
      merged_at: isoOrNull(p.mergedAt),
      merge_commit_sha: p.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: p.requestedReviewers.map((u) => this.user(u)),
      requested_teams: p.requestedTeams.flatMap((slug) => {
        const t = this.state.orgs.get(r.owner)?.teams.get(slug);
        return t ? [this.team(t)] : [];
      }),
      head,
      base,
      _links: {
        self: link(url),
        html: link(html),
        issue: link(issueUrl),
        comments: link(`${issueUrl}/comments`),
        review_comments: link(`${url}/comments`),
        review_comment: link(`${this.base}/repos/${r.fullName}/pulls/comments{/number}`),
        commits: link(`${url}/commits`),
        statuses: link(`${this.base}/repos/${r.fullName}/statuses/${p.headSha}`),
      },
      author_association: this.association(r, issue.user),
      auto_merge: null,
      draft: p.draft,
    };
    if (extra.simple) return json;
    return {
      ...json,
      merged: p.merged,
      mergeable: extra.mergeable ?? null,
      rebaseable: false,
      mergeable_state: extra.mergeableState ?? 'unknown',
      merged_by: p.mergedBy ? this.user(p.mergedBy) : null,
      comments: issue.comments.length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: extra.commits ?? 0,
      additions: extra.additions ?? 0,
      deletions: extra.deletions ?? 0,
      changed_files: extra.changedFiles ?? 0,
    };
  }

  association(r: RepoRecord, login: string): string {
    return this.state.isOrgMember(r.owner, login) ? 'MEMBER' : 'NONE';
  }

  review(r: RepoRecord, issue: IssueRecord, v: ReviewRecord): Json {
    const html = `${this.base}/${r.fullName}/pull/${issue.number}#pullrequestreview-${v.id}`;
    const pullUrl = `${this.base}/repos/${r.fullName}/pulls/${issue.number}`;
    return {
      id: v.id,
      node_id: nodeId('PullRequestReview', v.id),
      user: this.user(v.user),
      body: v.body,
      state: v.state,
      html_url: html,
      pull_request_url: pullUrl,
      _links: { html: { href: html }, pull_request: { href: pullUrl } },
      submitted_at: iso(v.submittedAt),
      commit_id: v.commitId,
      author_association: this.association(r, v.user),
    };
  }

  issue(r: RepoRecord, i: IssueRecord): Json {
    const url = `${this.base}/repos/${r.fullName}/issues/${i.number}`;
    const json: Json = {
      id: i.id,
      node_id: nodeId('Issue', i.id),
      url,
      repository_url: `${this.base}/repos/${r.fullName}`,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `${this.base}/${r.fullName}/issues/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.stateReason ?? (i.state === 'closed' ? 'completed' : null),
      title: i.title,
      body: i.body,
      user: this.user(i.user),
      labels: this.labels(r, i.labels),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: i.comments.length,
      closed_at: isoOrNull(i.closedAt),
      created_at: iso(i.createdAt),
      updated_at: iso(i.updatedAt),
      closed_by: null,
      author_association: this.association(r, i.user),
    };
    if (i.pull) {
      const pulls = `${this.base}/repos/${r.fullName}/pulls/${i.number}`;
      json.pull_request = {
        url: pulls,
        html_url: `${this.base}/${r.fullName}/pull/${i.number}`,
        diff_url: `${this.base}/${r.fullName}/pull/${i.number}.diff`,
        patch_url: `${this.base}/${r.fullName}/pull/${i.number}.patch`,
        merged_at: isoOrNull(i.pull.mergedAt),
      };
    }
    return json;
  }

  comment(r: RepoRecord, i: IssueRecord, c: CommentRecord): Json {
    return {
      id: c.id,
      node_id: nodeId('IssueComment', c.id),
      url: `${this.base}/repos/${r.fullName}/issues/comments/${c.id}`,
      html_url: `${this.base}/${r.fullName}/issues/${i.number}#issuecomment-${c.id}`,
      issue_url: `${this.base}/repos/${r.fullName}/issues/${i.number}`,
      body: c.body,
      user: this.user(c.user),
      created_at: iso(c.createdAt),
      updated_at: iso(c.updatedAt),
      author_association: this.association(r, c.user),
    };
  }

  /** A GitHub App (an "integration"), owned by its organisation. */
  app(a: AppRecord): Json {
    return {
      id: a.id,
      slug: a.slug,
      node_id: nodeId('Integration', a.id),
      client_id: `Iv1.${a.slug}-${a.id}`,
      owner: this.owner(a.owner),
      name: a.name,
      description: a.description ?? null,
      external_url: `${this.base}/apps/${a.slug}`,
      html_url: `${this.base}/apps/${a.slug}`,
      created_at: iso(a.createdAt),
      updated_at: iso(a.createdAt),
      permissions: { ...a.permissions },
      events: [...a.events],
    };
  }

  checkRun(r: RepoRecord, c: CheckRunRecord): Json {
    const url = `${this.base}/repos/${r.fullName}/check-runs/${c.id}`;
    const repoMin = { id: r.id, url: `${this.base}/repos/${r.fullName}`, name: r.name };
    const pulls = [...r.issues.values()].filter(
      (i) => i.pull && i.state === 'open' && i.pull.headSha === c.headSha,
    );
    return {
      id: c.id,
      node_id: nodeId('CheckRun', c.id),
      head_sha: c.headSha,
      external_id: c.externalId,
      url,
      html_url: `${this.base}/${r.fullName}/runs/${c.id}`,
      details_url: c.detailsUrl,
      status: c.status,
      conclusion: c.conclusion,
      started_at: iso(c.startedAt),
      completed_at: isoOrNull(c.completedAt),
      output: {
        title: c.output.title,
        summary: c.output.summary,
        text: c.output.text,
        annotations_count: 0,
        annotations_url: `${url}/annotations`,
      },
      name: c.name,
      check_suite: { id: c.suiteId },
      app: (() => {
        const app = this.state.appById(c.appId);
        return app ? this.app(app) : null;
      })(),
      pull_requests: pulls.map((i) => ({
        id: i.pull!.id,
        number: i.number,
        url: `${this.base}/repos/${r.fullName}/pulls/${i.number}`,
        head: { ref: i.pull!.headRef, sha: i.pull!.headSha, repo: repoMin },
        base: { ref: i.pull!.baseRef, sha: i.pull!.baseSha, repo: repoMin },
      })),
    };
  }

  status(r: RepoRecord, s: StatusRecord): Json {
    return {
      url: `${this.base}/repos/${r.fullName}/statuses/${s.sha}`,
      avatar_url: `${this.base}/avatars/${encodeURIComponent(s.creator)}`,
      id: s.id,
      node_id: nodeId('StatusContext', s.id),
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: iso(s.createdAt),
      updated_at: iso(s.createdAt),
      creator: this.user(s.creator),
    };
  }

  private gitUser(who: GitCommit['author']): Json {
    return { name: who.name, email: who.email, date: iso(who.at) };
  }

  private userForEmail(email: string): Json | null {
    const u = this.state.userByEmail(email);
    return u ? this.user(u) : null;
  }

  commit(r: RepoRecord, c: GitCommit): Json {
    const url = `${this.base}/repos/${r.fullName}/commits/${c.sha}`;
    return {
      url,
      sha: c.sha,
      node_id: nodeId('Commit', c.sha),
      html_url: `${this.base}/${r.fullName}/commit/${c.sha}`,
      comments_url: `${url}/comments`,
      commit: {
        url: `${this.base}/repos/${r.fullName}/git/commits/${c.sha}`,
        author: this.gitUser(c.author),
        committer: this.gitUser(c.committer),
        message: c.message.replace(/\n$/, ''),
        comment_count: 0,
        tree: { sha: c.tree, url: `${this.base}/repos/${r.fullName}/git/trees/${c.tree}` },
        verification: verificationJson(c.verification),
      },
      author: this.userForEmail(c.author.email),
      committer: this.userForEmail(c.committer.email),
      parents: c.parents.map((p) => ({
        sha: p,
        url: `${this.base}/repos/${r.fullName}/commits/${p}`,
        html_url: `${this.base}/${r.fullName}/commit/${p}`,
      })),
    };
  }

  /** The git-level commit object as the contents API returns it after a write. */
  gitCommit(r: RepoRecord, c: GitCommit): Json {
    return {
      sha: c.sha,
      node_id: nodeId('Commit', c.sha),
      url: `${this.base}/repos/${r.fullName}/git/commits/${c.sha}`,
      html_url: `${this.base}/${r.fullName}/commit/${c.sha}`,
      author: this.gitUser(c.author),
      committer: this.gitUser(c.committer),
      message: c.message.replace(/\n$/, ''),
      tree: { sha: c.tree, url: `${this.base}/repos/${r.fullName}/git/trees/${c.tree}` },
      parents: c.parents.map((p) => ({
        sha: p,
        url: `${this.base}/repos/${r.fullName}/git/commits/${p}`,
        html_url: `${this.base}/${r.fullName}/commit/${p}`,
      })),
      verification: verificationJson(c.verification),
    };
  }

  /** A file or directory entry of the contents API (without content; `contentFile` adds it). */
  contentEntry(
    r: RepoRecord,
    entry: { path: string; sha: string; size: number; type: string },
    ref: string,
  ): Json {
    const url = `${this.base}/repos/${r.fullName}/contents/${entry.path}?ref=${encodeURIComponent(ref)}`;
    const kind = entry.type === 'tree' ? 'dir' : entry.type === 'commit' ? 'submodule' : 'file';
    const gitUrl = `${this.base}/repos/${r.fullName}/git/${kind === 'dir' ? 'trees' : 'blobs'}/${entry.sha}`;
    const html = `${this.base}/${r.fullName}/${kind === 'dir' ? 'tree' : 'blob'}/${ref}/${entry.path}`;
    return {
      type: kind,
      size: entry.size,
      name: entry.path.split('/').pop() ?? entry.path,
      path: entry.path,
      sha: entry.sha,
      url,
      git_url: gitUrl,
      html_url: html,
      download_url: kind === 'file' ? `${this.base}/${r.fullName}/raw/${ref}/${entry.path}` : null,
      _links: { self: url, git: gitUrl, html },
    };
  }
}
