// The DataContract reconciler: breaking changes against the previous version (when that version is kept as its
// own object), the contract's test against its data when a data directory is configured, and readiness.
import {
  type DataContractSpec,
  type DataContractStatus,
  dataContractSpec,
} from '../../../../specs/datacontract.js';
import { fileOf, type openSource } from '../../data/contract-source.js';
import { testContract } from '../../data/contract-test.js';
import {
  DataHosts,
  databricksHostRefusal,
  hasPostgresLogin,
  postgresHostRefusal,
  urlRefusal,
} from '../../data/data-hosts.js';
import type { ConditionUpdate } from '../../runtime/index.js';
import { defineController } from '../../runtime/index.js';
import { DATA_CONTRACTS, peekSpec, readSpec, statusOf } from '../resources.js';
import { decideDataContractStatus } from './decide.js';
import { DEFAULT_TEST_INTERVAL_MS, nextTestAt } from './test-schedule.js';

/** How long a contract test result stands, when the contract names no schedule of its own. */
export const CONTRACT_TEST_INTERVAL_MS = DEFAULT_TEST_INTERVAL_MS;

export interface DataContractDependencies {
  /** The governance repository root that file servers' paths resolve against; none: files are not tested. */
  dataDir?: string;
  /** Where database credentials come from (PGUSER, PGPASSWORD, DATABRICKS_*): process.env when omitted. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The hosts besides PGHOST and DATABRICKS_HOST that the login may go to and data may be fetched from
   * (VIGIL_DATA_HOSTS and --data-host); VIGIL_DATA_HOSTS of `env` when omitted.
   */
  hosts?: DataHosts;
  /** Opens a server's data; openSource when omitted. */
  open?: typeof openSource;
}

type Server = NonNullable<DataContractSpec['servers']>[number];

/**
 * The server the controller tests: the first that carries a file (with a data directory), else the first
 * PostgreSQL server when a login is configured (PGUSER or PGPASSWORD), else the first Databricks server when a
 * workspace is configured in the environment.
 */
export function controllerServer(
  spec: DataContractSpec,
  deps: DataContractDependencies,
): Server | { reason: 'NoDataSource' | 'NoReadableServer' | 'HostNotAllowed'; message: string } {
  const servers = spec.servers ?? [];
  const env = deps.env ?? process.env;
  const hosts = deps.hosts ?? DataHosts.from(env);
  const refused = (message: string) => ({ reason: 'HostNotAllowed' as const, message });
  const file = servers.find((s) => fileOf(s) !== undefined);
  if (file && deps.dataDir !== undefined) {
    // A file by URL is fetched from inside the cluster: only from a host the operator listed.
    const url = fileOf(file)!;
    const refusal = /^https?:\/\//i.test(url) ? urlRefusal(url, hosts, `server ${file.server}`) : undefined;
    return refusal ? refused(refusal) : file;
  }
  // A database is tested only where the controller was given a login for it (in a cluster, from a Secret):
  // without one, a test could only fail, and that is no fault of the contract. The login goes only to the host
  // it was given for, or one the operator listed: the contract's author chooses the host, not the login.
  const postgres = servers.find((s) => s.type === 'postgres' || s.type === 'postgresql');
  if (postgres && hasPostgresLogin(env)) {
    const refusal = postgresHostRefusal(postgres, env, hosts);
    return refusal ? refused(refusal) : postgres;
  }
  const databricks = servers.find((s) => s.type === 'databricks');
  if (
    databricks &&
    env.DATABRICKS_HTTP_PATH &&
    env.DATABRICKS_TOKEN &&
    (databricks.host || env.DATABRICKS_HOST)
  ) {
    const refusal = databricksHostRefusal(databricks, env, hosts);
    return refusal ? refused(refusal) : databricks;
  }
  if (file) return { reason: 'NoDataSource', message: 'the controller runs without a data directory' };
  const listed = servers.map((s) => `${s.server} (${s.type})`).join(', ') || 'none';
  return {
    reason: 'NoReadableServer',
    message: postgres
      ? `no server the controller can read: set PGUSER and PGPASSWORD to test ${postgres.server}; servers: ${listed}`
      : databricks
        ? `no server the controller can read: set DATABRICKS_HOST, DATABRICKS_HTTP_PATH and DATABRICKS_TOKEN to test ${databricks.server}; servers: ${listed}`
        : `no server of a type contract tests read (files, postgres, databricks); servers: ${listed}`,
  };
}

export function dataContractController(deps: DataContractDependencies) {
  return defineController({
    kind: DATA_CONTRACTS,
    async reconcile(ctx, obj) {
      const namespace = obj.metadata!.namespace!;
      const spec = readSpec(dataContractSpec, obj);
      const previousStatus = statusOf<DataContractStatus>(obj);
      // The previous version, if kept as its own object: same contract id, version previousVersion.
      const previous = spec.previousVersion
        ? ctx.cache
            .list(DATA_CONTRACTS, namespace)
            .map((o) => peekSpec(dataContractSpec, o))
            .find((s) => s?.id === spec.id && s.version === spec.previousVersion)
        : undefined;

      // A contract whose servers the controller cannot read is not tested, and says so: that is no fault of the
      // contract, so it does not count against its readiness. A result `vigil contract test --report` wrote
      // stands until the controller tests the data itself.
      const server = controllerServer(spec, deps);
      const testable = !('reason' in server);
      const tested: ConditionUpdate = testable
        ? {
            type: 'Tested',
            status: 'True',
            reason: 'Tested',
            message: `tested against server ${server.server}`,
          }
        : { type: 'Tested', status: 'Unknown', reason: server.reason, message: server.message };

      // Test when there is no result for this version and spec, or the contract's schedule says the next test
      // is due; otherwise the result stands, so a pass over an unchanged contract writes nothing.
      let lastTest = previousStatus?.lastTest ?? undefined;
      const specChanged = previousStatus?.observedGeneration !== obj.metadata?.generation;
      const lastAt = lastTest?.at ? new Date(lastTest.at) : undefined;
      const dueAt = lastAt && !Number.isNaN(lastAt.getTime()) ? nextTestAt(spec, lastAt) : undefined;
      const due =
        testable &&
        (specChanged || lastTest?.version !== spec.version || !dueAt || ctx.now.getTime() >= dueAt.getTime());
      if (due) {
        lastTest = await testContract(spec, {
          baseDir: deps.dataDir ?? '.',
          server: server.server,
          now: ctx.now,
          ...(deps.env ? { env: deps.env } : {}),
          hosts: deps.hosts ?? DataHosts.from(deps.env ?? process.env),
          fetchOnlyListed: true,
          ...(deps.open ? { open: deps.open } : {}),
        });
      }
      const next = testable ? (due ? nextTestAt(spec, ctx.now) : dueAt) : undefined;

      const decision = decideDataContractStatus({ spec, previous, lastTest });
      return {
        status: {
          ...decision.status,
          lastTest: lastTest ?? null,
          conditions: [...decision.conditions, tested],
        },
        events: decision.events,
        ...(next ? { requeueAfter: Math.max(next.getTime() - ctx.now.getTime(), 1_000) } : {}),
      };
    },
  });
}
