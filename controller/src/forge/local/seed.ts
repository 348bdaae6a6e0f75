// The local forge's world: organisations with teams, users with their tokens, and repositories with their
// initial content and how their default branch is protected. Read from YAML (examples/forge/seed.yaml) or
// given as an object; checked before anything starts, with the field named in every error.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

const login = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i, { message: 'must be a GitHub login such as "ds-lead"' });

const teamSeed = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be a team slug such as "data-science"' }),
  name: z.string().optional(),
  description: z.string().optional(),
  maintainers: z.array(login).default([]),
  members: z.array(login).default([]),
  /** Invited but not yet accepted: GitHub reports their membership as `pending`. */
  pending: z.array(login).default([]),
});

const orgSeed = z.strictObject({
  login,
  name: z.string().optional(),
  teams: z.array(teamSeed).default([]),
});

const userSeed = z.strictObject({
  login,
  name: z.string().optional(),
  email: z.string().optional(),
  type: z.enum(['User', 'Bot']).default('User'),
  token: z.string().min(8, { message: 'must be at least 8 characters' }),
});

const teamSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be a team slug such as "data-science"' });
const appSlug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be an App slug such as "vigil"' });

/** A repository role, as GitHub names them, from least to most. */
export const REPO_ROLES = ['read', 'triage', 'write', 'maintain', 'admin'] as const;
export type RepoRole = (typeof REPO_ROLES)[number];
const repoRole = z.enum(REPO_ROLES);

/** Who, by user, team or App: dismissal restrictions, bypass allowances, push restrictions. */
const actorsSeed = z.strictObject({
  users: z.array(login).default([]),
  teams: z.array(teamSlug).default([]),
  apps: z.array(appSlug).default([]),
});
export type ActorsSeed = z.output<typeof actorsSeed>;

/** A required check, by name, optionally pinned to the App that must report it (GitHub's `app_id`). */
const requiredCheckSeed = z
  .union([
    z.string().min(1),
    z.strictObject({ context: z.string().min(1), appId: z.number().int().positive().optional() }),
  ])
  .transform((c) => (typeof c === 'string' ? { context: c } : c));
export type RequiredCheckSeed = z.output<typeof requiredCheckSeed>;

// Unset settings take the strict value, so a seed that names only its required checks describes a branch as
// tightly held as the forge could make it; a seed says `false` to show a weaker branch.
const protectionSeed = z.strictObject({
  enforcedBy: z.enum(['branch-protection', 'ruleset']),
  branch: z.string().min(1).default('main'),
  requiredChecks: z.array(requiredCheckSeed).default([]),
  dismissStaleReviews: z.boolean().default(false),
  requiredApprovingReviewCount: z.number().int().min(0).max(6).default(0),
  /** Classic protection: whether admins are held to it too. A ruleset without it lets admins bypass. */
  enforceAdmins: z.boolean().default(true),
  allowForcePushes: z.boolean().default(false),
  /** No direct pushes: every change arrives by pull request. */
  requirePullRequest: z.boolean().default(true),
  /** Who may dismiss reviews (besides admins and maintainers); absent: anyone with write access. */
  dismissalRestrictions: actorsSeed.optional(),
  /** Who may skip the rules: classic protection's pull request bypass allowances, a ruleset's bypass actors. */
  bypassActors: actorsSeed.default({ users: [], teams: [], apps: [] }),
  /** Classic protection only: who may push (merges included); absent: anyone with write access. */
  pushRestrictions: actorsSeed.optional(),
});

const accessSeed = z.strictObject({
  /** The organisation's base permission for its members; `none` gives members nothing by default. */
  base: z.enum(['none', ...REPO_ROLES]).default('read'),
  teams: z.record(teamSlug, repoRole).default({}),
  users: z.record(login, repoRole).default({}),
});

