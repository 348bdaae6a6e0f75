// Runs the real helm against charts/vigil and parses what it renders.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chartDir = join(repoRoot, 'charts', 'vigil');
export const crdDir = join(repoRoot, 'crd');
export const RELEASE = 'gov';
export const NAMESPACE = 'vigil-system';
/** The full name the chart gives resources for release "gov". */
export const FULLNAME = 'gov-vigil';

/** A rendered Kubernetes object; the fields the tests look at are reached through `get`. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

let helmBinary: Promise<string> | undefined;

/** Path of the real helm binary, downloaded by scripts/helm.mjs on first use. */
export function helmPath(): Promise<string> {
  helmBinary ??= (async () => {
    // scripts/ is plain JavaScript outside the TypeScript project, so its type is stated here.
    const script = pathToFileURL(join(repoRoot, 'scripts', 'helm.mjs')).href;
    const mod = (await import(script)) as { helmPath(): Promise<string> };
    return mod.helmPath();
  })();
  return helmBinary;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; resolves with its exit code instead of throwing. */
export function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<RunResult>((resolvePromise, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env: options.env ?? process.env },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export async function helm(args: string[]): Promise<RunResult> {
  return run(await helmPath(), args);
}

/** Values as --set-json flags, one per top-level key; helm merges them into the defaults like a values file. */
export function valueFlags(values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--set-json', `${key}=${JSON.stringify(value)}`]);
}

/** `helm template` output as text; throws with helm's message when rendering fails. */
export async function renderText(
  values: Record<string, unknown> = {},
  chart = chartDir,
  extraArgs: string[] = [],
): Promise<string> {
  const result = await helm([
    'template',
    RELEASE,
    chart,
    '--namespace',
    NAMESPACE,
    ...valueFlags(values),
    ...extraArgs,
  ]);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

export function parseObjects(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS({ maxAliasCount: 0 }) as K8sObject | null;
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

export async function render(values: Record<string, unknown> = {}, chart = chartDir): Promise<K8sObject[]> {
  return parseObjects(await renderText(values, chart));
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function single(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** Reads a nested field by a dotted path; array indexes are plain numbers. */
export function get<T = unknown>(value: unknown, path: string): T {
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined as T;
    current = (current as Record<string, unknown>)[part];
  }
  return current as T;
}
