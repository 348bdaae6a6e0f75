import { resolve } from 'node:path';
import type { Command } from 'commander';
import { startLocalCluster } from '../../local-cluster/index.js';
import { UsageError } from '../terminal.js';

/** `vigil local-cluster`: run the development API server until interrupted. */
export function registerLocalCluster(program: Command): void {
  program
    .command('local-cluster')
    .description(
      'Run a local Kubernetes-compatible API server for development and tests (not for production): kubectl and the controller talk to it through the kubeconfig it writes.',
    )
    .option('--port <port>', 'port to listen on, on 127.0.0.1 (0 picks a free one)', '0')
    .option('--data <dir>', 'keep state in this directory across restarts (default: in memory only)')
    .option('--kubeconfig <path>', 'where to write the kubeconfig (default: a new temporary directory)')
    .action(async (opts: { port: string; data?: string; kubeconfig?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port must be an integer from 0 to 65535; got "${opts.port}"`);
      }
      const cluster = await startLocalCluster({
        port,
        dataDir: opts.data ? resolve(opts.data) : undefined,
        kubeconfigPath: opts.kubeconfig ? resolve(opts.kubeconfig) : undefined,
      });
      const out = process.stdout;
      out.write('Vigil local cluster: for development and tests only, not a production Kubernetes.\n');
      out.write(`  API server:  ${cluster.url}\n`);
      out.write(`  kubeconfig:  ${cluster.kubeconfigPath}\n`);
      out.write(`  state:       ${opts.data ? resolve(opts.data) : 'in memory (lost on exit)'}\n\n`);
      out.write(`  export KUBECONFIG=${cluster.kubeconfigPath}\n\n`);
      out.write('Press Ctrl-C to stop.\n');
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void cluster.stop().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      out.write('Vigil local cluster stopped.\n');
    });
}
