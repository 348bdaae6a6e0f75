import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KubeConfigError, kubeConfigProblem, loadKubeConfig } from './kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const savedEnv = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
// Outside a pod, as a person at a terminal is.
delete process.env.KUBERNETES_SERVICE_HOST;
afterEach(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const config = (context: string, server: string) =>
  [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: ${context}, cluster: {server: "${server}"}}]`,
    `users: [{name: ${context}, user: {token: not-a-real-token}}]`,
    `contexts: [{name: ${context}, context: {cluster: ${context}, user: ${context}}}]`,
    `current-context: ${context}`,
    '',
  ].join('\n');

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

const failure = (source: Parameters<typeof loadKubeConfig>[0]) => {
  try {
    loadKubeConfig(source);
  } catch (err) {
    return err;
  }
  throw new Error('expected loadKubeConfig to fail');
};

describe('loadKubeConfig', () => {
  it('loads --kubeconfig and switches to --context', () => {
    const path = write('two-contexts', config('one', 'https://127.0.0.1:6443'));
    expect(loadKubeConfig({ kubeconfig: path }).getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    const err = failure({ kubeconfig: path, context: 'two' });
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as Error).message).toBe(`${path}: no context "two" (contexts: one)`);
  });

  it('merges every file in $KUBECONFIG, the current context from the first, as kubectl does', () => {
    const a = write('a', config('a', 'https://127.0.0.1:1'));
    const b = write('b', config('b', 'https://127.0.0.1:2'));
    process.env.KUBECONFIG = [a, b].join(delimiter);
    const kc = loadKubeConfig();
    expect(kc.getContexts().map((c) => c.name)).toEqual(['a', 'b']);
    expect(loadKubeConfig({ context: 'b' }).getCurrentCluster()?.server).toBe('https://127.0.0.1:2');
  });

  it('names the file in $KUBECONFIG that is missing', () => {
    const a = write('present', config('a', 'https://127.0.0.1:1'));
    const missing = join(dir, 'absent');
    process.env.KUBECONFIG = [a, missing].join(delimiter);
    expect((failure({}) as Error).message).toBe(`${missing}: no such file (expected a kubeconfig)`);
  });

  it('reads ~/.kube/config when nothing else is named', () => {
    delete process.env.KUBECONFIG;
    process.env.HOME = join(dir, 'home');
    mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
    const path = write(join('home', '.kube', 'config'), config('home', 'https://127.0.0.1:3'));
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://127.0.0.1:3');
    writeFileSync(path, 'clusters: [');
    expect((failure({}) as Error).message).toMatch(
      new RegExp(`^${path}: not a valid kubeconfig: YAML syntax error`),
    );
  });

  it('says there is no kubeconfig, rather than aiming at localhost:8080, when none is set and none exists', () => {
    delete process.env.KUBECONFIG;
    process.env.HOME = join(dir, 'no-home');
    const err = failure({});
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as Error).message).toBe(
      `no kubeconfig: KUBECONFIG is not set, there is no ${join(dir, 'no-home', '.kube', 'config')} and this is not a pod; is \`npm start\` running, is KUBECONFIG set?`,
    );
  });

  it('says a directory is not a kubeconfig file', () => {
    expect((failure({ kubeconfig: dir }) as Error).message).toBe(
      `${dir}: is a directory, not a kubeconfig file`,
    );
  });

  it('gives the line of a YAML error, never its text', () => {
    const secret = 'Zx81-do-not-print-me';
    const path = write('broken', `apiVersion: v1\nusers:\n- name: u\n  user: {token: "${secret}\n`);
    const message = (failure({ kubeconfig: path }) as Error).message;
    expect(message).toMatch(
      new RegExp(`^${path}: not a valid kubeconfig: YAML syntax error at line \\d+, column \\d+$`),
    );
    expect(message).not.toContain(secret);
  });

  it.each([
    ['an empty file', ''],
    ['a YAML scalar', 'just words\n'],
  ])('says %s is not a kubeconfig', (_what, text) => {
    const path = write(`not-config-${text.length}`, text);
    expect((failure({ kubeconfig: path }) as Error).message).toMatch(
      new RegExp(`^${path}: not a valid kubeconfig`),
    );
  });

  it("passes on the client's own field check, which names a position and no value", () => {
    const path = write('no-server', 'clusters: [{name: c, cluster: {}}]\n');
    expect((failure({ kubeconfig: path }) as Error).message).toBe(
      `${path}: not a valid kubeconfig: clusters[0].cluster.server is missing`,
    );
  });
});

describe('kubeConfigProblem', () => {
  it('turns an error code into words', () => {
    expect(kubeConfigProblem(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(
      'permission denied (cannot read the kubeconfig)',
    );
    expect(kubeConfigProblem(Object.assign(new Error('x'), { code: 'EIO' }))).toBe('cannot be read (EIO)');
  });

  it('never repeats an unknown error message, which may quote the file', () => {
    expect(kubeConfigProblem(new Error('unexpected token: "s3cr3t"'))).not.toContain('s3cr3t');
  });
});
