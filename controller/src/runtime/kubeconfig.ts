// The kubeconfig, by the usual rules: --kubeconfig, else every file in $KUBECONFIG (merged as kubectl does), else
// ~/.kube/config, else the in-cluster service account. A file that cannot be used is named with what is wrong in
// one line, and never quoted: a kubeconfig holds credentials, and a YAML parser's message shows the failing line.
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigSource {
  /** A kubeconfig file (`--kubeconfig`); otherwise $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** A context other than the current one (`--context`). */
  context?: string;
}

/** A kubeconfig that cannot be read or used; the message names the file and the problem, nothing from inside it. */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const kc = new KubeConfig();
  const files = kubeConfigFiles(source.kubeconfig);
  const [first, ...more] = files;
  if (first === undefined) {
    // With nothing to read outside a pod, the client would aim at http://localhost:8080 and fail obscurely.
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new KubeConfigError(NO_KUBECONFIG());
    kc.loadFromDefault();
  } else {
    loadFile(kc, first);
    for (const file of more) {
      const next = new KubeConfig();
      loadFile(next, file);
      kc.mergeConfig(next, false);
    }
    // The client takes any YAML document as an empty config; that is a mistake, not a cluster to talk to.
    if (kc.getClusters().length === 0 && kc.getContexts().length === 0) {
      throw new KubeConfigError(
        `${files.join(', ')}: not a valid kubeconfig (no clusters and no contexts; expected apiVersion: v1 and kind: Config)`,
      );
    }
  }
  if (source.context) {
    if (!kc.getContextObject(source.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        `${files.join(', ') || 'the kubeconfig'}: no context "${source.context}" (contexts: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(source.context);
  }
  return kc;
}

const NO_KUBECONFIG = () =>
  `no kubeconfig: KUBECONFIG is not set, there is no ${join(process.env.HOME || homedir(), '.kube', 'config')} and this is not a pod; is \`npm start\` running, is KUBECONFIG set?`;

/** The files the rules name; none when only the in-cluster service account (or nothing) is left. */
function kubeConfigFiles(explicit: string | undefined): string[] {
  if (explicit) return [explicit];
  const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length) return fromEnv;
  const home = join(process.env.HOME || homedir(), '.kube', 'config');
  try {
    statSync(home);
    return [home];
  } catch {
    return [];
  }
}

function loadFile(kc: KubeConfig, file: string): void {
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new KubeConfigError(`${file}: ${kubeConfigProblem(err)}`);
  }
}

/** What is wrong with a kubeconfig file, from the error loading it: never the error's own text of the file. */
export function kubeConfigProblem(err: unknown): string {
  const e = err as {
    code?: string;
    name?: string;
    message?: string;
    mark?: { line?: number; column?: number };
  };
  switch (e.code) {
    case 'ENOENT':
      return 'no such file (expected a kubeconfig)';
    case 'EISDIR':
      return 'is a directory, not a kubeconfig file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (cannot read the kubeconfig)';
    case undefined:
      break;
    default:
      return `cannot be read (${e.code})`;
  }
  if (e.name === 'YAMLException') {
    const at =
      typeof e.mark?.line === 'number'
        ? ` at line ${e.mark.line + 1}${typeof e.mark.column === 'number' ? `, column ${e.mark.column + 1}` : ''}`
        : '';
    return `not a valid kubeconfig: YAML syntax error${at}`;
  }
  // The client's own checks name a field by its position only, e.g. "users[0].name is missing".
  if (
    typeof e.message === 'string' &&
    /^(clusters|users|contexts)\[\d+\](\.[A-Za-z-]+)* is missing$/.test(e.message)
  )
    return `not a valid kubeconfig: ${e.message}`;
  return 'not a valid kubeconfig (expected apiVersion: v1 and kind: Config, with clusters, users and contexts)';
}
