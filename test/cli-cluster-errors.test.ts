// What a newcomer sees when a command cannot do its work against the cluster: a cluster that does not answer
// (npm start not running, KUBECONFIG pointing elsewhere), or a namespace that does not exist. One line each,
// exit 1, no stack trace, and no empty record that reads as "nothing happened".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds, readCrds } from '../controller/src/apply/index.js';
import { type LocalCluster, startLocalCluster } from '../controller/src/local-cluster/index.js';
import { kubeconfigFor } from '../controller/src/local-cluster/kubeconfig.js';
import { ClusterClient, loadKubeConfig } from '../controller/src/runtime/index.js';
import { runVigil } from './support/cli-output.js';

const ROOT = resolve(import.meta.dirname, '..');
let work: string;
let closedServer: string;
let closedKubeconfig: string;
let cluster: LocalCluster;

/** `vigil ...args` in process, in the work directory: no .vigil/forge.json there, so the audit reads the cluster alone. */
const vigil = (...args: string[]) => runVigil(args, { cwd: work });

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-cluster-errors-'));
  closedServer = `http://127.0.0.1:${await closedPort()}`;
  closedKubeconfig = join(work, 'closed.kubeconfig');
  writeFileSync(closedKubeconfig, kubeconfigFor(closedServer));
  cluster = await startLocalCluster({ kubeconfigPath: join(work, 'kubeconfig') });
  await installCrds(
    new ClusterClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath })),
    readCrds(join(ROOT, 'crd')),
  );
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('a cluster that does not answer', () => {
  const expected = () =>
    `vigil: cannot reach the cluster at ${closedServer}; is \`npm start\` running, is KUBECONFIG set?\n`;

  it('vigil promote says so in one line', async () => {
    const r = await vigil(
      'promote',
      'ambient-documentation',
      '--to',
      'pilot-department',
      '-n',
      'clinical-documentation',
      '--kubeconfig',
      closedKubeconfig,
    );
    expect(r).toEqual({ code: 1, out: '', err: expected() });
  });

  it('vigil audit says so in one line', async () => {
    const r = await vigil('audit', '--no-forge', '--kubeconfig', closedKubeconfig);
    expect(r).toEqual({ code: 1, out: '', err: expected() });
  });

  it('vigil audit -n NS says so in one line', async () => {
    const r = await vigil('audit', '-n', 'care-management', '--no-forge', '--kubeconfig', closedKubeconfig);
    expect(r).toEqual({ code: 1, out: '', err: expected() });
  });

  it('vigil controller says so in one line before it starts, rather than retrying for ever', async () => {
    const r = await vigil(
      'controller',
      '--kubeconfig',
      closedKubeconfig,
      '--metrics-port',
      '0',
      '--log-level',
      'silent',
    );
    expect(r).toEqual({ code: 1, out: '', err: expected() });
  });

  it('vigil controller refuses a --prometheus-url that is not an http(s) URL, before it touches the cluster', async () => {
    const r = await vigil(
      'controller',
      '--kubeconfig',
      closedKubeconfig,
      '--prometheus-url',
      'prometheus:9090',
      '--log-level',
      'silent',
    );
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      expect.stringContaining('--prometheus-url must be an http:// or https:// URL; got "prometheus:9090"'),
    ]);
  });

  it('vigil controller refuses a --data-host that is not a host, before it touches the cluster', async () => {
    const r = await vigil(
      'controller',
      '--kubeconfig',
      closedKubeconfig,
      '--data-host',
      'db.internal:5432',
      '--data-host',
      'https://db.internal',
      '--log-level',
      'silent',
    );
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      expect.stringContaining(
        '--data-host: "https://db.internal" is not a host or host:port (for example db.internal or db.internal:5432)',
      ),
    ]);
  });

  it('KUBECONFIG is read the same way as --kubeconfig', async () => {
    const before = process.env.KUBECONFIG;
    process.env.KUBECONFIG = closedKubeconfig;
    try {
      const r = await vigil('audit', '--no-forge');
      expect(r).toEqual({ code: 1, out: '', err: expected() });
    } finally {
      if (before === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = before;
    }
  });
});

describe('a kubeconfig the client will not use as written', () => {
  it('an http:// server without insecure-skip-tls-verify is named, with the missing setting', async () => {
    const plain = join(work, 'plain-http.kubeconfig');
    writeFileSync(plain, kubeconfigFor(closedServer).replace(/\n\s*insecure-skip-tls-verify: true/, ''));
    const expected = {
      code: 1,
      out: '',
      err: `vigil: the kubeconfig's cluster ${closedServer} is plain http://, which Vigil's client uses only with insecure-skip-tls-verify: true in that cluster's entry\n`,
    };
    expect(await vigil('audit', '--no-forge', '--kubeconfig', plain)).toEqual(expected);
    expect(
      await vigil('promote', 'ambient-documentation', '--to', 'pilot-department', '--kubeconfig', plain),
    ).toEqual(expected);
  });
});

describe('a namespace that does not exist', () => {
  it('vigil audit reports it instead of an empty record', async () => {
    const r = await vigil(
      'audit',
      '-n',
      'no-such-namespace',
      '--no-forge',
      '--kubeconfig',
      cluster.kubeconfigPath,
    );
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `vigil: namespace "no-such-namespace" does not exist in the cluster at ${cluster.url}\n`,
    });
  });

  it('vigil promote reports it instead of a missing use case', async () => {
    const r = await vigil(
      'promote',
      'ambient-documentation',
      '--to',
      'pilot-department',
      '-n',
      'no-such-namespace',
      '--kubeconfig',
      cluster.kubeconfigPath,
    );
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `vigil: namespace "no-such-namespace" does not exist in the cluster at ${cluster.url}\n`,
    });
  });

  it('vigil audit reports a use case that does not exist instead of an empty record', async () => {
    const r = await vigil(
      'audit',
      '-n',
      'default',
      '--use-case',
      'readmision-risk',
      '--no-forge',
      '--kubeconfig',
      cluster.kubeconfigPath,
    );
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `vigil: no UseCase "readmision-risk" in namespace "default" at ${cluster.url} (use cases: none)\n`,
    });
  });

  it('an existing namespace with nothing in it is still an empty record, not an error', async () => {
    const r = await vigil('audit', '-n', 'default', '--no-forge', '--kubeconfig', cluster.kubeconfigPath);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'No promotions, rollbacks or surveillance actions were found for namespace default',
    );
  });
});
