// `vigil forge ...`: act in a running local forge as one of its seed users (approve, request changes,
// dismiss, push, merge, list pull requests), through octokit, the client the controller uses; and
// `vigil forge serve` to run a forge on its own. Tokens come from the seed file and never reach the output.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Octokit } from 'octokit';
import { parse } from 'yaml';
import { repositoryRoot } from '../../../../specs/generate.js';
import {
  loadSeed,
  readForgeStateFile,
  removeForgeStateFile,
  SeedError,
  startLocalForge,
  writeForgeStateFile,
} from '../../forge/local/index.js';
import { FORGE_STATE_FILE } from '../../forge/local/state-file.js';
import { isConnectionFailure } from '../../runtime/cluster-errors.js';
import { formatTable, InputError, UsageError } from '../terminal.js';

const DEFAULT_REPO = 'northwind-health/ai-deployments';
const SIGNOFF_CHECK = 'vigil/sign-off';

export interface NotCountedReview {
  reviewId: number;
  login: string;
  /** As the check shows it, e.g. "approved on 1a2b3c4". */
  state: string;
  /** The reason, e.g. "Self-approval by the author". */
  why: string;
  details: string;
}

/**
 * The rows of the sign-off check's "Reviews that did not count" table (controller/src/signoff/render.ts writes
 * it): the check run is where the controller publishes its decision, so the CLI reads it from there.
 */
export function reviewsThatDidNotCount(text: string | null | undefined): NotCountedReview[] {
  if (!text) return [];
  const start = text.indexOf('### Reviews that did not count');
  if (start < 0) return [];
  const out: NotCountedReview[] = [];
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (line.startsWith('###')) break;
    if (!line.startsWith('| #')) continue;
    // Cells are separated by pipes; a pipe inside a cell is escaped as \|.
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|').replace(/`/g, ''));
    const [id, login, state, , why, details] = cells;
    const reviewId = Number(id?.slice(1));
    if (!Number.isInteger(reviewId) || !login || !state || !why) continue;
    out.push({ reviewId, login, state, why, details: details ?? '' });
  }
  return out;
}

interface CommonOptions {
  forge?: string;
  repo: string;
  seed?: string;
}

interface Actor {
  client: Octokit;
  /** The forge's API URL, for a message when it does not answer. */
  url: string;
  owner: string;
  repo: string;
  /** Every token the seed holds: scrubbed from anything printed. */
  secrets: string[];
}

/** Replace every known token in a text with a marker, so no message or error line carries one. */
export function redactTokens(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('[REDACTED]');
  return out.replace(/\b(token|bearer)\s+[A-Za-z0-9._-]{8,}/gi, '$1 [REDACTED]');
}

function defaultSeed(): string {
  return resolve(repositoryRoot(), 'examples/forge/seed.yaml');
}

