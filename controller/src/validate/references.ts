// Checks references across a whole set of objects: every name a UseCase or DataContract gives resolves in its
// namespace, and what it refers to fits (stages on the train, a requirement for the risk class, ...).
import type { DataContractSpec } from '../../../specs/datacontract.js';
import type { ReleaseTrainSpec } from '../../../specs/releasetrain.js';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import type { UseCaseSpec } from '../../../specs/usecase.js';
import { type Diagnostic, formatPath, type PathSegment } from '../diagnostics.js';
import { missingReferenceMessage, references } from '../kinds/usecase/references.js';
import type { ObjectIdentity, ValidObject } from './document.js';
import { closest } from './suggest.js';

/** Objects by namespace, then kind, then name. */
export class ObjectIndex {
  private readonly byKey = new Map<string, ValidObject>();
  private readonly invalid: Set<string>;

  /** `invalid`: objects that exist but failed their schema; their own errors are reported already. */
  constructor(objects: readonly ValidObject[], invalid: readonly ObjectIdentity[] = []) {
    for (const o of objects)
      if (!this.byKey.has(key(o.namespace, o.kind, o.name)))
        this.byKey.set(key(o.namespace, o.kind, o.name), o);
    this.invalid = new Set(invalid.map((o) => key(o.namespace, o.kind, o.name)));
  }

  /** Whether an object of that name exists, valid or not. */
  exists(namespace: string, kind: string, name: string): boolean {
    const k = key(namespace, kind, name);
    return this.byKey.has(k) || this.invalid.has(k);
  }

  get(namespace: string, kind: string, name: string): ValidObject | undefined {
    return this.byKey.get(key(namespace, kind, name));
  }

