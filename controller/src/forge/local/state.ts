// What the forge knows besides the git objects: users, teams, pull requests, reviews, issues, labels, check
// runs and statuses, in memory. Git holds the content; this holds the conversation around it.
import { join } from 'node:path';
import type { Clock } from '../../runtime/clock.js';
import { BareRepo, type GitIdentity } from './git-store.js';
import {
  type AccessSeed,
  type AppSeed,
  initialFiles,
  type LoadedSeed,
  type ProtectionSeed,
  REPO_ROLES,
  type RepoRole,
} from './seed.js';

export interface UserRecord {
  id: number;
  login: string;
  name: string;
  email: string;
  type: 'User' | 'Bot';
  token: string;
  createdAt: number;
  /** Present for an App's bot (`<slug>[bot]`): requests with its installation token act as the App. */
  app?: AppRecord;
  /** The App itself, authenticated by its JWT: it may only mint installation tokens. */
  viaJwt?: boolean;
}

export interface AppRecord extends AppSeed {
  createdAt: number;
  /** The bot user the App acts as. */
  bot: UserRecord;
}

export interface Membership {
  role: 'member' | 'maintainer';
  state: 'active' | 'pending';
}

export interface TeamRecord {
  id: number;
  org: string;
  slug: string;
  name: string;
  description: string | null;
  members: Map<string, Membership>;
  createdAt: number;
}

export interface OrgRecord {
  id: number;
  login: string;
  name: string;
  teams: Map<string, TeamRecord>;
  createdAt: number;
}

export interface ReviewRecord {
  id: number;
  user: string;
  body: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  commitId: string;
  submittedAt: number;
}

export interface CommentRecord {
  id: number;
  user: string;
  body: string;
  createdAt: number;
  updatedAt: number;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface PullRecord {
  id: number;
  headRef: string;
  baseRef: string;
  /** Follows the head branch while open; frozen when closed. */
  headSha: string;
  /** The base branch tip as last seen: kept up to date while open, frozen when closed or merged. */
  baseSha: string;
  draft: boolean;
  merged: boolean;
  mergedAt: number | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  requestedReviewers: string[];
  requestedTeams: string[];
  reviews: ReviewRecord[];
}

export interface IssueRecord {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: string;
  state: 'open' | 'closed';
  /** Why it was last closed or reopened (GitHub's `state_reason`); a pull request has none. */
  stateReason?: 'completed' | 'not_planned' | 'reopened';
  labels: string[];
  comments: CommentRecord[];
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  /** Present when the issue is a pull request (they share one number sequence, as on GitHub). */
  pull?: PullRecord;
}

export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required';

export interface CheckRunRecord {
  id: number;
  suiteId: number;
  headSha: string;
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: number;
  completedAt: number | null;
  output: { title: string | null; summary: string | null; text: string | null };
  detailsUrl: string | null;
  externalId: string | null;
  createdBy: string;
  /** The App that created the run: only it may update the run, and only it satisfies a check pinned to it. */
  appId: number;
}

export interface StatusRecord {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: number;
  creator: string;
}

export interface RepoRecord {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  description: string | null;
  private: boolean;
  defaultBranch: string;
  protection?: ProtectionSeed;
  access?: AccessSeed;
  /** The ruleset's id when protection is a ruleset (GET /rulesets/{id}). */
  rulesetId: number;
  createdAt: number;
  updatedAt: number;
  pushedAt: number;
  git: BareRepo;
  issues: Map<number, IssueRecord>;
  nextNumber: number;
  labels: Map<string, LabelRecord>;
  checkRuns: CheckRunRecord[];
  statuses: StatusRecord[];
  /** Serialises writes to this repository: git refs and records change together. */
  lock: Mutex;
}

/** A one-at-a-time lock: each holder runs after the previous one settles. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class ForgeState {
  readonly users = new Map<string, UserRecord>();
  readonly orgs = new Map<string, OrgRecord>();
  readonly repos = new Map<string, RepoRecord>();
  readonly apps = new Map<string, AppRecord>();
  private readonly byToken = new Map<string, UserRecord>();
  /** When a minted installation token stops working (seconds); seed tokens never expire. */
  private readonly tokenExpiry = new Map<string, number>();
  private readonly jwtPrincipals = new Map<string, UserRecord>();
  private readonly byEmail = new Map<string, UserRecord>();
  private nextId = 1001;

