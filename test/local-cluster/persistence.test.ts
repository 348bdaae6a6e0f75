// State in a data directory survives restarts, and a server killed with SIGKILL in the middle of writing
// leaves a directory that loads: every acknowledged write is there, nothing is torn.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster } from '../../controller/src/local-cluster/index.js';
import { buildForChildProcess, removeChildBuild } from './child-build.js';
import { FIXTURES } from './harness.js';

let dataDir: string;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vigil-lc-persist-'));
  dataDir = join(work, 'data');
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removeChildBuild();
});

/** A child process that serves from the data directory and writes use cases as fast as it can, reporting each acknowledged write. */
const WRITER = `
const { startLocalCluster } = await import(process.env.LC_INDEX);
const { readFileSync } = await import('node:fs');
const { parse } = await import('yaml');
const c = await startLocalCluster({ dataDir: process.env.LC_DATA, kubeconfigPath: process.env.LC_KUBECONFIG, snapshotEvery: 40 });
const base = c.url + '/apis/vigil.dev/v1alpha1/namespaces/default/usecases';
const crd = parse(readFileSync(process.env.LC_CRD, 'utf8'));
let r = await fetch(c.url + '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(crd) });
if (r.status !== 201 && r.status !== 409) throw new Error('crd ' + r.status);
process.stdout.write('ready\\n');
for (let i = 0; ; i++) {
  const body = { apiVersion: 'vigil.dev/v1alpha1', kind: 'UseCase', metadata: { name: 'uc-' + i }, spec: { title: 'Use case ' + i + ' ' + 'x'.repeat(500), riskClass: 'operational' } };
  r = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status === 201) process.stdout.write('ack uc-' + i + '\\n');
  if (i % 3 === 2) {
    r = await fetch(base + '/uc-' + (i - 1), { method: 'DELETE' });
    if (r.status === 200) process.stdout.write('gone uc-' + (i - 1) + '\\n');
  }
}
`;

function startWriter(): { child: ChildProcess; output: () => string; ready: Promise<void> } {
  const root = buildForChildProcess();
  const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER], {
    env: {
      ...process.env,
      LC_INDEX: join(root, 'controller/src/local-cluster/index.js'),
      LC_DATA: dataDir,
      LC_KUBECONFIG: join(work, 'kubeconfig'),
      LC_CRD: join(FIXTURES, 'crds', 'usecases.yaml'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (out.includes('ready\n')) {
        clearInterval(check);
        resolve();
      }
    }, 10);
    child.on('exit', (code) => {
      clearInterval(check);
      reject(new Error(`writer exited early (${code}): ${err}`));
    });
  });
  return { child, output: () => out, ready };
}

/**
 * What the writer confirmed before it died. The operation in flight at the kill may or may not have
 * landed, so the names around the last confirmed one are uncertain either way.
 */
function acknowledged(output: string): { present: Set<string>; gone: Set<string>; uncertain: Set<string> } {
  const present = new Set<string>();
  const gone = new Set<string>();
  let last = 0;
  for (const line of output.split('\n')) {
    const [verb, name] = line.split(' ');
    if (!name) continue;
    if (verb === 'ack') present.add(name);
    if (verb === 'gone') {
      present.delete(name);
      gone.add(name);
    }
    if (verb === 'ack' || verb === 'gone') last = Number(name.slice(3));
  }
  const uncertain = new Set([last - 1, last, last + 1, last + 2].map((i) => `uc-${i}`));
  return { present, gone, uncertain };
}

describe('the data directory', () => {
  // Two rounds of a child process that starts, writes until a count and is killed, each waiting up to a minute
  // for its count on a loaded machine: more than the default 30 seconds.
  it('loads after SIGKILL in the middle of writing, with every acknowledged write kept', async () => {
    let before = new Set<string>();
    for (const round of [1, 2]) {
      const writer = startWriter();
      await writer.ready;
      // Kill once a number of writes are acknowledged (not after a fixed sleep, which a loaded machine outlasts),
      // at a count that differs per round so the kill lands at a different point of the write cycle.
      const target = 20 + round * 13;
      const deadline = Date.now() + 60_000;
      while (acknowledged(writer.output()).present.size < target && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      writer.child.kill('SIGKILL');
      await new Promise((r) => writer.child.on('close', r));
      const { present, gone, uncertain } = acknowledged(writer.output());
      expect(present.size).toBeGreaterThan(10);

      const cluster = await startLocalCluster({ dataDir, kubeconfigPath: join(work, 'kubeconfig') });
      try {
        const kc = new KubeConfig();
        kc.loadFromFile(cluster.kubeconfigPath);
        const api = kc.makeApiClient(CustomObjectsApi);
        const list = (await api.listNamespacedCustomObject({
          group: 'vigil.dev',
          version: 'v1alpha1',
          namespace: 'default',
          plural: 'usecases',
        })) as {
          metadata: { resourceVersion: string };
          items: Array<{ metadata: { name: string; resourceVersion: string } }>;
        };
        const names = new Set(list.items.map((i) => i.metadata.name));
        for (const name of present)
          if (!uncertain.has(name))
            expect(names.has(name), `${name} was acknowledged but is missing`).toBe(true);
        for (const name of gone)
          if (!uncertain.has(name)) expect(names.has(name), `${name} was deleted but came back`).toBe(false);
        for (const name of names) {
          const explained = present.has(name) || uncertain.has(name) || before.has(name);
          expect(explained, `${name} exists but was never acknowledged`).toBe(true);
        }
        before = new Set([...names, `after-restart-${round}`]);
        const next = (await api.createNamespacedCustomObject({
          group: 'vigil.dev',
          version: 'v1alpha1',
          namespace: 'default',
          plural: 'usecases',
          body: {
            apiVersion: 'vigil.dev/v1alpha1',
            kind: 'UseCase',
            metadata: { name: `after-restart-${round}` },
            spec: { title: 't', riskClass: 'operational' },
          },
        })) as { metadata: { resourceVersion: string } };
        const highest = Math.max(...list.items.map((i) => Number(i.metadata.resourceVersion)));
        expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(highest);
      } finally {
        await cluster.stop();
      }
    }
  }, 150_000);

  it('drops a torn last record and keeps everything before it', async () => {
    const dir = join(work, 'torn');
    const first = await startLocalCluster({ dataDir: dir, kubeconfigPath: join(work, 'kc-torn') });
    await fetch(`${first.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'kept' }, data: { a: '1' } }),
    });
    await first.stop();
    const log = readFileSync(join(dir, 'wal.jsonl'), 'utf8');
    // Half of a record, as a crash during a write would leave it.
    appendFileSync(join(dir, 'wal.jsonl'), log.split('\n').filter(Boolean).at(-1)!.slice(0, 40));
    const second = await startLocalCluster({ dataDir: dir, kubeconfigPath: join(work, 'kc-torn') });
    try {
      const r = await fetch(`${second.url}/api/v1/namespaces/default/configmaps/kept`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { data: Record<string, string> }).data).toEqual({ a: '1' });
      const write = await fetch(`${second.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'after' } }),
      });
      expect(write.status).toBe(201);
    } finally {
      await second.stop();
    }
    const third = await startLocalCluster({ dataDir: dir, kubeconfigPath: join(work, 'kc-torn') });
    try {
      expect((await fetch(`${third.url}/api/v1/namespaces/default/configmaps/after`)).status).toBe(200);
    } finally {
      await third.stop();
    }
  });
});
