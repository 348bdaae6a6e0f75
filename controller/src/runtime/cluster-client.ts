// The controller's connection to the Kubernetes API: kubeconfig by the usual rules, API objects whose every
// request first takes a token from a client-side rate limit (client-go's QPS/burst), and a count of writes per
// resource so tests and benchmarks can assert that an idle pass writes nothing.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  type SecurityAuthentication,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { type Clock, systemClock } from './clock.js';
import { type RateLimit, TokenBucket } from './token-bucket.js';

export { KubeConfigError, type KubeConfigSource, loadKubeConfig } from './kubeconfig.js';

export type WriteVerb = 'create' | 'update' | 'patch' | 'delete';

const VERB_OF_METHOD: Record<string, WriteVerb> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * The resource a request path names, as `plural.group` (`usecases.vigil.dev`, `leases.coordination.k8s.io`)
 * or `plural` for the core group (`events`).
 */
export function resourceOfPath(path: string): string | undefined {
  const parts = path
    .split('?')[0]!
    .split('/')
    .filter((p) => p !== '');
  let group = '';
  let rest: string[];
  if (parts[0] === 'api') rest = parts.slice(2);
  else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const plural = rest[0];
  if (!plural) return undefined;
  return group ? `${plural}.${group}` : plural;
}

/** Writes sent to the API server, by resource and verb. */
export class WriteCounter {
  private readonly counts = new Map<string, number>();
  private readonly refusedCounts = new Map<string, number>();
  private readonly listeners: Array<(resource: string, verb: WriteVerb) => void> = [];
  private readonly refusedListeners: Array<(resource: string, verb: WriteVerb, code: number) => void> = [];

  record(resource: string, verb: WriteVerb): void {
    const key = `${resource} ${verb}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    for (const listen of this.listeners) listen(resource, verb);
  }

  /** Writes to `resource` (all verbs unless one is named), or to everything. */
  count(resource?: string, verb?: WriteVerb): number {
    let total = 0;
    for (const [key, n] of this.counts) {
      const [r, v] = key.split(' ');
      if ((resource === undefined || r === resource) && (verb === undefined || v === verb)) total += n;
    }
    return total;
  }

  /** A write the server refused (409 Conflict, 422 Invalid, ...): sent and counted, but nothing changed. */
  recordRefused(resource: string, verb: WriteVerb, code: number): void {
    const key = `${resource} ${verb}`;
    this.refusedCounts.set(key, (this.refusedCounts.get(key) ?? 0) + 1);
    for (const listen of this.refusedListeners) listen(resource, verb, code);
  }

  /** Refused writes to `resource` (all verbs unless one is named), or to everything. */
  refused(resource?: string, verb?: WriteVerb): number {
    let total = 0;
    for (const [key, n] of this.refusedCounts) {
      const [r, v] = key.split(' ');
      if ((resource === undefined || r === resource) && (verb === undefined || v === verb)) total += n;
    }
    return total;
  }

  onRefused(listen: (resource: string, verb: WriteVerb, code: number) => void): void {
    this.refusedListeners.push(listen);
  }

  /** Every count, as `{ "usecases.vigil.dev patch": 3 }`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  onWrite(listen: (resource: string, verb: WriteVerb) => void): void {
    this.listeners.push(listen);
  }
}

export interface ClusterClientOptions {
  /** Requests per second to the API server, with bursts (client-go's defaults are 5/10; controllers raise them). */
  rate?: RateLimit;
  clock?: Clock;
}

export const DEFAULT_CLIENT_RATE: RateLimit = { qps: 20, burst: 30 };

type ApiClass<T> = new (config: ReturnType<typeof createConfiguration>) => T;

// The TLS settings that decide whether a connection may be reused.
const CONNECTION_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const;

/**
 * The kubeconfig's authentication, on connections that are kept open. client-node gives every request a new
 * agent, so each one pays a TCP connect and a TLS handshake; a controller writing thousands of statuses spends
 * more on handshakes than on its work. Credentials still come from the kubeconfig on every request (tokens
 * refresh as before); the agent is replaced whenever its TLS settings change (a rotated client certificate).
 */
class KeepAliveAuthentication implements SecurityAuthentication {
  private agent: HttpAgent | undefined;
  private settings: readonly unknown[] = [];

  constructor(private readonly kubeConfig: KubeConfig) {}

  getName(): string {
    return 'kubeconfig-keep-alive';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const fresh = context.getAgent() as (HttpAgent & { options?: Record<string, unknown> }) | undefined;
    const kind: unknown = fresh?.constructor;
    // A proxy agent is not a plain agent: leave it as client-node made it.
    if (!fresh || (kind !== HttpsAgent && kind !== HttpAgent)) return;
    const options = fresh.options ?? {};
    const settings = [kind, ...CONNECTION_OPTIONS.map((k) => options[k])];
    if (!this.agent || settings.some((v, i) => v !== this.settings[i])) {
      this.agent?.destroy();
      const Agent = kind as typeof HttpsAgent;
      this.agent = new Agent({ ...options, keepAlive: true });
      this.settings = settings;
    }
    fresh.destroy();
    context.setAgent(this.agent);
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}

export class ClusterClient {
  readonly writes = new WriteCounter();
  readonly requests: TokenBucket;
  readonly customObjects: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly core: CoreV1Api;
  private readonly auth: KeepAliveAuthentication;

  constructor(
    readonly kubeConfig: KubeConfig,
    options: ClusterClientOptions = {},
  ) {
    this.requests = new TokenBucket(options.rate ?? DEFAULT_CLIENT_RATE, options.clock ?? systemClock);
    this.auth = new KeepAliveAuthentication(kubeConfig);
    this.customObjects = this.api(CustomObjectsApi);
    this.coordination = this.api(CoordinationV1Api);
    this.core = this.api(CoreV1Api);
  }

  /** An API object of any generated class, sharing this client's rate limit and write count. */
  api<T>(apiClass: ApiClass<T>): T {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const gate = {
      pre: async (request: RequestContext): Promise<RequestContext> => {
        await this.requests.take();
        const verb = VERB_OF_METHOD[request.getHttpMethod()];
        const resource = resourceOfPath(new URL(request.getUrl()).pathname);
        if (verb && resource) this.writes.record(resource, verb);
        return request;
      },
      post: async (response: ResponseContext): Promise<ResponseContext> => response,
    };
    // As KubeConfig.makeApiClient does, plus the gate. One middleware only: the generated code reverses the
    // shared middleware array in place for responses, so the order of several would flip between calls.
    const config = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: this.auth },
      promiseMiddleware: [gate],
    });
    return new apiClass(config);
  }

  /** Close the connections kept open; requests after this open new ones. */
  close(): void {
    this.auth.close();
  }
}

/** The HTTP status of a failed API call (ApiException `code`, a watch error's `statusCode`), if it has one. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (error: unknown) => statusCodeOf(error) === 404;
export const isConflict = (error: unknown) => statusCodeOf(error) === 409;
export const isGone = (error: unknown) => statusCodeOf(error) === 410;
