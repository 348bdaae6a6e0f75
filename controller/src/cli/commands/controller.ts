// `vigil controller`: run the controller against any cluster, found by the usual kubeconfig rules.

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import pino from 'pino';
import { parseDuration } from '../../../../specs/common.js';
import { readServingCertificate, startAdmissionServer } from '../../admission/index.js';
import { startChangeControl } from '../../change-control.js';
import { DataHosts, type HostRule, parseHostList } from '../../data/data-hosts.js';
import type { Forge } from '../../forge/forge.js';
import {
  appCredentialsFromFile,
  createGitHubForge,
  secretFromFile,
  tokenFromFile,
} from '../../forge/github/index.js';
import { buildReplica } from '../../replica.js';
import { checkClusterReachable } from '../../runtime/cluster-errors.js';
import { ClusterClient, loadKubeConfig, type ManagerOptions } from '../../runtime/index.js';
import { startTracing, tracesEndpoint } from '../../tracing.js';
import type { PushLedger } from '../../webhooks/index.js';
import { UsageError } from '../terminal.js';

interface ControllerOptions {
  kubeconfig?: string;
  context?: string;
  metricsPort: string;
  logLevel: string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
  leaderElectionLeaseDuration: string;
  leaderElectionRenewDeadline: string;
  leaderElectionRetryPeriod: string;
  watchNamespaces?: string;
  dataDir?: string;
  prometheusUrl?: string;
  dataHost?: string[];
  otlpEndpoint?: string;
  gracePeriod: string;
  kubeApiQps: string;
  workers: string;
  kubeApiBurst: string;
  githubApiUrl: string;
  githubTokenFile?: string;
  githubAppId?: string;
  githubAppInstallationId?: string;
  githubAppPrivateKeyFile?: string;
  webhookPort?: string;
  webhookPath: string;
  webhookSecretFile?: string;
  webhookDeliveriesFile?: string;
  admissionPort?: string;
  admissionCertFile?: string;
  admissionKeyFile?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** The options naming a file that holds a credential; any one of them may be - for standard input. */
const CREDENTIAL_FILES = [
  ['--github-token-file', 'githubTokenFile'],
  ['--github-app-private-key-file', 'githubAppPrivateKeyFile'],
  ['--webhook-secret-file', 'webhookSecretFile'],
] as const;

export function registerController(program: Command): void {
  program
    .command('controller')
    .description(
      'Run the controller: reconcile every Vigil kind and report state through status, conditions and Events. ' +
        'The cluster comes from --kubeconfig/--context, then $KUBECONFIG, ~/.kube/config, or the in-cluster service account.',
    )
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .option('--metrics-port <port>', 'port for /healthz, /readyz and /metrics (0 picks a free one)', '8080')
    .option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')}`, 'info')
    .option('--leader-elect', 'elect a leader through a Lease, so several replicas never act at once')
    .option(
      '--leader-election-namespace <ns>',
      'namespace of the Lease (default: $POD_NAMESPACE, else "default")',
    )
    .option('--leader-election-id <name>', 'name of the Lease', 'vigil-controller')
    .option('--leader-election-lease-duration <duration>', 'how long a lease holds without renewal', '15s')
    .option(
      '--leader-election-renew-deadline <duration>',
      'how long the leader tries to renew before stepping down',
      '10s',
    )
    .option('--leader-election-retry-period <duration>', 'how often to try to acquire or renew', '2s')
    .option(
      '--data-dir <dir>',
      'directory that data paths in contracts and surveillance policies resolve against (none: not read)',
    )
    .option(
      '--prometheus-url <url>',
      'Prometheus HTTP API base URL for prometheus sources of surveillance policies that name none',
    )
    .option(
      '--data-host <host[:port],...>',
      'a host besides PGHOST and DATABRICKS_HOST that the database login may go to and that contracts and policies may name for data or Prometheus (repeatable; also VIGIL_DATA_HOSTS)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--otlp-endpoint <url>',
      'send traces (reconciles, GitHub calls, data queries, webhook deliveries) over OTLP/HTTP to this traces URL; default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT, else off',
    )
    .option('--watch-namespaces <list>', 'watch only this namespace (default: all namespaces)')
    .option('--kube-api-qps <n>', 'requests per second to the Kubernetes API, sustained', '100')
    .option('--kube-api-burst <n>', 'requests to the Kubernetes API allowed in a burst', '200')
    .option(
      '--workers <n>',
      'reconciles in flight per kind (each waits mostly on the API server, so more than the cores)',
      '8',
    )
    .option('--grace-period <duration>', 'how long shutdown waits for reconciles in flight', '25s')
    .option(
      '--github-api-url <url>',
      'GitHub REST API base URL (used with the forge credentials)',
      'https://api.github.com',
    )
    .option(
      '--github-token-file <path>',
      'file holding a GitHub token, or - to read it from standard input (never pass a token itself)',
    )
    .option('--github-app-id <id>', 'GitHub App id')
    .option('--github-app-installation-id <id>', 'GitHub App installation id')
    .option(
      '--github-app-private-key-file <path>',
      'file holding the GitHub App private key, or - for standard input',
    )
    .option('--webhook-port <port>', 'port for GitHub webhook deliveries (needs forge credentials)')
    .option('--webhook-path <path>', 'URL path for GitHub webhook deliveries', '/webhooks/github')
    .option('--webhook-secret-file <path>', 'file holding the webhook secret, or - for standard input')
    .option(
      '--webhook-deliveries-file <path>',
      'file recording the delivery ids already processed, so a redelivery after a restart is not processed again',
    )
    .option(
      '--admission-port <port>',
      'serve the validating admission webhook over HTTPS on this port (off when absent; needs the two files below)',
    )
    .option(
      '--admission-cert-file <path>',
      "PEM certificate of the admission webhook (the caBundle's CA signed it)",
    )
    .option('--admission-key-file <path>', 'PEM private key of the admission webhook certificate')
    .action(async (opts: ControllerOptions) => {
      const logLevel = opts.logLevel;
      if (!LOG_LEVELS.includes(logLevel))
        throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}"`);
      const port = portOption('--metrics-port', opts.metricsPort);
      const prometheusUrl = opts.prometheusUrl ? prometheusUrlOption(opts.prometheusUrl) : undefined;
      const hosts = dataHostsOption(opts.dataHost ?? []);
      const namespaces = opts.watchNamespaces?.split(',').filter(Boolean) ?? [];
      if (namespaces.length > 1) {
        throw new UsageError(
          `--watch-namespaces takes one namespace in this version; got ${namespaces.length} (${namespaces.join(', ')}). Run one controller per namespace, or watch all.`,
        );
      }
      const fromStdin = CREDENTIAL_FILES.filter(([, key]) => opts[key] === '-').map(([flag]) => flag);
      if (fromStdin.length > 1)
        throw new UsageError(`only one of ${fromStdin.join(', ')} can be - (standard input)`);
      // Read before the cluster is touched, so a bad secret file stops the controller before it starts.
      const hookSecret =
        opts.webhookPort && (opts.githubTokenFile || opts.githubAppPrivateKeyFile)
          ? await webhookSecret(opts.webhookSecretFile)
          : undefined;
      // Read before the cluster is touched, like the secrets above: a missing file is a setup mistake.
      const admissionTls = admissionCertificate(opts);
      const logger = pino({ level: logLevel });
      const otlp = opts.otlpEndpoint ?? tracesEndpoint();
      if (otlp !== undefined && !URL.canParse(otlp))
        throw new UsageError(
          `--otlp-endpoint must be a URL such as http://collector:4318/v1/traces; got "${otlp}"`,
        );
      const tracing = otlp ? await startTracing({ endpoint: otlp }) : undefined;
      if (tracing) logger.info({ endpoint: otlp }, 'traces exported over OTLP');
      // Its forge refuses every write while this replica does not lead (see buildReplica).
      // Change control's push ledger, once it runs: the promotions' gate asks it who pushed each commit.
      let ledger: PushLedger | undefined;
      const pushes = { pushersOf: (repo: string, sha: string) => ledger?.pushersOf(repo, sha) ?? [] };
      const made: { client?: ClusterClient } = {};
      const { manager, forge } = await buildReplica({
        forge: (mayWrite) => forgeFrom(opts, logger, mayWrite),
        manager: () => {
          const options = managerOptions(opts, namespaces[0], port, logger);
          made.client = options.client;
          return options;
        },
        controllers: {
          dataDir: opts.dataDir ? resolve(opts.dataDir) : undefined,
          ...(prometheusUrl ? { prometheusUrl } : {}),
          hosts,
          pushes,
        },
      });
      // A cluster that does not answer is a setup mistake to say in one line, not a watch to retry for ever.
      if (made.client) await checkClusterReachable(made.client);
      if (opts.webhookPort && !forge) {
        logger.warn({ port: opts.webhookPort }, 'webhook receiver not started: it needs forge credentials');
      }
      // Every replica answers admission requests: the webhook decides from the request alone and writes nothing.
      const admission = admissionTls
        ? await startAdmissionServer({
            port: portOption('--admission-port', opts.admissionPort!),
            ...admissionTls,
            logger,
          })
        : undefined;
      await manager.start();
      const changeControl = forge
        ? await startChangeControl({
            manager,
            forge,
            logger,
            ...(opts.webhookPort
              ? {
                  webhook: {
                    port: portOption('--webhook-port', opts.webhookPort),
                    path: opts.webhookPath,
                    secret: hookSecret ?? (await webhookSecret(opts.webhookSecretFile)),
                    ...(opts.webhookDeliveriesFile
                      ? { deliveriesFile: resolve(opts.webhookDeliveriesFile) }
                      : {}),
                  },
                }
              : {}),
          })
        : undefined;
      ledger = changeControl?.pushes;
      logger.info(
        { probes: manager.probeUrl, leaderElection: Boolean(opts.leaderElect) },
        'controller started',
      );
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          logger.info('stopping: finishing reconciles in flight, then releasing the lease');
          void (changeControl?.stop() ?? Promise.resolve())
            .then(() => manager.stop())
            .then(() => admission?.stop())
            .then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await tracing?.shutdown();
      logger.info('controller stopped');
    });
}

