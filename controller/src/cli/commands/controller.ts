// `vigil controller`: run the controller against any cluster, found by the usual kubeconfig rules.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import pino from 'pino';
import { parseDuration } from '../../../../specs/common.js';
import { registerControllers } from '../../reconcilers.js';
import { ClusterClient, loadKubeConfig, Manager } from '../../runtime/index.js';
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
  gracePeriod: string;
  githubApiUrl: string;
  githubTokenFile?: string;
  githubAppId?: string;
  githubAppInstallationId?: string;
  githubAppPrivateKeyFile?: string;
  webhookPort?: string;
  webhookPath: string;
  webhookSecretFile?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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
    .option('--watch-namespaces <list>', 'watch only this namespace (default: all namespaces)')
    .option('--grace-period <duration>', 'how long shutdown waits for reconciles in flight', '25s')
    .option(
      '--github-api-url <url>',
      'GitHub REST API base URL (used with the forge credentials)',
      'https://api.github.com',
    )
    .option('--github-token-file <path>', 'file holding a GitHub token (never pass a token itself)')
    .option('--github-app-id <id>', 'GitHub App id')
    .option('--github-app-installation-id <id>', 'GitHub App installation id')
    .option('--github-app-private-key-file <path>', 'file holding the GitHub App private key')
    .option('--webhook-port <port>', 'port for GitHub webhook deliveries (needs forge credentials)')
    .option('--webhook-path <path>', 'URL path for GitHub webhook deliveries', '/webhooks/github')
    .option('--webhook-secret-file <path>', 'file holding the webhook secret')
    .action(async (opts: ControllerOptions) => {
      const logLevel = opts.logLevel;
      if (!LOG_LEVELS.includes(logLevel))
        throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}"`);
      const port = portOption('--metrics-port', opts.metricsPort);
      const namespaces = opts.watchNamespaces?.split(',').filter(Boolean) ?? [];
      if (namespaces.length > 1) {
        throw new UsageError(
          `--watch-namespaces takes one namespace in this version; got ${namespaces.length} (${namespaces.join(', ')}). Run one controller per namespace, or watch all.`,
        );
      }
      if (opts.githubTokenFile || opts.githubAppPrivateKeyFile) {
        throw new UsageError(
          'forge credentials were given, but this version of the controller does not yet open pull requests or set checks; run without --github-token-file/--github-app-private-key-file',
        );
      }
      const logger = pino({ level: logLevel });
      if (opts.webhookPort) {
        logger.warn({ port: opts.webhookPort }, 'webhook receiver not started: it needs forge credentials');
      }

      const client = new ClusterClient(
        loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context }),
      );
      const leaderNamespace = opts.leaderElectionNamespace ?? process.env.POD_NAMESPACE ?? 'default';
      const manager = new Manager({
        client,
        namespace: namespaces[0],
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
      });
      registerControllers(manager);
      await manager.start();
      logger.info(
        { probes: manager.probeUrl, leaderElection: Boolean(opts.leaderElect) },
        'controller started',
      );
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          logger.info('stopping: finishing reconciles in flight, then releasing the lease');
          void manager.stop().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      logger.info('controller stopped');
    });
}

function portOption(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${flag} must be an integer from 0 to 65535; got "${value}"`);
  return port;
}

function durationOption(flag: string, value: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined)
    throw new UsageError(`${flag} must be a duration such as "15s" or "2m"; got "${value}"`);
  return seconds * 1000;
}
