// The local forge's world: organisations with teams, users with their tokens, and repositories with their
// initial content and how their default branch is protected. Read from YAML (examples/forge/seed.yaml) or
// given as an object; checked before anything starts, with the field named in every error.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

const protectionSeed = z.strictObject({
  enforcedBy: z.enum(['branch-protection', 'ruleset']),
  branch: z.string().min(1).default('main'),
  requiredChecks: z.array(z.string().min(1)).default([]),
  dismissStaleReviews: z.boolean().default(false),
  requiredApprovingReviewCount: z.number().int().min(0).max(6).default(0),
});

const repoSeed = z.strictObject({
  fullName: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { message: 'must be "owner/name"' }),
  description: z.string().optional(),
  defaultBranch: z.string().min(1).default('main'),
  private: z.boolean().default(true),
  /** A directory (relative to the seed file) or a map of path -> text: the first commit on the default branch. */
  content: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  /** Who makes the first commit; the first organisation maintainer when absent. */
  initialCommitter: login.optional(),
  protection: protectionSeed.optional(),
});

export const seedSchema = z.strictObject({
  organizations: z.array(orgSeed).min(1),
  users: z.array(userSeed).min(1),
  repositories: z.array(repoSeed).default([]),
});

export type Seed = z.input<typeof seedSchema>;
export type ParsedSeed = z.output<typeof seedSchema>;
export type RepoSeed = ParsedSeed['repositories'][number];
export type ProtectionSeed = z.output<typeof protectionSeed>;

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
  seed.repositories.forEach((r, i) => {
    const owner = r.fullName.split('/')[0] ?? '';
    if (!orgs.has(owner))
      problems.push(`repositories.${i}.fullName: owner "${owner}" is not a seed organisation`);
    if (r.initialCommitter && !users.has(r.initialCommitter)) {
      problems.push(
        `repositories.${i}.initialCommitter: "${r.initialCommitter}" is not one of the seed's users`,
      );
    }
  });
  return problems;
}

/** The files of a repository's first commit, as path -> bytes. */
export function initialFiles(repo: RepoSeed, baseDir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (repo.content === undefined) return files;
  if (typeof repo.content !== 'string') {
    for (const [path, text] of Object.entries(repo.content)) files.set(path, Buffer.from(text));
    return files;
  }
  const root = resolve(baseDir, repo.content);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else files.set(relative(root, abs).split(sep).join('/'), readFileSync(abs));
    }
  };
  walk(root);
  return files;
}