/** The manager of `vigil controller`: the cluster from the kubeconfig rules, leader election when asked. */
function managerOptions(
  opts: ControllerOptions,
  namespace: string | undefined,
  port: number,
  logger: Logger,
): ManagerOptions {
  const client = new ClusterClient(loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context }), {
    rate: {
      qps: positiveOption('--kube-api-qps', opts.kubeApiQps),
      burst: positiveOption('--kube-api-burst', opts.kubeApiBurst),
    },
  });
  const leaderNamespace = opts.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? 'default';
  return {
    client,
    namespace,
    workers: positiveOption('--workers', opts.workers),
    processMetrics: true,
    leaderElection: opts.leaderElect
      ? {
          namespace: leaderNamespace,
          name: opts.leaderElectionId,
          identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
          leaseDurationMs: durationOption(
            '--leader-election-lease-duration',
            opts.leaderElectionLeaseDuration,
          ),
          renewDeadlineMs: durationOption(
            '--leader-election-renew-deadline',
            opts.leaderElectionRenewDeadline,
          ),
          retryPeriodMs: durationOption('--leader-election-retry-period', opts.leaderElectionRetryPeriod),
        }
      : false,
    probes: { port },
    gracePeriodMs: durationOption('--grace-period', opts.gracePeriod),
    logger,
  };
}

