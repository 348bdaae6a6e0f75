// What the leader-failover test needs to tell two replicas apart: each replica's own forge client, behind a
// tap that logs its calls (and whether the replica led when it sent them) and can cut the replica off the
// forge the instant a chosen write has reached it; and a log of the cluster writes each replica's client sent.
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge, type GitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { Fetch } from '../../controller/src/forge/github/transport.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import type { ClusterClient, WriteVerb } from '../../controller/src/runtime/cluster-client.js';

export interface TappedCall {
  method: string;
  path: string;
  /** When the replica sent it. */
  at: number;
  /** Whether the replica held the Lease when it sent it. */
  leader: boolean;
  /** It got to the forge (not refused because the replica was cut off). */
  reached: boolean;
}

export interface ForgeTap {
  forge: GitHubForge;
  readonly calls: TappedCall[];
  /** Calls that change something. */
  writes(): TappedCall[];
  /** Every call from now on fails as an unreachable host would. */
  cutOff: boolean;
  /** Who to ask whether the replica leads (set once its manager exists). */
  isLeader: () => boolean;
  /**
   * Let the first write that `match` picks reach the forge, then call `onHit` and drop the answer: the write
   * happened on the forge but the replica never hears of it, as when a process dies mid-request.
   */
  killAfter(
    match: (write: { method: string; path: string; body: string }) => boolean,
    onHit: () => void,
  ): void;
}

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD';

function bodyText(body: RequestInit['body']): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return '';
}

/** A GitHub forge client acting as `login` on the local forge, through a tap of its own. */
export async function tappedForge(local: LocalForge, login: string): Promise<ForgeTap> {
  const calls: TappedCall[] = [];
  let trap: { match: Parameters<ForgeTap['killAfter']>[0]; onHit: () => void } | undefined;
  const tap = {
    calls,
    cutOff: false,
    isLeader: () => false,
    writes: () => calls.filter((c) => isWrite(c.method)),
    killAfter(match: Parameters<ForgeTap['killAfter']>[0], onHit: () => void) {
      trap = { match, onHit };
    },
  };
  const fetchThroughTap: Fetch = async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const call: TappedCall = {
      method,
      path: url.pathname,
      at: Date.now(),
      leader: tap.isLeader(),
      reached: !tap.cutOff,
    };
    calls.push(call);
    if (tap.cutOff) throw new TypeError('fetch failed: the replica is cut off');
    const armed =
      trap && isWrite(method) && trap.match({ method, path: url.pathname, body: bodyText(init.body) });
    const response = await fetch(input, init);
    if (!armed || !trap) return response;
    const { onHit } = trap;
    trap = undefined;
    await response.arrayBuffer();
    onHit();
    throw new TypeError('fetch failed: the replica died before the answer came');
  };
  const forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.tokens[login]!), `test/${login}`),
    baseUrl: local.url,
    retryBaseMs: 10,
    fetch: fetchThroughTap,
  });
  return Object.assign(tap, { forge });
}

export interface TimedWrite {
  resource: string;
  verb: WriteVerb;
  at: number;
  leader: boolean;
}

/** Every write `client` sends from now on, with when and whether its replica led at the time. */
export function logClusterWrites(client: ClusterClient, isLeader: () => boolean): TimedWrite[] {
  const log: TimedWrite[] = [];
  client.writes.onWrite((resource, verb) => log.push({ resource, verb, at: Date.now(), leader: isLeader() }));
  return log;
}