/** A GitHub App installed on its owner organisation; its installation token acts as `<slug>[bot]`. */
const appSeed = z.strictObject({
  id: z.number().int().positive(),
  slug: appSlug,
  name: z.string().min(1),
  /** The organisation that owns the App and where it is installed. */
  owner: login,
  description: z.string().optional(),
  installationId: z.number().int().positive(),
  /** A long-lived installation token, for development: a real App mints hour-long ones from a JWT. */
  token: z.string().min(8, { message: 'must be at least 8 characters' }),
  /** The App's public key (PEM): a JWT signed with its private key may mint installation tokens. */
  publicKey: z.string().optional(),
  permissions: z.record(z.string(), z.enum(['read', 'write'])).default({
    checks: 'write',
    contents: 'write',
    pull_requests: 'write',
    issues: 'write',
    statuses: 'read',
    members: 'read',
    administration: 'read',
    metadata: 'read',
  }),
  events: z.array(z.string()).default(['pull_request', 'pull_request_review', 'check_run', 'push']),
});
export type AppSeed = z.output<typeof appSeed>;

const repoSeed = z.strictObject({
  fullName: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { message: 'must be "owner/name"' }),
  description: z.string().optional(),
  defaultBranch: z.string().min(1).default('main'),
  private: z.boolean().default(true),
  /**
   * The first commit on the default branch: a directory (relative to the seed file) whose files it holds, a list
   * of directories each kept under its own name, or a map of path -> text.
   */
  content: z.union([z.string(), z.array(z.string()).min(1), z.record(z.string(), z.string())]).optional(),
  /**
   * Commits made before the content, oldest first, each setting the files it names (path -> text): a history to
   * start from, such as the version a deployment file held before the one in `content`.
   */
  history: z
    .array(
      z.strictObject({
        message: z.string().min(1),
        files: z.record(z.string().min(1), z.string()),
      }),
    )
    .default([]),
  /** Who makes the first commit; the first organisation maintainer when absent. */
  initialCommitter: login.optional(),
  protection: protectionSeed.optional(),
  /** Who may do what. Absent: every organisation member may write (a base permission of write). */
  access: accessSeed.optional(),
});

export const seedSchema = z.strictObject({
  organizations: z.array(orgSeed).min(1),
  users: z.array(userSeed).min(1),
  apps: z.array(appSeed).default([]),
  repositories: z.array(repoSeed).default([]),
});

export type Seed = z.input<typeof seedSchema>;
export type ParsedSeed = z.output<typeof seedSchema>;
export type RepoSeed = ParsedSeed['repositories'][number];
export type ProtectionSeed = z.output<typeof protectionSeed>;
export type AccessSeed = z.output<typeof accessSeed>;

export class SeedError extends Error {
  override name = 'SeedError';
}

export interface LoadedSeed {
  seed: ParsedSeed;
  /** Where relative `content` directories are resolved. */
  baseDir: string;
}

