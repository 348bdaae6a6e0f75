// What `vigil start` makes in the temporary directory it removes on a clean stop: the local cluster's
// kubeconfig directory and the local forge's repositories. (The fresh-clone CI step checks the same of the
// whole `npm start`, by its own TMPDIR.)
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalForge } from '../controller/src/forge/local/index.js';
import { startLocalCluster } from '../controller/src/local-cluster/index.js';

const SEED = resolve(import.meta.dirname, '..', 'examples', 'forge', 'seed.yaml');

describe('temporary directories on a clean stop', () => {
  it('the local cluster removes the directory it made for its kubeconfig', async () => {
    const cluster = await startLocalCluster({});
    const dir = dirname(cluster.kubeconfigPath);
    expect(existsSync(cluster.kubeconfigPath)).toBe(true);
    await cluster.stop();
    expect(existsSync(dir)).toBe(false);
  });

  it('the local cluster leaves a kubeconfig written where it was asked to', async () => {
    const cluster = await startLocalCluster({});
    const cluster2 = await startLocalCluster({ kubeconfigPath: cluster.kubeconfigPath });
    await cluster2.stop();
    expect(existsSync(cluster.kubeconfigPath)).toBe(true);
    await cluster.stop();
  });

  it('the local forge removes the directory it made for its repositories', async () => {
    const forge = await startLocalForge({ seed: SEED });
    const dir = dirname(forge.repoPath('northwind-health', 'ai-deployments'));
    expect(existsSync(dir)).toBe(true);
    await forge.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
