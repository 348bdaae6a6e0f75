// The objects a use case names: the rule lives here once, for `vigil validate`, the Valid condition and the
// watches that re-queue a use case when something it refers to changes.
import type { UseCaseSpec } from '../../../../specs/usecase.js';
import type { PathSegment } from '../../diagnostics.js';

export type ReferencedKind = 'DataContract' | 'ReleaseTrain' | 'SurveillancePolicy' | 'SignoffPolicy';

/** One object a use case refers to, in its namespace, and where in the use case it is named. */
export interface ObjectReference {
  kind: ReferencedKind;
  name: string;
  /** Path of the field holding the name, from the object root, e.g. `['spec', 'dataContracts', 0, 'name']`. */
  path: PathSegment[];
  /** For a DataContract: the version the use case was built against, when it pins one. */
  version?: string;
}

/** Every object the use case refers to, in the order a person reads the spec: contracts, train, policies. */
export function references(spec: UseCaseSpec): ObjectReference[] {
  const out: ObjectReference[] = spec.dataContracts.map((c, i) => ({
    kind: 'DataContract' as const,
    name: c.name,
    path: ['spec', 'dataContracts', i, 'name'],
    ...(c.version !== undefined ? { version: c.version } : {}),
  }));
  out.push({ kind: 'ReleaseTrain', name: spec.releaseTrain, path: ['spec', 'releaseTrain'] });
  if (spec.surveillancePolicy !== undefined) {
    out.push({
      kind: 'SurveillancePolicy',
      name: spec.surveillancePolicy,
      path: ['spec', 'surveillancePolicy'],
    });
  }
  out.push({ kind: 'SignoffPolicy', name: spec.signoffPolicy, path: ['spec', 'signoffPolicy'] });
  return out;
}

/** Whether a change to the object `kind`/`name` (in the use case's namespace) can change the use case's status. */
export function refersTo(spec: UseCaseSpec, kind: string, name: string): boolean {
  return references(spec).some((r) => r.kind === kind && r.name === name);
}

/** The message for a reference that does not resolve, as `vigil validate` and the Valid condition word it. */
export function missingReferenceMessage(kind: string, name: string, namespace: string): string {
  return `${kind} "${name}" not found in namespace "${namespace}"`;
}
