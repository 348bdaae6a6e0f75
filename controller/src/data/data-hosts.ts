// Where credentials and requests from this process may go, when a spec names the host.
//
// A DataContract's server names its host, and a SurveillancePolicy may name its Prometheus, while the login
// (PGUSER and PGPASSWORD, DATABRICKS_TOKEN) comes from this process's environment. Anyone who can write a
// contract, in a pull request to the governance repository or straight into one namespace, could otherwise point
// those credentials at a server of their own. So credentials go only to the host they were given with (PGHOST,
// DATABRICKS_HOST) or to a host the operator lists: VIGIL_DATA_HOSTS, a comma-separated list of `host` or
// `host:port`, and the controller's --data-host. The controller also downloads data and asks Prometheus only
// there, so a spec cannot make it reach into the cluster's own network.

/** The environment variable listing the hosts credentials and requests may go to. */
export const DATA_HOSTS_ENV = 'VIGIL_DATA_HOSTS';

export interface HostRule {
  host: string;
  /** Any port when absent. */
  port?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A host name as compared: lower case, no trailing dot, no brackets around an IPv6 address. */
export const canonicalHost = (host: string): string =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$|^[0-9a-f:.]+$/;

/**
 * The hosts of a list such as "db.internal:5432, warehouse.example.com"; an entry that is not a host name, an IP
 * address or either with a port is an error naming `origin` (the flag or variable it came from).
 */
export function parseHostList(value: string, origin: string): HostRule[] | { error: string } {
  const rules: HostRule[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(entry);
    const host = match ? canonicalHost(match[1]!) : '';
    const port = match?.[2] !== undefined ? Number(match[2]) : undefined;
    if (!match || !HOST.test(host) || (port !== undefined && (port < 1 || port > 65_535))) {
      return {
        error: `${origin}: "${entry}" is not a host or host:port (for example db.internal or db.internal:5432)`,
      };
    }
    rules.push({ host, ...(port !== undefined ? { port } : {}) });
  }
  return rules;
}

/** The hosts an operator allows: VIGIL_DATA_HOSTS and the controller's --data-host. */
export class DataHosts {
  private constructor(
    readonly rules: readonly HostRule[],
    /** Where the list came from, for messages: "VIGIL_DATA_HOSTS", "--data-host". */
    private readonly origins: readonly string[],
  ) {}

  /** The hosts VIGIL_DATA_HOSTS lists, and `extra` (from flags); an entry that is not a host is an error. */
  static from(env: Env, extra: readonly HostRule[] = [], extraOrigin = '--data-host'): DataHosts {
    const listed = env[DATA_HOSTS_ENV];
    const parsed = listed ? parseHostList(listed, DATA_HOSTS_ENV) : [];
    if ('error' in parsed) throw new Error(parsed.error);
    const origins = [
      ...(parsed.length > 0 ? [DATA_HOSTS_ENV] : []),
      ...(extra.length > 0 ? [extraOrigin] : []),
    ];
    return new DataHosts([...parsed, ...extra], origins);
  }

  /** No host besides those credentials came with. */
  static none(): DataHosts {
    return new DataHosts([], []);
  }

  /** Whether `host` (and `port`, when given) is listed. */
  allows(host: string, port?: number): boolean {
    const h = canonicalHost(host);
    return this.rules.some(
      (r) => r.host === h && (r.port === undefined || port === undefined || r.port === port),
    );
  }

  /** "VIGIL_DATA_HOSTS or --data-host (db.internal, lake.example.com:443)", or how to list one when none is. */
  describe(): string {
    const listed = this.rules.map((r) => (r.port !== undefined ? `${r.host}:${r.port}` : r.host)).join(', ');
    return this.rules.length > 0
      ? `a host listed in ${this.origins.join(' or ')} (${listed})`
      : `a host listed in ${DATA_HOSTS_ENV} or the controller's --data-host (none is)`;
  }
}

/** Whether the environment holds a PostgreSQL login that would be sent: PGUSER or PGPASSWORD. */
export const hasPostgresLogin = (env: Env): boolean => Boolean(env.PGUSER || env.PGPASSWORD);

interface NamedHost {
  server: string;
  host?: string | undefined;
  port?: number | undefined;
}

/**
 * Why the PostgreSQL login in `env` may not go to `server`'s host, or undefined when it may: the server names no
 * host (libpq's PGHOST is used), there is no login to send, the host is PGHOST, or it is listed.
 */
export function postgresHostRefusal(server: NamedHost, env: Env, hosts: DataHosts): string | undefined {
  if (server.host === undefined || !hasPostgresLogin(env)) return undefined;
  const pgHost = env.PGHOST ? canonicalHost(env.PGHOST) : undefined;
  if (pgHost === canonicalHost(server.host) || hosts.allows(server.host, server.port)) return undefined;
  const at = server.port !== undefined ? `${server.host}:${server.port}` : server.host;
  return `server ${server.server} names host ${at}; the PostgreSQL login in this environment (PGUSER, PGPASSWORD) is sent only to PGHOST (${env.PGHOST || 'not set'}) or ${hosts.describe()}: list ${server.host} there if it is your database`;
}

/** DATABRICKS_HOST or a contract's host as compared: no scheme, no trailing slash. */
export const databricksHost = (host: string): string =>
  canonicalHost(host.replace(/^https?:\/\//i, '').replace(/\/+$/, ''));

/**
 * Why DATABRICKS_TOKEN may not go to the host the contract names, or undefined when it may: the contract names
 * none (DATABRICKS_HOST is used), names DATABRICKS_HOST itself, or names a listed host.
 */
export function databricksHostRefusal(server: NamedHost, env: Env, hosts: DataHosts): string | undefined {
  if (server.host === undefined) return undefined;
  const named = databricksHost(server.host);
  if (env.DATABRICKS_HOST && databricksHost(env.DATABRICKS_HOST) === named) return undefined;
  if (hosts.allows(named)) return undefined;
  return `server ${server.server} names host ${named}; DATABRICKS_TOKEN is sent only to DATABRICKS_HOST (${env.DATABRICKS_HOST || 'not set'}) or ${hosts.describe()}: list ${named} there if it is your workspace`;
}

/** Why this process may not fetch `url` for a spec, or undefined when its host is listed. */
export function urlRefusal(url: string, hosts: DataHosts, what: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${what} "${url}" is not a URL`;
  }
  const port = u.port
    ? Number(u.port)
    : u.protocol === 'https:'
      ? 443
      : u.protocol === 'http:'
        ? 80
        : undefined;
  if (hosts.allows(u.hostname, port)) return undefined;
  return `${what} names host ${canonicalHost(u.hostname)}, which this controller does not reach: it reads only from ${hosts.describe()}`;
}
