// The local cluster: a Kubernetes-API-compatible server for development and tests, which the real kubectl
// and @kubernetes/client-node talk to. In memory by default; with a data directory it survives restarts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ClusterState } from './cluster.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ApiHttpServer } from './server.js';

export interface LocalClusterOptions {
  /** 0 (the default) picks a free loopback port. */
  port?: number;
  host?: '127.0.0.1';
  /** Keep state here across restarts; in memory when absent. */
  dataDir?: string;
  /** Where to write the kubeconfig; a temporary directory when absent. */
  kubeconfigPath?: string;
  logger?: Logger;
  /** How many changes a watch can resume across before it gets 410 Expired. */
  watchHistorySize?: number;
  /** How often watches that asked for bookmarks get one. */
  bookmarkIntervalMs?: number;
  /** With a data directory: fold the log into a snapshot after this many writes. */
  snapshotEvery?: number;
}

export interface LocalCluster {
  url: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
  /** Forget the watch history and close every watch: clients reconnect, get 410 Expired and relist. */
  expireWatches(): void;
  /** Fold the data directory's log into a snapshot now. */
  snapshot(): void;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const host = options.host ?? '127.0.0.1';
  const state = new ClusterState({
    dataDir: options.dataDir,
    watchHistorySize: options.watchHistorySize,
    bookmarkIntervalMs: options.bookmarkIntervalMs,
    snapshotEvery: options.snapshotEvery,
    logger: options.logger,
  });
  const http = new ApiHttpServer(state, { host, port: options.port ?? 0, logger: options.logger });
  let url: string;
  try {
    url = await http.listen();
  } catch (e) {
    state.stop();
    throw e;
  }
  // A directory made here is removed on stop; a path the caller chose is left for the caller.
  const ownDir = options.kubeconfigPath ? undefined : mkdtempSync(join(tmpdir(), 'vigil-local-'));
  const kubeconfigPath = options.kubeconfigPath ?? join(ownDir!, 'kubeconfig');
  writeKubeconfig(kubeconfigPath, url);
  options.logger?.info({ url, kubeconfigPath, dataDir: options.dataDir ?? null }, 'local cluster listening');
  let stopped = false;
  return {
    url,
    kubeconfigPath,
    async stop() {
      if (stopped) return;
      stopped = true;
      await http.close();
      await state.gc.settle();
      state.stop();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
    expireWatches: () => state.watches.expireAll(),
    snapshot: () => state.snapshot(),
  };
}
