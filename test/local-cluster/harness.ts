// Starts a local cluster for one test file and runs the real kubectl against it (the one on PATH, or the
// binary given): execFile-style argument arrays, KUBECONFIG pointing at the cluster, and a private HOME so
// kubectl's discovery cache is its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import {
  type LocalCluster,
  type LocalClusterOptions,
  startLocalCluster,
} from '../../controller/src/local-cluster/index.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/local-cluster/', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface Harness {
  cluster: LocalCluster;
  dir: string;
  env: NodeJS.ProcessEnv;
  kubectl(
    args: string[],
    options?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** kubectl that must succeed; its stdout. */
  ok(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<string>;
  spawnKubectl(args: string[]): ChildProcess;
  kubeConfig(): KubeConfig;
  stop(): Promise<void>;
}

export interface HarnessOptions extends LocalClusterOptions {
  /** The kubectl binary to run; `kubectl` from PATH when absent. */
  kubectlPath?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { kubectlPath = 'kubectl', ...clusterOptions } = options;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-lc-test-'));
  const cluster = await startLocalCluster({ kubeconfigPath: join(dir, 'kubeconfig'), ...clusterOptions });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    KUBECONFIG: cluster.kubeconfigPath,
    KUBECACHEDIR: join(dir, 'cache'),
  };
  const kubectl: Harness['kubectl'] = (args, opts = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(kubectlPath, args, {
        env: { ...env, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code });
      });
      child.stdin.end(opts.input ?? '');
    });
  return {
    cluster,
    dir,
    env,
    kubectl,
    async ok(args, opts) {
      const r = await kubectl(args, opts);
      if (r.code !== 0)
        throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    spawnKubectl(args) {
      return spawn(kubectlPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfigPath);
      return kc;
    },
    async stop() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Split kubectl's table output into rows of cells (columns are separated by two or more spaces). */
export function tableRows(output: string): string[][] {
  return output
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s{2,}/));
}

export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await fn();
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw lastError;
}