  names(namespace: string, kind: string): string[] {
    const prefix = `${namespace}/${kind}/`;
    return [...this.byKey.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }
}

const key = (namespace: string, kind: string, name: string) => `${namespace}/${kind}/${name}`;

export function checkReferences(
  objects: readonly ValidObject[],
  invalid: readonly ObjectIdentity[] = [],
): Diagnostic[] {
  const index = new ObjectIndex(objects, invalid);
  const out: Diagnostic[] = [];
  out.push(...duplicates(objects));
  for (const o of objects) {
    if (o.kind === 'UseCase') out.push(...useCaseReferences(o, index));
    if (o.kind === 'DataContract') out.push(...dataContractReferences(o, index));
  }
  return out;
}

function diagnostic(
  o: ValidObject,
  path: PathSegment[],
  code: string,
  message: string,
  severity: Diagnostic['severity'] = 'error',
  hint?: string,
  onKey = false,
): Diagnostic {
  const pos = onKey ? o.source.locateKey(path) : o.source.locateValue(path);
  return {
    file: o.source.file,
    ...pos,
    path: formatPath(path),
    code,
    message,
    severity,
    ...(hint ? { hint } : {}),
  };
}

function duplicates(objects: readonly ValidObject[]): Diagnostic[] {
  const first = new Map<string, ValidObject>();
  const out: Diagnostic[] = [];
  for (const o of objects) {
    const k = key(o.namespace, o.kind, o.name);
    const earlier = first.get(k);
    if (!earlier) {
      first.set(k, o);
      continue;
    }
    const where = `${earlier.source.file}:${earlier.source.locateValue(['metadata', 'name']).line}`;
    out.push(
      diagnostic(
        o,
        ['metadata', 'name'],
        'ref.duplicate',
        `${o.kind} "${o.name}" is defined twice in namespace "${o.namespace}"; first at ${where}`,
      ),
    );
  }
  return out;
}

/** A reference to a missing object: which kind, which name, what exists instead. */
function missing(
  o: ValidObject,
  path: PathSegment[],
  kind: string,
  name: string,
  index: ObjectIndex,
): Diagnostic {
  const existing = index.names(o.namespace, kind);
  const guess = closest(name, existing);
  const known = existing.length
    ? `; ${kind}s there: ${existing.sort().join(', ')}`
    : `; there is no ${kind} in that namespace`;
  return diagnostic(
    o,
    path,
    'ref.missing',
    `${missingReferenceMessage(kind, name, o.namespace)}${known}`,
    'error',
    guess ? `did you mean "${guess}"?` : undefined,
  );
}

function useCaseReferences(o: ValidObject, index: ObjectIndex): Diagnostic[] {
  const spec = o.object.spec as unknown as UseCaseSpec;
  const out: Diagnostic[] = [];

  // Which objects a use case names is decided once, in the UseCase kind; here each is looked up in the repo.
  for (const ref of references(spec)) {
    if (!index.exists(o.namespace, ref.kind, ref.name)) {
      out.push(missing(o, ref.path, ref.kind, ref.name, index));
      continue;
    }
    const found = index.get(o.namespace, ref.kind, ref.name);
    if (ref.kind !== 'DataContract' || !found || ref.version === undefined) continue;
    const version = (found.object.spec as unknown as DataContractSpec).version;
    if (ref.version !== version) {
      out.push(
        diagnostic(
          o,
          [...ref.path.slice(0, -1), 'version'],
          'ref.contract-version',
          `DataContract "${ref.name}" is at version "${version}", not "${ref.version}"`,
          'warning',
        ),
      );
    }
  }
  const train = index.get(o.namespace, 'ReleaseTrain', spec.releaseTrain);
  const policy = index.get(o.namespace, 'SignoffPolicy', spec.signoffPolicy);

  if (policy) {
    const requirements = (policy.object.spec as unknown as SignoffPolicySpec).requirements;
    if (!requirements.some((r) => r.riskClass === spec.riskClass)) {
      out.push(
        diagnostic(
          o,
          ['spec', 'riskClass'],
          'ref.no-requirement',
          `SignoffPolicy "${spec.signoffPolicy}" has no requirement for risk class "${spec.riskClass}" (it covers ${requirements.map((r) => r.riskClass).join(', ')}); no change could be signed off`,
        ),
      );
    }
  }

  if (train) out.push(...stagesOnTrain(o, spec, train));
  return out;
}

function stagesOnTrain(o: ValidObject, spec: UseCaseSpec, train: ValidObject): Diagnostic[] {
  const t = train.object.spec as unknown as ReleaseTrainSpec;
  const stages = t.stages.map((s) => s.name);
  const out: Diagnostic[] = [];
  const unknownStage = (path: PathSegment[], stage: string) => {
    const guess = closest(stage, stages);
    out.push(
      diagnostic(
        o,
        path,
        'ref.unknown-stage',
        `stage "${stage}" is not on ReleaseTrain "${spec.releaseTrain}" (its stages: ${stages.join(', ')})`,
        'error',
        guess ? `did you mean "${guess}"?` : undefined,
      ),
    );
  };
  spec.deployment.targets.forEach((target, i) => {
    if (!stages.includes(target.stage))
      unknownStage(['spec', 'deployment', 'targets', i, 'stage'], target.stage);
  });
  spec.versions.forEach((v, i) => {
    if (!stages.includes(v.stage)) unknownStage(['spec', 'versions', i, 'stage'], v.stage);
  });
  const targeted = new Set(spec.deployment.targets.map((x) => x.stage));
  const untargeted = stages.filter((s) => !targeted.has(s));
  if (untargeted.length > 0) {
    out.push(
      diagnostic(
        o,
        ['spec', 'deployment', 'targets'],
        'ref.stage-without-target',
        `no deployment target for stage${untargeted.length > 1 ? 's' : ''} ${untargeted.map((s) => `"${s}"`).join(', ')} of ReleaseTrain "${spec.releaseTrain}"; promotions cannot enter ${untargeted.length > 1 ? 'them' : 'it'}`,
        'warning',
        undefined,
        true,
      ),
    );
  }

  const candidate = spec.candidate;
  if (candidate) {
    if (t.changeTicketPattern !== undefined) {
      const pattern = new RegExp(t.changeTicketPattern);
      if (candidate.changeTicket === undefined) {
        out.push(
          diagnostic(
            o,
            ['spec', 'candidate'],
            'ref.change-ticket',
            `ReleaseTrain "${spec.releaseTrain}" requires a change ticket matching ${t.changeTicketPattern}; the candidate has none`,
          ),
        );
      } else if (!pattern.test(candidate.changeTicket)) {
        out.push(
          diagnostic(
            o,
            ['spec', 'candidate', 'changeTicket'],
            'ref.change-ticket',
            `change ticket "${candidate.changeTicket}" does not match ReleaseTrain "${spec.releaseTrain}" pattern ${t.changeTicketPattern}`,
          ),
        );
      }
    }
    if (t.rollbackPlanRequired && candidate.rollbackPlan === undefined) {
      out.push(
        diagnostic(
          o,
          ['spec', 'candidate'],
          'ref.rollback-plan',
          `ReleaseTrain "${spec.releaseTrain}" requires a rollback plan; set spec.candidate.rollbackPlan to its link`,
        ),
      );
    }
  }
  return out;
}

function dataContractReferences(o: ValidObject, index: ObjectIndex): Diagnostic[] {
  const spec = o.object.spec as unknown as DataContractSpec;
  const consumers = (spec as { consumers?: { useCase: string; namespace?: string }[] }).consumers ?? [];
  const out: Diagnostic[] = [];
  consumers.forEach((c, i) => {
    const namespace = c.namespace ?? o.namespace;
    if (!index.exists(namespace, 'UseCase', c.useCase)) {
      const existing = index.names(namespace, 'UseCase');
      const guess = closest(c.useCase, existing);
      out.push(
        diagnostic(
          o,
          ['spec', 'consumers', i, 'useCase'],
          'ref.missing',
          `UseCase "${c.useCase}" not found in namespace "${namespace}"${existing.length ? `; UseCases there: ${existing.sort().join(', ')}` : ''}`,
          'error',
          guess ? `did you mean "${guess}"?` : undefined,
        ),
      );
    }
  });
  return out;
}