/** Read and check a seed; relative content directories resolve against the seed file's directory. */
export function loadSeed(source: Seed | string, baseDir = process.cwd()): LoadedSeed {
  let raw: unknown = source;
  let where = '<seed>';
  if (typeof source === 'string') {
    where = source;
    raw = parse(readFileSync(source, 'utf8'));
    baseDir = dirname(resolve(source));
  }
  const result = seedSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SeedError(`${where}: invalid seed\n${lines.join('\n')}`);
  }
  const problems = crossCheck(result.data);
  if (problems.length > 0)
    throw new SeedError(`${where}: invalid seed\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return { seed: result.data, baseDir };
}

/** References inside the seed: every team member and committer is a user, tokens and logins are unique. */
export function crossCheck(seed: ParsedSeed): string[] {
  const problems: string[] = [];
  const users = new Set<string>();
  const tokens = new Set<string>();
  seed.users.forEach((u, i) => {
    if (users.has(u.login)) problems.push(`users.${i}.login: "${u.login}" appears twice`);
    if (tokens.has(u.token)) problems.push(`users.${i}.token: the same token is given to two users`);
    users.add(u.login);
    tokens.add(u.token);
  });
  seed.organizations.forEach((o, i) => {
    o.teams.forEach((t, j) => {
      for (const key of ['maintainers', 'members', 'pending'] as const) {
        t[key].forEach((m, k) => {
          if (!users.has(m)) {
            problems.push(`organizations.${i}.teams.${j}.${key}.${k}: "${m}" is not one of the seed's users`);
          }
        });
      }
    });
  });
  const orgs = new Set(seed.organizations.map((o) => o.login));
  const appSlugs = new Set<string>();
  const appIds = new Set<number>();
  seed.apps.forEach((a, i) => {
    if (appSlugs.has(a.slug)) problems.push(`apps.${i}.slug: "${a.slug}" appears twice`);
    if (appIds.has(a.id)) problems.push(`apps.${i}.id: ${a.id} appears twice`);
    if (tokens.has(a.token)) problems.push(`apps.${i}.token: the same token is given twice`);
    if (!orgs.has(a.owner)) problems.push(`apps.${i}.owner: "${a.owner}" is not a seed organisation`);
    appSlugs.add(a.slug);
    appIds.add(a.id);
    tokens.add(a.token);
  });
  seed.repositories.forEach((r, i) => {
    const owner = r.fullName.split('/')[0] ?? '';
    if (!orgs.has(owner))
      problems.push(`repositories.${i}.fullName: owner "${owner}" is not a seed organisation`);
    if (r.initialCommitter && !users.has(r.initialCommitter)) {
      problems.push(
        `repositories.${i}.initialCommitter: "${r.initialCommitter}" is not one of the seed's users`,
      );
    }
    const teams = new Set(seed.organizations.find((o) => o.login === owner)?.teams.map((t) => t.slug));
    const actors = (where: string, a: ActorsSeed | undefined) => {
      a?.users.forEach((u, k) => {
        if (!users.has(u)) problems.push(`${where}.users.${k}: "${u}" is not one of the seed's users`);
      });
      a?.teams.forEach((t, k) => {
        if (!teams.has(t)) problems.push(`${where}.teams.${k}: "${t}" is not a team of ${owner}`);
      });
      a?.apps.forEach((s, k) => {
        if (!appSlugs.has(s)) problems.push(`${where}.apps.${k}: "${s}" is not one of the seed's apps`);
      });
    };
    const p = r.protection;
    if (p) {
      const at = `repositories.${i}.protection`;
      actors(`${at}.dismissalRestrictions`, p.dismissalRestrictions);
      actors(`${at}.bypassActors`, p.bypassActors);
      actors(`${at}.pushRestrictions`, p.pushRestrictions);
      if (p.pushRestrictions && p.enforcedBy === 'ruleset') {
        problems.push(
          `${at}.pushRestrictions: a ruleset restricts pushes through its bypass actors; use bypassActors`,
        );
      }
      p.requiredChecks.forEach((c, k) => {
        if (c.appId !== undefined && !appIds.has(c.appId))
          problems.push(
            `${at}.requiredChecks.${k}.appId: ${c.appId} is not the id of one of the seed's apps`,
          );
      });
    }
    for (const t of Object.keys(r.access?.teams ?? {}))
      if (!teams.has(t)) problems.push(`repositories.${i}.access.teams.${t}: not a team of ${owner}`);
    for (const u of Object.keys(r.access?.users ?? {}))
      if (!users.has(u)) problems.push(`repositories.${i}.access.users.${u}: not one of the seed's users`);
  });
  return problems;
}

/** The repository's content with its folders made absolute, so the seed can be handed on from anywhere. */
export function withAbsoluteContent<R extends RepoSeed>(repo: R, baseDir: string): R {
  if (typeof repo.content === 'string') return { ...repo, content: resolve(baseDir, repo.content) };
  if (Array.isArray(repo.content)) return { ...repo, content: repo.content.map((d) => resolve(baseDir, d)) };
  return repo;
}

/** The files of a repository's first commit, as path -> bytes. */
export function initialFiles(repo: RepoSeed, baseDir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (repo.content === undefined) return files;
  const walk = (root: string, under: string, dir = root) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      if (statSync(abs).isDirectory()) walk(root, under, abs);
      else files.set(`${under}${relative(root, abs).split(sep).join('/')}`, readFileSync(abs));
    }
  };
  if (typeof repo.content === 'string') walk(resolve(baseDir, repo.content), '');
  else if (Array.isArray(repo.content)) {
    for (const dir of repo.content) {
      const root = resolve(baseDir, dir);
      walk(root, `${basename(root)}/`);
    }
  } else {
    for (const [path, text] of Object.entries(repo.content)) files.set(path, Buffer.from(text));
  }
  return files;
}
