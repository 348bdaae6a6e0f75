// Checks references across a whole set of objects: every name a UseCase or DataContract gives resolves in its
// namespace, and what it refers to fits (stages on the train, a requirement for the risk class, ...).
import type { DataContractSpec } from '../../../specs/datacontract.js';
import type { ReleaseTrainSpec } from '../../../specs/releasetrain.js';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import type { UseCaseSpec } from '../../../specs/usecase.js';
import { type Diagnostic, formatPath, type PathSegment } from '../diagnostics.js';
import { missingReferenceMessage, type ObjectReference, references } from '../kinds/usecase/references.js';
import type { SourceLocator } from '../yaml/index.js';
import type { ObjectIdentity, ValidObject } from './document.js';
import { closest } from './suggest.js';

/**
 * What the checks across objects need of one valid object: who it is, where it is written, and the few fields
 * other objects are checked against. Kept instead of the whole object, so a large tree is checked in bounded memory.
 */
export interface ReferencedObject extends ObjectIdentity {
  source: SourceLocator;
  facts: KindFacts;
}

export type KindFacts =
  | {
      kind: 'UseCase';
      references: ObjectReference[];
      releaseTrain: string;
      signoffPolicy: string;
      riskClass: string;
      targetStages: string[];
      versionStages: string[];
      candidate?: { changeTicket?: string; hasRollbackPlan: boolean; evidence: string[] };
    }
  | { kind: 'DataContract'; version: string; consumers: { useCase: string; namespace?: string }[] }
  | { kind: 'SignoffPolicy'; riskClasses: string[] }
  | {
      kind: 'ReleaseTrain';
      stages: string[];
      changeTicketPattern?: string;
      rollbackPlanRequired: boolean;
      /** Metrics its evaluation gates hold candidates to, each with the first stage that does. */
      gateMetrics: { metric: string; stage: string }[];
    }
  | { kind: 'other' };

/** The facts of a valid object, taken from the parsed object (defaults applied). */
export function referencedObject(o: ValidObject): ReferencedObject {
  return {
    kind: o.kind,
    namespace: o.namespace,
    name: o.name,
    source: o.source.locator(),
    facts: factsOf(o),
  };
}

function factsOf(o: ValidObject): KindFacts {
  switch (o.kind) {
    case 'UseCase': {
      const spec = o.object.spec as unknown as UseCaseSpec;
      const candidate = spec.candidate;
      return {
        kind: 'UseCase',
        references: references(spec),
        releaseTrain: spec.releaseTrain,
        signoffPolicy: spec.signoffPolicy,
        riskClass: spec.riskClass,
        targetStages: spec.deployment.targets.map((t) => t.stage),
        versionStages: spec.versions.map((v) => v.stage),
        ...(candidate
          ? {
              candidate: {
                ...(candidate.changeTicket !== undefined ? { changeTicket: candidate.changeTicket } : {}),
                hasRollbackPlan: candidate.rollbackPlan !== undefined,
                evidence: candidate.evaluation.results.map((r) => r.metric),
              },
            }
          : {}),
      };
    }
    case 'DataContract': {
      const spec = o.object.spec as unknown as DataContractSpec;
      const consumers = (spec as { consumers?: { useCase: string; namespace?: string }[] }).consumers ?? [];
      return {
        kind: 'DataContract',
        version: spec.version,
        consumers: consumers.map((c) => ({
          useCase: c.useCase,
          ...(c.namespace !== undefined ? { namespace: c.namespace } : {}),
        })),
      };
    }
    case 'SignoffPolicy': {
      const spec = o.object.spec as unknown as SignoffPolicySpec;
      return { kind: 'SignoffPolicy', riskClasses: spec.requirements.map((r) => r.riskClass) };
    }
    case 'ReleaseTrain': {
      const spec = o.object.spec as unknown as ReleaseTrainSpec;
      const gateMetrics = new Map<string, string>();
      for (const stage of spec.stages)
        for (const gate of stage.gates.evaluation)
          if (!gateMetrics.has(gate.metric)) gateMetrics.set(gate.metric, stage.name);
      return {
        kind: 'ReleaseTrain',
        stages: spec.stages.map((s) => s.name),
        ...(spec.changeTicketPattern !== undefined ? { changeTicketPattern: spec.changeTicketPattern } : {}),
        rollbackPlanRequired: spec.rollbackPlanRequired === true,
        gateMetrics: [...gateMetrics].map(([metric, stage]) => ({ metric, stage })),
      };
    }
    default:
      return { kind: 'other' };
  }
}

/** Objects by namespace, then kind, then name. */
export class ObjectIndex {
  private readonly byKey = new Map<string, ReferencedObject>();
  private readonly invalid: Set<string>;

