// What the leader-failover test needs to tell two replicas apart: each replica's own forge client, behind a
// tap that logs the calls it sent (and whether the replica led when it sent them) and can stall the replica
// the instant a chosen write has reached the forge; the writes its forge refused, unsent, because the replica
// did not lead; and a log of the cluster writes each replica's client sent.
import { WriteNotAllowedError } from '../../controller/src/forge/forge.js';
import type { ForgeCredentials } from '../../controller/src/forge/github/credentials.js';
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

/** A write the forge refused without sending it (WriteNotAllowedError): the replica did not lead. */
export interface RefusedWrite {
  /** The Forge method that tried it. */
  operation: string;
  /** When it was refused. */
  at: number;
}

export interface ForgeTap {
  forge: GitHubForge;
  readonly calls: TappedCall[];
  /** Calls that change something. */
  writes(): TappedCall[];
  /** Writes refused before they were sent, because the replica did not lead. */
  readonly refused: RefusedWrite[];
  /** Every call from now on fails as an unreachable host would. */
  cutOff: boolean;
  /** Who to ask whether the replica leads (set once its manager exists). */
  isLeader: () => boolean;
  /**
   * Let the first write that `match` picks reach the forge, then call `onHit` and keep the answer from the
   * replica until `release()`: the write happened on the forge, and the replica stalls mid-request (a long
   * pause, a partition) and carries on only later.
   */
  holdAfter(
    match: (write: { method: string; path: string; body: string }) => boolean,
    onHit: () => void,
  ): void;
  /** Hand the held answer to the replica. */
  release(): void;
}

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD';

function bodyText(body: RequestInit['body']): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return '';
}

/**
 * A GitHub forge client on the local forge with `credentials`, through a tap of its own. `mayWrite` is wired as
 * `vigil controller` wires it (buildReplica): a write it refuses is never sent, so the tap never sees it.
 */
export async function tappedForge(
  local: LocalForge,
  credentials: ForgeCredentials,
  mayWrite?: () => boolean,
): Promise<ForgeTap> {
  const calls: TappedCall[] = [];
  const refused: RefusedWrite[] = [];
  let trap: { match: Parameters<ForgeTap['holdAfter']>[0]; onHit: () => void } | undefined;
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tap = {
    calls,
    refused,
    cutOff: false,
    isLeader: () => false,
    writes: () => calls.filter((c) => isWrite(c.method)),
    holdAfter(match: Parameters<ForgeTap['holdAfter']>[0], onHit: () => void) {
      trap = { match, onHit };
    },
    release: () => release(),
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
    onHit();
    await released;
    return response;
  };
  const github = await createGitHubForge({
    credentials,
    baseUrl: local.url,
    retryBaseMs: 10,
    fetch: fetchThroughTap,
    ...(mayWrite ? { mayWrite } : {}),
  });
  // The replica is handed this as its forge: every method, watched for the refusal a non-leader gets.
  const forge = new Proxy(github, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          if (error instanceof WriteNotAllowedError)
            refused.push({ operation: String(property), at: Date.now() });
          throw error;
        });
      };
    },
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
