// The HTTP layer under octokit (its `request.fetch`): every request the client makes passes here, including the
// retries the throttling and retry plugins schedule and App token requests. Here the rate-limit gate holds calls
// back (check run writes may spend the reserve it keeps for them), GETs become conditional, 304s are answered
// from the cache, and calls are counted.
import type { Logger } from 'pino';
import { type CallStats, ForgeUnavailableError, WriteNotAllowedError } from '../forge.js';
import { EtagCache, REPLAYED_HEADERS } from './etag-cache.js';
import type { RateLimitGate } from './rate-limit.js';
import { redact } from './redact.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  fetch: Fetch;
  cache: EtagCache;
  gate: RateLimitGate;
  stats: CallStats;
  /** A block shorter than this is waited out; a longer one fails the call at once with ForgeUnavailableError. */
  maxWaitMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  secrets: () => readonly string[];
  /** Told every credential actually sent (an App's installation tokens and JWTs rotate), to scrub it too. */
  sent?: (credential: string) => void;
  logger?: Logger;
  /** Whether this replica may write now (it leads); every write asks first, and none is sent while it says no. */
  mayWrite?: () => boolean;
}

// An App's installation token is fetched with a POST that reads as well as writes need: never held back.
const TOKEN_PATH = /\/app\/installations\/[^/]+\/access_tokens$/;
// Creating or updating a check run: what the rate-limit reserve is kept for, so a check can still be failed.
const CHECK_RUN_WRITE = /\/repos\/[^/]+\/[^/]+\/check-runs(\/\d+)?$/;

export function createTransport(o: TransportOptions): Fetch {
  return async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const path = pathOf(url);

    // A replica that no longer leads must not act on the forge, even while its own cluster writes are refused.
    const write = method !== 'GET' && method !== 'HEAD';
    if (write && o.mayWrite && !TOKEN_PATH.test(path) && !o.mayWrite()) {
      throw new WriteNotAllowedError(
        `${method} ${path}`,
        `not the leader: ${method} ${path} was not sent to GitHub`,
      );
    }

    // No call while a limit is in force: wait a short block out, refuse a long one.
    const reserved = (write && CHECK_RUN_WRITE.test(path)) || TOKEN_PATH.test(path);
    const block = o.gate.blocked(reserved ? 'reserved' : 'ordinary');
    if (block) {
      const wait = block.until - o.now();
      if (wait > o.maxWaitMs) {
        throw new ForgeUnavailableError(
          `${method} ${path}`,
          `GitHub ${block.reason === 'unavailable' ? 'is unavailable' : 'rate limit in force'}: no call before ${new Date(block.until).toISOString()}`,
          new Date(block.until),
          block.reason,
        );
      }
      o.logger?.info(
        { method, path, waitMs: wait, reason: block.reason },
        'waiting for the GitHub rate limit',
      );
      await o.sleep(wait);
    }

    const credential = /^\S+\s+(\S+)$/.exec(headers.get('authorization') ?? '')?.[1];
    if (credential) o.sent?.(credential);

    const conditional = method === 'GET';
    const key = EtagCache.key(url, headers.get('accept') ?? undefined);
    const cached = conditional ? o.cache.get(key) : undefined;
    if (cached) headers.set('if-none-match', cached.etag);

    o.stats.calls += 1;
    if (write) o.stats.writes += 1;
    const started = o.now();
    const response = await o.fetch(url, { ...init, method, headers });

    const bodyHint = response.status === 403 ? await response.clone().text() : undefined;
    const limited = o.gate.observe(response.status, response.headers, bodyHint);
    if (limited && response.status >= 400) o.stats.rateLimited += 1;
    o.logger?.debug(
      { method, path: redact(path, o.secrets()), status: response.status, ms: o.now() - started },
      'github call',
    );

    if (response.status === 304 && cached) {
      o.stats.notModified += 1;
      return replay(cached.body, cached.headers, response.headers);
    }
    if (conditional && response.status === 200) {
      const etag = response.headers.get('etag');
      if (etag) {
        const body = await response.text();
        const kept: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = response.headers.get(name);
          if (value !== null) kept[name] = value;
        }
        o.cache.set(key, { etag, body, headers: kept });
        return replay(body, kept, response.headers);
      }
    }
    return response;
  };
}

/** A 200 carrying a stored body: octokit parses it as if it had just arrived. Fresh rate-limit headers win. */
function replay(body: string, stored: Record<string, string>, fresh: Headers): Response {
  const headers = new Headers(stored);
  for (const [name, value] of fresh) {
    if (name.startsWith('x-ratelimit-') || name === 'date') headers.set(name, value);
  }
  return new Response(body, { status: 200, headers });
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}