  constructor(
    readonly clock: Clock,
    readonly dataDir: string,
  ) {}

  newId(): number {
    return this.nextId++;
  }

  /** Seconds since the epoch on the forge's clock (git and GitHub both speak in whole seconds). */
  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  userByToken(token: string): UserRecord | undefined {
    const expiry = this.tokenExpiry.get(token);
    if (expiry !== undefined && expiry <= this.nowSeconds()) return undefined;
    return this.byToken.get(token);
  }

  /** A token minted at run time (an installation token), valid until `expiresAt` seconds. */
  addToken(token: string, user: UserRecord, expiresAt: number): void {
    this.byToken.set(token, user);
    this.tokenExpiry.set(token, expiresAt);
  }

  /** Who a request authenticated with an App's JWT is: the App, allowed only its own endpoints. */
  jwtPrincipal(app: AppRecord): UserRecord {
    let principal = this.jwtPrincipals.get(app.slug);
    if (!principal) {
      principal = { ...app.bot, viaJwt: true };
      this.jwtPrincipals.set(app.slug, principal);
    }
    return principal;
  }

  userByEmail(email: string): UserRecord | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  identity(login: string): GitIdentity {
    const u = this.users.get(login);
    return {
      name: u?.name ?? login,
      email: u?.email ?? `${login}@users.noreply.forge.localhost`,
      at: this.nowSeconds(),
    };
  }

  /** An active member of any of the organisation's teams (how the seed makes org members). */
  isOrgMember(org: string, login: string): boolean {
    const o = this.orgs.get(org);
    if (!o) return false;
    for (const t of o.teams.values()) if (t.members.get(login)?.state === 'active') return true;
    return false;
  }

  appById(id: number): AppRecord | undefined {
    for (const a of this.apps.values()) if (a.id === id) return a;
    return undefined;
  }

  /** Whether a user is an active member of one of the org's teams. */
  inTeam(org: string, slug: string, login: string): boolean {
    return this.orgs.get(org)?.teams.get(slug)?.members.get(login)?.state === 'active';
  }

  /**
   * A user's role on a repository, as GitHub computes it: the highest of the organisation's base permission,
   * every team grant the user is an active member of, and a direct collaborator grant. Without an `access`
   * section every org member writes (the forge's permissive default). Apps have permissions, not roles.
   */
  roleOf(repo: RepoRecord, login: string): RepoRole | undefined {
    const rank = (r: RepoRole | 'none' | undefined) => (r && r !== 'none' ? REPO_ROLES.indexOf(r) : -1);
    const member = this.isOrgMember(repo.owner, login);
    if (!repo.access) return member ? 'write' : undefined;
    let best = member ? rank(repo.access.base) : -1;
    for (const [slug, role] of Object.entries(repo.access.teams))
      if (this.inTeam(repo.owner, slug, login)) best = Math.max(best, rank(role));
    best = Math.max(best, rank(repo.access.users[login]));
    return best < 0 ? undefined : REPO_ROLES[best];
  }

  /** Whether a user's role (or an App's permission) reaches `needed` on the repository. */
  can(repo: RepoRecord, user: UserRecord, needed: RepoRole): boolean {
    if (user.app) {
      if (user.app.owner.toLowerCase() !== repo.owner.toLowerCase()) return false;
      if (needed === 'read') return true;
      // An App writes contents and pull requests by its permissions; it never holds a role above write.
      return (needed === 'write' || needed === 'triage') && user.app.permissions.contents === 'write';
    }
    const role = this.roleOf(repo, user.login);
    return role !== undefined && REPO_ROLES.indexOf(role) >= REPO_ROLES.indexOf(needed);
  }

