// `vigil start` (what `npm start` runs): the whole of Vigil on its embedded default, on one machine:
// the local cluster, the CRDs, the example governance repo, and the controller reconciling it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Command } from 'commander';
import pino from 'pino';
import { repositoryRoot } from '../../../../specs/generate.js';
import { type LocalAdmission, startLocalAdmission } from '../../admission/local.js';
import { applyObjects, installCrds, readCrds } from '../../apply/index.js';
import { type ChangeControl, startChangeControl } from '../../change-control.js';
import { DataHosts } from '../../data/data-hosts.js';
import { formatDiagnostic } from '../../diagnostics.js';
import { appCredentialsFromSecret, createGitHubForge } from '../../forge/github/index.js';
import {
  type LocalForge,
  loadSeed,
  removeForgeStateFile,
  startLocalForge,
  withAbsoluteContent,
  writeForgeStateFile,
} from '../../forge/local/index.js';
import { startLocalCluster } from '../../local-cluster/index.js';
import { walkReadmissionDrift } from '../../metrics/simulate-drift.js';
import { profilesIn, writeExampleLogs } from '../../metrics/simulate-examples.js';
import { scanForPhi } from '../../phi/index.js';
import { registerControllers } from '../../reconcilers.js';
import { ClusterClient, loadKubeConfig, Manager } from '../../runtime/index.js';
import { validateDocuments } from '../../validate/index.js';
import { loadYamlFiles } from '../../yaml/index.js';
import { InputError, palette, UsageError, useColour } from '../terminal.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'Run Vigil on its embedded default: a local cluster (development only), the CRDs, a governance repo ' +
        '(the examples by default) and the controller. Prints the kubeconfig and commands to try; Ctrl-C stops.',
    )
    .option('--governance <dir>', 'governance repo to apply (default: the examples shipped with Vigil)')
    .option(
      '--forge-seed <file>',
      "local forge seed: organisations, teams, users, repositories (default: the examples' seed)",
    )
    .option('--port <port>', 'local cluster port on 127.0.0.1 (0 picks a free one)', '0')
    .option(
      '--data <dir>',
      'keep the local cluster state in this directory across restarts (default: in memory)',
    )
    .option(
      '--drift',
      "after the first evaluation, make the readmission example's scores drift until its policy trips notify, review and rollback",
    )
    .option(
      '--log-level <level>',
      'controller log level: fatal, error, warn, info, debug, trace, silent',
      'warn',
    )
    .action(
      async (opts: {
        governance?: string;
        forgeSeed?: string;
        port: string;
        data?: string;
        drift?: boolean;
        logLevel: string;
      }) => {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new UsageError(`--port must be an integer from 0 to 65535; got "${opts.port}"`);
        }
        // The hosts VIGIL_DATA_HOSTS lists: where a database login may go and a policy's Prometheus may be.
        let hosts: DataHosts;
        try {
          hosts = DataHosts.from(process.env);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const root = repositoryRoot();
        const governance = resolve(opts.governance ?? resolve(root, 'examples'));
        const c = palette(useColour(process.stdout));
        const say = (line: string) => process.stdout.write(`${line}\n`);

        // Nothing reaches the cluster unless the whole governance repo is valid.
        say(`Validating ${governance} ...`);
        const loaded = await loadYamlFiles([governance]);
        const report = validateDocuments(loaded.documents, loaded.diagnostics, {
          phi: (d) => scanForPhi(d, {}),
        });
        for (const d of report.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
        if (report.errors > 0) {
          throw new InputError(
            `${report.errors} error(s) in ${governance}; nothing was started (run vigil validate for details)`,
          );
        }

        if (opts.drift && !profilesIn(loaded.documents).some((p) => p.useCase === 'readmission-risk')) {
          throw new UsageError(
            `--drift needs the readmission example policy, which ${governance} does not hold`,
          );
        }
        // The example policies' inference logs, made fresh and ending now (vigil simulate), in a copy of the
        // governance folder the controller reads data from: the repository itself is not written to.
        const logs = await writeExampleLogs(
          governance,
          loaded.documents,
          resolve(root, 'examples', 'data', 'uci-diabetes-130', 'encounters-sample.csv'),
        );
        if (logs) {
          say(
            `Wrote ${logs.written.length} example inference logs ending now (${logs.written.map((w) => `${w.file}: ${w.rows} rows`).join(', ')}).`,
          );
        }

        say('Starting the local cluster (for development and tests only) ...');
        const cluster = await startLocalCluster({
          port,
          dataDir: opts.data ? resolve(opts.data) : undefined,
        }).catch((err: unknown) => {
          logs?.remove();
          throw err;
        });
        let manager: Manager | undefined;
        let forge: LocalForge | undefined;
        let changeControl: ChangeControl | undefined;
        let stateFile: string | undefined;
        let admission: LocalAdmission | undefined;
        const drift = new AbortController();
        const stopAll = async () => {
          drift.abort();
          await changeControl?.stop();
          await manager?.stop();
          await forge?.stop();
          if (stateFile) removeForgeStateFile(stateFile);
          // Unregistered while the cluster still answers: with --data, a webhook left behind would refuse writes.
          await admission?.stop();
          await cluster.stop();
          logs?.remove();
        };
        try {
          const client = new ClusterClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath }));
          // Before anything is applied, as in a cluster with the Helm chart's webhook: kubectl apply then refuses
          // what vigil validate refuses, with the same message. First, too: making its certificate takes a while,
          // and a connection the client keeps idle that long may be closed under it.
          const webhook = await startLocalAdmission(client);
          if ('skipped' in webhook) say(`Admission webhook not started: ${webhook.skipped}.`);
          else {
            admission = webhook;
            say(`Admission webhook at ${webhook.url}: kubectl apply refuses what vigil validate refuses.`);
          }
          const crds = await installCrds(client, readCrds(resolve(root, 'crd')));
          say(`Installed ${crds.length} CRDs.`);
          // No source annotation: the forge's governance repository holds these same files, and the controller reads
          // each policy's revision (the commit that last changed its file) from there.
          const applied = await applyObjects(
            client,
            loaded.documents.map((d) => d.value as KubernetesObject),
          );
          say(`Applied ${applied.length} objects from ${governance}.`);

          // The local forge answers as GitHub does; the controller reaches it through the same octokit adapter.
          const seed = resolve(opts.forgeSeed ?? resolve(root, 'examples', 'forge', 'seed.yaml'));
          // Vigil signs in as its GitHub App with a key made for this run, as in production: the forge then knows
          // which App it is from the start, and the required check is pinned to it.
          const { seed: seeded, baseDir } = loadSeed(seed);
          const app = seeded.apps.find((a) => a.slug === 'vigil');
          if (!app)
            throw new InputError(`the forge seed ${seed} has no App "vigil" for the controller to act as`);
          const key = generateKeyPairSync('rsa', {
            modulusLength: 2048,
            publicKeyEncoding: { type: 'spki', format: 'pem' },
            privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
          });
          forge = await startLocalForge({
            seed: {
              ...seeded,
              apps: seeded.apps.map((a) => (a === app ? { ...a, publicKey: key.publicKey } : a)),
              // Content folders are relative to the seed file.
              repositories: seeded.repositories.map((r) => withAbsoluteContent(r, baseDir)),
            },
          });
          stateFile = writeForgeStateFile(process.cwd(), {
            url: forge.url,
            seed,
            pid: process.pid,
            startedAt: new Date().toISOString(),
          });
          const github = await createGitHubForge({
            credentials: appCredentialsFromSecret(
              { appId: app.id, installationId: app.installationId },
              Buffer.from(key.privateKey),
              'a key made for this run',
            ),
            baseUrl: forge.url,
          });
          say(`Local forge at ${forge.url} (development only).`);

          const logger = pino({ level: opts.logLevel });
          manager = new Manager({
            client,
            leaderElection: false,
            probes: { port: 0, host: '127.0.0.1' },
            logger,
          });
          // Change control's push ledger, once it runs: the promotions' gate asks it who pushed each commit.
          const pushes = {
            pushersOf: (repo: string, sha: string) => changeControl?.pushes.pushersOf(repo, sha) ?? [],
          };
          registerControllers(manager, {
            dataDir: logs?.dataDir ?? governance,
            hosts,
            forge: github,
            pollIntervalMs: 10_000,
            pushes,
          });
          await manager.start();
          const secret = randomBytes(32).toString('hex');
          changeControl = await startChangeControl({
            manager,
            forge: github,
            logger,
            webhook: {
              port: 0,
              host: '127.0.0.1',
              path: '/webhooks/github',
              secret,
              // Kept with the cluster's state, so a restart does not process a redelivered webhook again.
              ...(opts.data ? { deliveriesFile: join(resolve(opts.data), 'webhook-deliveries.log') } : {}),
            },
            pollIntervalMs: 10_000,
          });
          if (changeControl.webhookUrl) forge.webhooks.add({ url: changeControl.webhookUrl, secret });
          say(`Controller running (health and metrics at ${manager.probeUrl}).`);
        } catch (err) {
          await stopAll();
          throw err;
        }

        say('');
        say(c.bold('Vigil is running.') + ' In another terminal:');
        say('');
        say(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
        say('  kubectl get usecases -A                       # every use case: risk, versions, tier, ready');
        say('  kubectl get vigil -A                          # every Vigil object');
        say('  kubectl describe usecase readmission-risk -n care-management   # conditions and events');
        say('');
        say('Change control, in the local forge (see the README for the whole story):');
        say('  npx vigil promote ambient-documentation --to pilot-department -n clinical-documentation');
        say(
          '  npx vigil forge prs                           # pull requests, reviews and the vigil/sign-off check',
        );
        say('');
        say('Press Ctrl-C to stop.');
        if (opts.drift && logs) {
          const client = new ClusterClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath }));
          void walkReadmissionDrift({ client, logs, say, signal: drift.signal }).catch((err: unknown) => {
            if (!drift.signal.aborted)
              say(`Drift stopped: ${err instanceof Error ? err.message : String(err)}`);
          });
        }
        await new Promise<void>((done) => {
          let stopping = false;
          // Under `npm start` one Ctrl-C arrives twice (from the terminal, and forwarded by npm): the second must
          // not cut the stop short and leave temporary directories behind.
          const stop = () => {
            if (stopping) return;
            stopping = true;
            say('Stopping ...');
            void stopAll().then(done, done);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        say('Stopped.');
      },
    );
}