/** The forge URL and seed: flags first, then .vigil/forge.json (written by `vigil start` or `vigil forge serve`). */
function locateForge(opts: CommonOptions): { url: string; seed: string } {
  const recorded = readForgeStateFile(process.cwd());
  const url = opts.forge ?? recorded?.state.url;
  if (!url) {
    throw new UsageError(
      `no running forge found: no ${FORGE_STATE_FILE} in ${process.cwd()} or above; start one with ` +
        '`vigil start` or `vigil forge serve`, or pass --forge URL',
    );
  }
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--forge must be an http(s) URL; got "${url}"`);
  return { url: url.replace(/\/+$/, ''), seed: opts.seed ?? recorded?.state.seed ?? defaultSeed() };
}

function parseRepo(value: string): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(value);
  if (!m) throw new UsageError(`--repo must be "org/repo", e.g. ${DEFAULT_REPO}; got "${value}"`);
  return { owner: m[1]!, repo: m[2]! };
}

function parsePr(value: string): number {
  const n = Number(value.replace(/^#/, ''));
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`<pr> must be a pull request number such as 3; got "${value}"`);
  return n;
}

/** Every token in the seed file (read leniently, so a broken seed still gets its tokens redacted). */
function seedTokens(seedPath: string): string[] {
  try {
    const raw = parse(readFileSync(seedPath, 'utf8')) as {
      users?: { token?: unknown }[];
      apps?: { token?: unknown }[];
    };
    return [...(raw.users ?? []), ...(raw.apps ?? [])].flatMap((u) =>
      typeof u.token === 'string' ? [u.token] : [],
    );
  } catch {
    return [];
  }
}

type FileOrYamlError = Error & { code?: string; linePos?: { line: number; col: number }[] };

const isFileOrYamlError = (err: unknown): err is FileOrYamlError =>
  err instanceof Error &&
  (err.name === 'YAMLParseError' || typeof (err as NodeJS.ErrnoException).code === 'string');

/**
 * Why a seed could not be read, in one line: never the YAML parser's excerpt of the file, which may be the line
 * holding a user's token.
 */
function seedReadProblem(err: unknown): string {
  const e = err as FileOrYamlError;
  if (e.name === 'YAMLParseError') {
    const at = e.linePos?.[0];
    return `not valid YAML${at ? ` at line ${at.line}, column ${at.col}` : ''}`;
  }
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EISDIR') return 'is a directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  return e.code ? `cannot be read (${e.code})` : 'not a seed file';
}

function actAs(opts: CommonOptions, as: string | undefined): Actor {
  const { url, seed } = locateForge(opts);
  const { owner, repo } = parseRepo(opts.repo);
  const secrets = seedTokens(seed);
  let token: string | undefined;
  try {
    const loaded = loadSeed(seed);
    const login = as ?? 'platform-bot';
    token = loaded.seed.users.find((u) => u.login === login)?.token;
    if (!token) {
      const users = loaded.seed.users.map((u) => u.login).join(', ');
      throw new UsageError(`--as: no user "${login}" in ${seed} (users: ${users})`);
    }
  } catch (err) {
    if (err instanceof SeedError) throw new InputError(redactTokens(err.message, secrets));
    if (err instanceof UsageError) throw err;
    throw new InputError(`cannot read the seed ${seed}: ${seedReadProblem(err)}`);
  }
  const client = new Octokit({
    auth: token,
    baseUrl: url,
    // A person at a terminal wants the forge's answer now, not a silent wait and retry.
    throttle: { enabled: false },
    retry: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  return { client, url, owner, repo, secrets };
}

/** Run a forge call; a refusal becomes the forge's own message (exit 1), with tokens redacted. */
async function call<T>(s: Actor, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // octokit reports a refused connection as HTTP 500; nothing answered, so say that instead.
    if (isConnectionFailure(err)) {
      throw new InputError(
        `cannot reach the forge at ${s.url}; is \`npm start\` (or \`vigil forge serve\`) running?`,
      );
    }
    const e = err as {
      status?: number;
      message?: string;
      response?: { data?: { message?: string; errors?: unknown[] } };
    };
    const data = e.response?.data;
    const details = (data?.errors ?? [])
      .map((x) => (typeof x === 'string' ? x : ((x as { message?: string }).message ?? JSON.stringify(x))))
      .filter(Boolean);
    const message = [data?.message ?? e.message ?? String(err), ...details]
      .join(': ')
      .replace(/\s+/g, ' ')
      .trim();
    const status = e.status ? ` (HTTP ${e.status})` : '';
    throw new InputError(redactTokens(`${what}: ${message}${status}`, s.secrets));
  }
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const short = (sha: string | null | undefined) => (sha ?? '').slice(0, 7);

function withCommon(cmd: Command): Command {
  return cmd
    .option(
      '--forge <url>',
      `forge API URL (default: the one recorded in ${FORGE_STATE_FILE} by vigil start)`,
    )
    .option('--repo <org/repo>', 'repository', DEFAULT_REPO)
    .option('--seed <file>', "seed file holding the users and their tokens (default: the running forge's)");
}