  async load({ seed, baseDir }: LoadedSeed): Promise<void> {
    const now = this.nowSeconds();
    for (const u of seed.users) {
      const record: UserRecord = {
        id: this.newId(),
        login: u.login,
        name: u.name ?? u.login,
        email: u.email ?? `${u.login}@users.noreply.forge.localhost`,
        type: u.type,
        token: u.token,
        createdAt: now,
      };
      this.users.set(u.login, record);
      this.byToken.set(u.token, record);
      this.byEmail.set(record.email.toLowerCase(), record);
    }
    for (const o of seed.organizations) {
      const org: OrgRecord = {
        id: this.newId(),
        login: o.login,
        name: o.name ?? o.login,
        teams: new Map(),
        createdAt: now,
      };
      for (const t of o.teams) {
        const members = new Map<string, Membership>();
        for (const m of t.members) members.set(m, { role: 'member', state: 'active' });
        for (const m of t.maintainers) members.set(m, { role: 'maintainer', state: 'active' });
        for (const m of t.pending) members.set(m, { role: 'member', state: 'pending' });
        org.teams.set(t.slug, {
          id: this.newId(),
          org: o.login,
          slug: t.slug,
          name: t.name ?? t.slug,
          description: t.description ?? null,
          members,
          createdAt: now,
        });
      }
      this.orgs.set(o.login, org);
    }
    for (const a of seed.apps) {
      const bot: UserRecord = {
        id: this.newId(),
        login: `${a.slug}[bot]`,
        name: a.name,
        // GitHub writes `<id>+<slug>[bot]@…`; brackets are not a valid address for the schema's email format.
        email: `${a.id}+${a.slug}-bot@users.noreply.forge.localhost`,
        type: 'Bot',
        token: a.token,
        createdAt: now,
      };
      const app: AppRecord = { ...a, createdAt: now, bot };
      bot.app = app;
      this.apps.set(a.slug, app);
      this.users.set(bot.login, bot);
      this.byToken.set(a.token, bot);
      this.byEmail.set(bot.email.toLowerCase(), bot);
    }
    for (const r of seed.repositories) {
      const [owner = '', name = ''] = r.fullName.split('/');
      const git = await BareRepo.init(join(this.dataDir, owner, `${name}.git`), r.defaultBranch);
      const files = initialFiles(r, baseDir);
      const committer = r.initialCommitter ?? this.firstMaintainer(owner) ?? seed.users[0]?.login ?? 'forge';
      if (!(await git.branchTip(r.defaultBranch))) {
        let parent: string | undefined;
        for (const earlier of r.history) {
          const changed = new Map(Object.entries(earlier.files).map(([p, text]) => [p, Buffer.from(text)]));
          parent = await git.commitFiles(parent, changed, earlier.message, this.identity(committer));
        }
        const sha = await git.commitFiles(
          parent,
          files,
          files.size > 0 ? 'Initial content' : 'Initial commit',
          this.identity(committer),
        );
        await git.updateRef(`refs/heads/${r.defaultBranch}`, sha, undefined);
      }
      this.repos.set(r.fullName.toLowerCase(), {
        id: this.newId(),
        owner,
        name,
        fullName: r.fullName,
        description: r.description ?? null,
        private: r.private,
        defaultBranch: r.defaultBranch,
        protection: r.protection,
        access: r.access,
        rulesetId: this.newId(),
        createdAt: now,
        updatedAt: now,
        pushedAt: now,
        git,
        issues: new Map(),
        nextNumber: 1,
        labels: new Map(),
        checkRuns: [],
        statuses: [],
        lock: new Mutex(),
      });
    }
  }

  private firstMaintainer(org: string): string | undefined {
    for (const t of this.orgs.get(org)?.teams.values() ?? []) {
      for (const [login, m] of t.members) if (m.role === 'maintainer') return login;
    }
    return undefined;
  }

  repo(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  pullsWithHead(repo: RepoRecord, branch: string): IssueRecord[] {
    return [...repo.issues.values()].filter((i) => i.pull && i.state === 'open' && i.pull.headRef === branch);
  }
}
