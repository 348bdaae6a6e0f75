// Which SignoffPolicies a file of the governance repository declares, and whether one of them is the policy the
// cluster holds: the same kind, name and namespace (or none, as `kubectl apply -n` fills in), and the same spec
// once both are read through the schema, defaults and all. Pure: the caller reads the files.
import { isDeepStrictEqual } from 'node:util';
import { type SignoffPolicySpec, signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import { loadYamlSource } from '../../yaml/index.js';

/** A SignoffPolicy document as written in a file. */
export interface DeclaredPolicy {
  name: string;
  /** Undefined when the document names none: it is applied into whichever namespace it is given. */
  namespace?: string;
  /** The spec as written (not validated). */
  spec: unknown;
}

/** Whether a file may hold objects the cluster applies: YAML, or JSON (which kubectl applies as well). */
export const isManifestPath = (path: string) => /\.(ya?ml|json)$/i.test(path);

/**
 * Every SignoffPolicy (any `vigil.dev/*` apiVersion) in a file's text, multi-document files too. A file that does
 * not read as YAML declares nothing that can be known, and is left out.
 */
export function policiesDeclaredIn(text: string, path: string): DeclaredPolicy[] {
  const loaded = loadYamlSource(text, path);
  if (loaded.diagnostics.some((d) => d.severity === 'error')) return [];
  return loaded.documents.flatMap((d) => {
    const obj = d.value as { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: unknown };
    if (typeof obj !== 'object' || obj === null) return [];
    if (typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('vigil.dev/')) return [];
    if (obj.kind !== 'SignoffPolicy') return [];
    const meta = (obj.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    if (typeof meta.name !== 'string') return [];
    return [
      {
        name: meta.name,
        ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
        spec: obj.spec,
      },
    ];
  });
}

/** Whether a declaration is of the policy `namespace/name`: its name, and its namespace when it names one. */
export function declaresPolicy(declared: DeclaredPolicy, namespace: string, name: string): boolean {
  return declared.name === name && (declared.namespace === undefined || declared.namespace === namespace);
}

/** Whether a declaration's spec is the spec applied, both read through the schema (defaults filled in). */
export function declaresSpec(declared: DeclaredPolicy, applied: SignoffPolicySpec): boolean {
  const parsed = signoffPolicySpec.safeParse(declared.spec);
  if (!parsed.success) return false;
  // Through JSON, so that a key present as undefined on one side and absent on the other compares equal.
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
  return isDeepStrictEqual(plain(parsed.data), plain(applied));
}