function withAs(cmd: Command): Command {
  return cmd.requiredOption('--as <user>', 'act as this seed user, e.g. ds-lead');
}

async function review(
  prArg: string,
  opts: CommonOptions & { as: string; message?: string },
  event: 'APPROVE' | 'REQUEST_CHANGES',
) {
  const s = actAs(opts, opts.as);
  const pull_number = parsePr(prArg);
  const { data: pr } = await call(s, `pull request #${pull_number}`, () =>
    s.client.rest.pulls.get({ owner: s.owner, repo: s.repo, pull_number }),
  );
  const body = opts.message ?? (event === 'APPROVE' ? '' : undefined);
  if (event === 'REQUEST_CHANGES' && !body)
    throw new UsageError('request-changes needs -m/--message saying what to change');
  const verb = event === 'APPROVE' ? 'approve' : 'request changes on';
  const { data: r } = await call(s, `${opts.as} cannot ${verb} #${pull_number}`, () =>
    s.client.rest.pulls.createReview({
      owner: s.owner,
      repo: s.repo,
      pull_number,
      event,
      commit_id: pr.head.sha,
      ...(body ? { body } : {}),
    }),
  );
  const done = event === 'APPROVE' ? 'Approved' : 'Requested changes on';
  say(`${done} #${pull_number} as ${opts.as}: review ${r.id} on ${short(r.commit_id)} (${pr.head.ref}).`);
}

