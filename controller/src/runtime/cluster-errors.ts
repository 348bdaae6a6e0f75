// What a command says when the cluster its kubeconfig names does not answer, or lacks the namespace it was
// asked about: one line naming the server, instead of the HTTP client's stack trace or an empty answer.
// Nothing here loads the Kubernetes client, so the CLI can recognise these errors without it.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterClient } from './cluster-client.js';

export function clusterUnreachableMessage(server: string): string {
  return `cannot reach the cluster at ${server}; is \`npm start\` running, is KUBECONFIG set?`;
}

/** The kubeconfig's cluster does not answer (nothing listening, no such host, connection dropped). */
export class ClusterUnreachableError extends Error {
  override readonly name = 'ClusterUnreachableError';

  constructor(readonly server: string) {
    super(clusterUnreachableMessage(server));
  }
}

/** A namespace a command was pointed at does not exist, so its answer would be empty rather than wrong. */
export class NamespaceNotFoundError extends Error {
  override readonly name = 'NamespaceNotFoundError';

  constructor(
    readonly namespace: string,
    readonly server: string,
  ) {
    super(`namespace "${namespace}" does not exist in the cluster at ${server}`);
  }
}

/** The kubeconfig names a cluster the client will not talk to as written. */
export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
}

// The codes of a connection that never carried an answer; an HTTP error status is an answer, not one of these.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/** True when a request failed because nothing answered at the server's address. */
export function isConnectionFailure(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The server a failed connection was for, from the client's own message ("request to URL failed, reason: ..."),
 * when the error is a failed connection; for a call that no command wrapped in withCluster.
 */
export function unreachableServer(err: unknown): string | undefined {
  if (!isConnectionFailure(err)) return undefined;
  const url = /request to (\S+) failed/.exec((err as { message?: string }).message ?? '')?.[1];
  if (!url) return 'the server in the kubeconfig';
  try {
    return new URL(url).origin;
  } catch {
    return 'the server in the kubeconfig';
  }
}

/** The server the kubeconfig's current context names, as it is written there. */
export function serverOf(kubeConfig: KubeConfig): string {
  return kubeConfig.getCurrentCluster()?.server ?? 'the server in the kubeconfig';
}

/** Run `fn` against the cluster; a connection that fails becomes a ClusterUnreachableError naming the server. */
export async function withCluster<T>(kubeConfig: KubeConfig, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionFailure(err)) throw new ClusterUnreachableError(serverOf(kubeConfig));
    // client-node's own words for an http:// server without the flag; kubectl would accept it.
    if (err instanceof Error && /HTTP protocol is not allowed when skipTLSVerify/.test(err.message)) {
      throw new ClusterConfigError(
        `the kubeconfig's cluster ${serverOf(kubeConfig)} is plain http://, which Vigil's client uses only with insecure-skip-tls-verify: true in that cluster's entry`,
      );
    }
    throw err;
  }
}

/** One cheap request (the core API's resource list) that shows the cluster answers before any work starts. */
export async function checkClusterReachable(client: ClusterClient): Promise<void> {
  await withCluster(client.kubeConfig, () => client.core.getAPIResources());
}

/** Throws NamespaceNotFoundError when the namespace does not exist; other failures pass through. */
export async function checkNamespaceExists(client: ClusterClient, namespace: string): Promise<void> {
  try {
    await withCluster(client.kubeConfig, () => client.core.readNamespace({ name: namespace }));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 404) throw new NamespaceNotFoundError(namespace, serverOf(client.kubeConfig));
    throw err;
  }
}