function portOption(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${flag} must be an integer from 0 to 65535; got "${value}"`);
  return port;
}

function positiveOption(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive number; got "${value}"`);
  return n;
}

function durationOption(flag: string, value: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined)
    throw new UsageError(`${flag} must be a duration such as "15s" or "2m"; got "${value}"`);
  return seconds * 1000;
}

/** The GitHub forge from credential files (never from a flag's value); none when no credentials are given. */
async function forgeFrom(
  opts: ControllerOptions,
  logger: Logger,
  mayWrite: () => boolean,
): Promise<Forge | undefined> {
  if (opts.githubTokenFile && opts.githubAppPrivateKeyFile) {
    throw new UsageError('give either --github-token-file or the GitHub App options, not both');
  }
  if (opts.githubTokenFile) {
    return createGitHubForge({
      credentials: await tokenFromFile(opts.githubTokenFile),
      baseUrl: opts.githubApiUrl,
      logger,
      mayWrite,
    });
  }
  if (opts.githubAppPrivateKeyFile) {
    if (!opts.githubAppId || !opts.githubAppInstallationId) {
      throw new UsageError(
        '--github-app-private-key-file needs --github-app-id and --github-app-installation-id',
      );
    }
    const credentials = await appCredentialsFromFile(
      { appId: opts.githubAppId, installationId: opts.githubAppInstallationId },
      opts.githubAppPrivateKeyFile,
    );
    return createGitHubForge({ credentials, baseUrl: opts.githubApiUrl, logger, mayWrite });
  }
  return undefined;
}

/** The admission webhook's certificate and key, when --admission-port asks for the webhook; else undefined. */
function admissionCertificate(opts: ControllerOptions): { cert: Buffer; key: Buffer } | undefined {
  const files = opts.admissionCertFile !== undefined || opts.admissionKeyFile !== undefined;
  if (opts.admissionPort === undefined) {
    if (files) throw new UsageError('--admission-cert-file and --admission-key-file need --admission-port');
    return undefined;
  }
  portOption('--admission-port', opts.admissionPort);
  if (!opts.admissionCertFile || !opts.admissionKeyFile)
    throw new UsageError(
      '--admission-port needs --admission-cert-file and --admission-key-file: the webhook is served over TLS only',
    );
  try {
    return readServingCertificate(opts.admissionCertFile, opts.admissionKeyFile);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The webhook secret from its file or standard input, refused when others can read it (as credentials are). */
async function webhookSecret(file: string | undefined): Promise<string> {
  if (!file) throw new UsageError('--webhook-port needs --webhook-secret-file: deliveries must be signed');
  return secretFromFile(file, 'webhook secret');
}

/**
 * The hosts --data-host and VIGIL_DATA_HOSTS list: where the controller's database login may go, and where a spec
 * may send it for data or Prometheus. A malformed entry stops the controller before it starts.
 */
function dataHostsOption(flags: string[]): DataHosts {
  const extra: HostRule[] = [];
  for (const flag of flags) {
    const parsed = parseHostList(flag, '--data-host');
    if ('error' in parsed) throw new UsageError(parsed.error);
    extra.push(...parsed);
  }
  try {
    return DataHosts.from(process.env, extra);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** --prometheus-url: an http(s) URL, refused at start rather than at the first evaluation. */
export function prometheusUrlOption(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`--prometheus-url must be an http:// or https:// URL; got "${value}"`);
  }
  return value;
}