export function registerForge(program: Command): void {
  const forge = program
    .command('forge')
    .description(
      'Act in a running local forge (development and tests only) as one of its seed users: approve, request ' +
        'changes, dismiss, push, merge, list pull requests. Finds the forge through .vigil/forge.json.',
    );

  withCommon(forge.command('prs'))
    .description('List open pull requests with their head commit, reviews and checks.')
    .action(async (opts: CommonOptions) => {
      const s = actAs(opts, undefined);
      const { data: pulls } = await call(s, 'listing pull requests', () =>
        s.client.rest.pulls.list({ owner: s.owner, repo: s.repo, state: 'open', per_page: 100 }),
      );
      if (pulls.length === 0) {
        say(`No open pull requests in ${s.owner}/${s.repo}.`);
        return;
      }
      const rows: string[][] = [];
      const notCounted: string[] = [];
      for (const p of pulls.sort((a, b) => a.number - b.number)) {
        const [{ data: reviews }, { data: checks }] = await Promise.all([
          call(s, `reviews of #${p.number}`, () =>
            s.client.rest.pulls.listReviews({
              owner: s.owner,
              repo: s.repo,
              pull_number: p.number,
              per_page: 100,
            }),
          ),
          call(s, `checks of #${p.number}`, () =>
            s.client.rest.checks.listForRef({ owner: s.owner, repo: s.repo, ref: p.head.sha, per_page: 100 }),
          ),
        ]);
        const latest = new Map<string, { state: string; commit: string }>();
        for (const r of reviews)
          if (r.user) latest.set(r.user.login, { state: r.state, commit: r.commit_id ?? '' });
        const reviewText =
          [...latest]
            .map(([who, r]) => `${who}:${r.state.toLowerCase()}${r.commit !== p.head.sha ? '(stale)' : ''}`)
            .join(' ') || '-';
        const checkText =
          checks.check_runs
            .map((c) => `${c.name}:${c.status === 'completed' ? c.conclusion : c.status}`)
            .join(' ') || '-';
        const signoff = checks.check_runs
          .filter((c) => c.name === SIGNOFF_CHECK)
          .sort((a, b) => b.id - a.id)[0];
        for (const r of reviewsThatDidNotCount(signoff?.output?.text)) {
          notCounted.push(
            `  #${p.number}  review ${r.reviewId} by ${r.login} (${r.state}): ${r.why}${r.details ? `: ${r.details}` : ''}`,
          );
        }
        rows.push([
          `#${p.number}`,
          p.title,
          `${p.head.ref}@${short(p.head.sha)}`,
          p.user?.login ?? '-',
          reviewText,
          checkText,
        ]);
      }
      say(formatTable(['PR', 'TITLE', 'HEAD', 'AUTHOR', 'REVIEWS', 'CHECKS'], rows));
      if (notCounted.length > 0) {
        say('');
        say(`Reviews that did not count, and why (from the ${SIGNOFF_CHECK} check):`);
        for (const line of notCounted) say(line);
      }
    });

  withCommon(withAs(forge.command('approve').argument('<pr>', 'pull request number')))
    .description('Approve a pull request as a seed user (the review is on its current head commit).')
    .option('-m, --message <text>', 'review comment')
    .action((pr: string, opts: CommonOptions & { as: string; message?: string }) =>
      review(pr, opts, 'APPROVE'),
    );

  withCommon(withAs(forge.command('request-changes').argument('<pr>', 'pull request number')))
    .description('Request changes on a pull request as a seed user.')
    .option('-m, --message <text>', 'what must change (required)')
    .action((pr: string, opts: CommonOptions & { as: string; message?: string }) =>
      review(pr, opts, 'REQUEST_CHANGES'),
    );

  withCommon(
    withAs(
      forge
        .command('dismiss')
        .argument('<pr>', 'pull request number')
        .argument('<review-id>', 'review to dismiss'),
    ),
  )
    .description('Dismiss a review (an approval or a request for changes) with a reason.')
    .requiredOption('-m, --message <text>', 'why the review is dismissed')
    .action(
      async (prArg: string, reviewArg: string, opts: CommonOptions & { as: string; message: string }) => {
        const s = actAs(opts, opts.as);
        const pull_number = parsePr(prArg);
        const review_id = Number(reviewArg);
        if (!Number.isInteger(review_id) || review_id < 1) {
          throw new UsageError(`<review-id> must be a review id such as 1042; got "${reviewArg}"`);
        }
        const { data: r } = await call(
          s,
          `${opts.as} cannot dismiss review ${review_id} on #${pull_number}`,
          () =>
            s.client.rest.pulls.dismissReview({
              owner: s.owner,
              repo: s.repo,
              pull_number,
              review_id,
              message: opts.message,
            }),
        );
        say(`Dismissed review ${r.id} by ${r.user?.login ?? '?'} on #${pull_number} as ${opts.as}.`);
      },
    );

  withCommon(withAs(forge.command('push').argument('<pr>', 'pull request number')))
    .description(
      "Add a commit to the pull request's head branch that changes only a comment in the changed file, so " +
        'approvals given before it are on an older commit.',
    )
    .option('-m, --message <text>', 'commit message', 'Clarify a comment (no change to deployed values)')
    .action(async (prArg: string, opts: CommonOptions & { as: string; message: string }) => {
      const s = actAs(opts, opts.as);
      const pull_number = parsePr(prArg);
      const { data: pr } = await call(s, `pull request #${pull_number}`, () =>
        s.client.rest.pulls.get({ owner: s.owner, repo: s.repo, pull_number }),
      );
      if (pr.state !== 'open')
        throw new InputError(`#${pull_number} is ${pr.merged ? 'merged' : 'closed'}; nothing to push to`);
      const { data: files } = await call(s, `files of #${pull_number}`, () =>
        s.client.rest.pulls.listFiles({ owner: s.owner, repo: s.repo, pull_number }),
      );
      const target = files.find((f) => f.status !== 'removed');
      if (!target) throw new InputError(`#${pull_number} changes no file that a comment could be added to`);
      const { data: file } = await call(s, `reading ${target.filename}`, () =>
        s.client.rest.repos.getContent({
          owner: s.owner,
          repo: s.repo,
          path: target.filename,
          ref: pr.head.ref,
        }),
      );
      if (Array.isArray(file) || file.type !== 'file')
        throw new InputError(`${target.filename} is not a file`);
      const text = Buffer.from(file.content, 'base64').toString('utf8');
      const touched = `${text.replace(/\n*$/, '\n')}# Reviewed wording, values unchanged (${opts.as}, ${new Date().toISOString()}).\n`;
      const { data: written } = await call(s, `${opts.as} cannot push to ${pr.head.ref}`, () =>
        s.client.rest.repos.createOrUpdateFileContents({
          owner: s.owner,
          repo: s.repo,
          path: target.filename,
          branch: pr.head.ref,
          sha: file.sha,
          message: opts.message,
          content: Buffer.from(touched).toString('base64'),
        }),
      );
      say(
        `Pushed ${short(written.commit.sha)} to ${pr.head.ref} as ${opts.as} (${target.filename}); ` +
          `#${pull_number} head moved from ${short(pr.head.sha)}, so earlier approvals are on an older commit.`,
      );
    });

  withCommon(withAs(forge.command('merge').argument('<pr>', 'pull request number')))
    .description(
      'Merge a pull request; the forge refuses while a required check (vigil/sign-off) is not passing.',
    )
    .option('--method <method>', 'merge or squash', 'merge')
    .action(async (prArg: string, opts: CommonOptions & { as: string; method: string }) => {
      if (opts.method !== 'merge' && opts.method !== 'squash') {
        throw new UsageError(`--method must be merge or squash; got "${opts.method}"`);
      }
      const s = actAs(opts, opts.as);
      const pull_number = parsePr(prArg);
      const { data: pr } = await call(s, `pull request #${pull_number}`, () =>
        s.client.rest.pulls.get({ owner: s.owner, repo: s.repo, pull_number }),
      );
      const { data: merged } = await call(s, `#${pull_number} was not merged`, () =>
        s.client.rest.pulls.merge({
          owner: s.owner,
          repo: s.repo,
          pull_number,
          sha: pr.head.sha,
          merge_method: opts.method as 'merge' | 'squash',
        }),
      );
      say(`Merged #${pull_number} into ${pr.base.ref} as ${short(merged.sha)} (by ${opts.as}).`);
    });

  forge
    .command('serve')
    .description(
      'Run a local forge on its own (development and tests only) and record it in .vigil/forge.json, so the ' +
        'other forge commands find it. Ctrl-C stops it.',
    )
    .option('--seed <file>', 'seed: organisations, teams, users, repositories', defaultSeed())
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', '0')
    .option('--data <dir>', 'keep the bare repositories here (default: a temporary directory)')
    .action(async (opts: { seed: string; port: string; data?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port must be an integer from 0 to 65535; got "${opts.port}"`);
      }
      const seed = resolve(opts.seed);
      let running: Awaited<ReturnType<typeof startLocalForge>>;
      try {
        running = await startLocalForge({ seed, port, dataDir: opts.data ? resolve(opts.data) : undefined });
      } catch (err) {
        if (err instanceof SeedError) throw new InputError(redactTokens(err.message, seedTokens(seed)));
        if (isFileOrYamlError(err))
          throw new InputError(`cannot read the seed ${seed}: ${seedReadProblem(err)}`);
        throw err;
      }
      const file = writeForgeStateFile(process.cwd(), {
        url: running.url,
        seed,
        pid: process.pid,
        startedAt: new Date().toISOString(),
      });
      say('Vigil local forge: for development and tests only, not GitHub.');
      say(`  API:    ${running.url}`);
      say(`  seed:   ${seed} (${Object.keys(running.tokens).length} users; tokens stay in the seed)`);
      say(`  state:  ${file}`);
      say('');
      say('  vigil forge prs');
      say('  vigil forge approve <pr> --as ds-lead');
      say('');
      say('Press Ctrl-C to stop.');
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          removeForgeStateFile(file);
          void running.stop().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      say('Vigil local forge stopped.');
    });
}
