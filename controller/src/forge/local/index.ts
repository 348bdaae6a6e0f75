// The local forge: a GitHub-compatible REST subset over real git repositories, for `npm start` and tests,
// where no GitHub is reachable. Vigil's octokit adapter talks to it as it talks to api.github.com; with
// `openApiCheck` every request and response is held against GitHub's published OpenAPI description.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../runtime/clock.js';
import { appRoutes } from './apps.js';
import { CallLog } from './call-log.js';
import { checkRoutes } from './checks.js';
import { compareRoutes } from './compare.js';
import { type FaultRule, Faults } from './faults.js';
import { Forge } from './forge.js';
import { gitDataRoutes } from './git-data.js';
import type { BareRepo } from './git-store.js';
import { issueRoutes } from './issues.js';
import { OpenApiCheck, type Violation } from './openapi-check.js';
import { protectionRoutes } from './protection.js';
import { pullRoutes } from './pulls.js';
import { type RateLimitOverride, RateLimits } from './rate-limit.js';
import { repoRoutes } from './repos.js';
import { Representations } from './representations.js';
import { reviewRoutes } from './reviews.js';
import { Router } from './routes.js';
import { loadSeed, type Seed } from './seed.js';
import { ForgeHttpServer } from './server.js';
import { ForgeState } from './state.js';
import { teamRoutes } from './teams.js';
import { timelineRoutes } from './timeline.js';
import { checkedWebhook, type Delivery, WebhookDispatcher, type WebhookTarget } from './webhooks.js';

export type { Call } from './call-log.js';
export { CallLog } from './call-log.js';
export type { Fault, FaultRule } from './faults.js';
export type { Violation } from './openapi-check.js';
export type { RateLimitOverride } from './rate-limit.js';
export type { Seed } from './seed.js';
export { loadSeed, SeedError, withAbsoluteContent } from './seed.js';
export {
  type ForgeStateFile,
  readForgeStateFile,
  removeForgeStateFile,
  writeForgeStateFile,
} from './state-file.js';
export type { Delivery, WebhookTarget } from './webhooks.js';
export { signatureFor } from './webhooks.js';

export interface LocalForgeOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Where the bare repositories live; a temporary directory (removed on stop) when absent. */
  dataDir?: string;
  /** The seed, or the path of a seed YAML file (examples/forge/seed.yaml). */
  seed: Seed | string;
  webhooks?: WebhookTarget[];
  /** Check every request and response against GitHub's OpenAPI description; violations collect in `violations`. */
  openApiCheck?: boolean;
  clock?: Clock;
  /** Delays before each webhook retry (default 200 ms, 1 s, 5 s). */
  webhookRetryDelaysMs?: number[];
  logger?: Logger;
}

export interface LocalForge {
  /** The API base, e.g. http://127.0.0.1:PORT (octokit's baseUrl). */
  url: string;
  /** Each seed user's token, by login. */
  tokens: Record<string, string>;
  /** Each seed App's installation token, by slug: requests with it act as `<slug>[bot]`. */
  appTokens: Record<string, string>;
  /** Every request answered. */
  calls: CallLog;
  /** Contract violations found so far (always empty without openApiCheck). */
  violations: Violation[];
  /** Set a user's (or everyone's) primary rate limit: remaining budget, limit, seconds until reset. */
  setRateLimit(override: RateLimitOverride): void;
  /** Make the next matching requests fail: secondary or primary rate limit, or a 5xx. */
  fail(rule: FaultRule): { clear(): void };
  clearFaults(): void;
  webhooks: {
    add(target: WebhookTarget): void;
    deliveries(): readonly Delivery[];
    /** Send a logged delivery again with the same X-GitHub-Delivery id. */
    redeliver(guid: string): Delivery;
    /** Resolves once every queued delivery has been delivered or given up. */
    idle(): Promise<void>;
  };
  /** The bare git repository on disk. */
  repoPath(owner: string, repo: string): string;
  /** The repository as git sees it (for tests: log, read a file at a ref). */
  git(owner: string, repo: string): BareRepo;
  stop(): Promise<void>;
}

export async function startLocalForge(options: LocalForgeOptions): Promise<LocalForge> {
  const loaded = loadSeed(options.seed);
  const clock = options.clock ?? systemClock;
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'vigil-forge-'));
  const state = new ForgeState(clock, dataDir);
  const cleanup = () => {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await state.load(loaded);
  } catch (err) {
    cleanup();
    throw err;
  }

  const limits = new RateLimits(clock);
  const faults = new Faults();
  const calls = new CallLog();
  const violations: Violation[] = [];
  const contract = options.openApiCheck ? new OpenApiCheck() : undefined;
  const hooks = new WebhookDispatcher({
    clock,
    retryDelaysMs: options.webhookRetryDelaysMs,
    // Webhook payloads are held against GitHub's schemas too, for the events whose shape the gate relies on.
    inspect: contract
      ? (event, payload) => {
          if (checkedWebhook(event, payload)) violations.push(...contract.checkWebhook(event, payload));
        }
      : undefined,
  });
  for (const target of options.webhooks ?? []) hooks.add(target);

  const http = new ForgeHttpServer({
    state,
    limits,
    faults,
    calls,
    check: contract,
    violations,
    logger: options.logger,
  });
  let url: string;
  try {
    url = await http.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  } catch (err) {
    cleanup();
    throw err;
  }
  const forge = new Forge(state, new Representations(url, state), hooks);
  const router = new Router();
  router.add(
    ...repoRoutes(forge),
    ...protectionRoutes(forge),
    ...appRoutes(forge),
    ...pullRoutes(forge),
    ...reviewRoutes(forge),
    ...issueRoutes(forge),
    ...checkRoutes(forge),
    ...teamRoutes(forge, limits),
    ...gitDataRoutes(forge),
    ...compareRoutes(forge),
    ...timelineRoutes(forge),
  );
  http.serve(router);
  options.logger?.info({ url, dataDir }, 'local forge listening');

  const repoOrThrow = (owner: string, repo: string) => {
    const r = state.repo(owner, repo);
    if (!r) throw new Error(`the local forge has no repository ${owner}/${repo}`);
    return r;
  };
  let stopped = false;
  return {
    url,
    tokens: Object.fromEntries(
      [...state.users.values()].filter((u) => !u.app).map((u) => [u.login, u.token]),
    ),
    appTokens: Object.fromEntries([...state.apps.values()].map((a) => [a.slug, a.token])),
    calls,
    violations,
    setRateLimit: (override) => limits.set(override, state.users.keys()),
    fail: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    webhooks: {
      add: (target) => hooks.add(target),
      deliveries: () => hooks.deliveries(),
      redeliver: (guid) => hooks.redeliver(guid),
      idle: () => hooks.idle(),
    },
    repoPath: (owner, repo) => repoOrThrow(owner, repo).git.path,
    git: (owner, repo) => repoOrThrow(owner, repo).git,
    async stop() {
      if (stopped) return;
      stopped = true;
      hooks.close();
      await http.close();
      await hooks.idle();
      cleanup();
    },
  };
}