  /** `invalid`: objects that exist but failed their schema; their own errors are reported already. */
  constructor(objects: readonly ReferencedObject[], invalid: readonly ObjectIdentity[] = []) {
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

  get(namespace: string, kind: string, name: string): ReferencedObject | undefined {
    return this.byKey.get(key(namespace, kind, name));
  }

  names(namespace: string, kind: string): string[] {
    const prefix = `${namespace}/${kind}/`;
    return [...this.byKey.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }
}

const key = (namespace: string, kind: string, name: string) => `${namespace}/${kind}/${name}`;

export function checkReferences(
  objects: readonly ReferencedObject[],
  invalid: readonly ObjectIdentity[] = [],
): Diagnostic[] {
  const index = new ObjectIndex(objects, invalid);
  const out: Diagnostic[] = [];
  out.push(...duplicates(objects));
  for (const o of objects) {
    if (o.facts.kind === 'UseCase') out.push(...useCaseReferences(o, o.facts, index));
    if (o.facts.kind === 'DataContract') out.push(...dataContractReferences(o, o.facts, index));
  }
  return out;
}

function diagnostic(
  o: ReferencedObject,
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

function duplicates(objects: readonly ReferencedObject[]): Diagnostic[] {
  const first = new Map<string, ReferencedObject>();
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
  o: ReferencedObject,
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

type UseCaseFacts = Extract<KindFacts, { kind: 'UseCase' }>;
type ReleaseTrainFacts = Extract<KindFacts, { kind: 'ReleaseTrain' }>;
type DataContractFacts = Extract<KindFacts, { kind: 'DataContract' }>;

function useCaseReferences(o: ReferencedObject, spec: UseCaseFacts, index: ObjectIndex): Diagnostic[] {
  const out: Diagnostic[] = [];

  // Which objects a use case names is decided once, in the UseCase kind; here each is looked up in the repo.
  for (const ref of spec.references) {
    if (!index.exists(o.namespace, ref.kind, ref.name)) {
      out.push(missing(o, ref.path, ref.kind, ref.name, index));
      continue;
    }
    const found = index.get(o.namespace, ref.kind, ref.name);
    if (ref.kind !== 'DataContract' || found?.facts.kind !== 'DataContract' || ref.version === undefined)
      continue;
    const version = found.facts.version;
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
  const train = index.get(o.namespace, 'ReleaseTrain', spec.releaseTrain)?.facts;
  const policy = index.get(o.namespace, 'SignoffPolicy', spec.signoffPolicy)?.facts;

  if (policy?.kind === 'SignoffPolicy') {
    const riskClasses = policy.riskClasses;
    if (!riskClasses.includes(spec.riskClass)) {
      out.push(
        diagnostic(
          o,
          ['spec', 'riskClass'],
          'ref.no-requirement',
          `SignoffPolicy "${spec.signoffPolicy}" has no requirement for risk class "${spec.riskClass}" (it covers ${riskClasses.join(', ')}); no change could be signed off`,
        ),
      );
    }
  }

  if (train?.kind === 'ReleaseTrain') out.push(...stagesOnTrain(o, spec, train));
  return out;
}

function stagesOnTrain(o: ReferencedObject, spec: UseCaseFacts, t: ReleaseTrainFacts): Diagnostic[] {
  const stages = t.stages;
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
  spec.targetStages.forEach((stage, i) => {
    if (!stages.includes(stage)) unknownStage(['spec', 'deployment', 'targets', i, 'stage'], stage);
  });
  spec.versionStages.forEach((stage, i) => {
    if (!stages.includes(stage)) unknownStage(['spec', 'versions', i, 'stage'], stage);
  });
  const targeted = new Set(spec.targetStages);
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
      const pattern = ticketPattern(t.changeTicketPattern);
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
    out.push(...evidenceNames(o, spec.releaseTrain, candidate.evidence, t));
    if (t.rollbackPlanRequired && !candidate.hasRollbackPlan) {
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

/**
 * A gate metric the evidence names only with another case or spelling ("AUROC", "aucroc" for "auroc"): the gate
 * finds no result under its own name, so the candidate cannot board. A warning at the evidence, where the fix
 * usually is.
 */
function evidenceNames(
  o: ReferencedObject,
  train: string,
  evidence: readonly string[],
  t: ReleaseTrainFacts,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const named = new Set(evidence);
  const gated = t.gateMetrics.map((g) => g.metric);
  const reported = new Set<number>();
  for (const { metric, stage } of t.gateMetrics) {
    if (named.has(metric)) continue;
    const index = evidence.findIndex(
      (e, i) =>
        !reported.has(i) &&
        !gated.includes(e) &&
        (e.toLowerCase() === metric.toLowerCase() || closest(e, [metric]) === metric),
    );
    if (index < 0) continue;
    reported.add(index);
    out.push(
      diagnostic(
        o,
        ['spec', 'candidate', 'evaluation', 'results', index, 'metric'],
        'ref.evidence-metric',
        `"${evidence[index]}" is not a metric ReleaseTrain "${train}" gates on; its gate for stage "${stage}" finds no result under its own name`,
        'warning',
        `did you mean "${metric}"?`,
      ),
    );
  }
  return out;
}

// Many use cases ride one train: its pattern is compiled once. Non-global, so `test` keeps no state between calls.
const ticketPatterns = new Map<string, RegExp>();
function ticketPattern(source: string): RegExp {
  let pattern = ticketPatterns.get(source);
  if (!pattern) {
    pattern = new RegExp(source);
    ticketPatterns.set(source, pattern);
  }
  return pattern;
}

function dataContractReferences(
  o: ReferencedObject,
  spec: DataContractFacts,
  index: ObjectIndex,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  spec.consumers.forEach((c, i) => {
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
