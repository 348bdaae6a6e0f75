// The evidence bundle a promotion's pull request carries, and its digest. The bundle holds only what specs and
// statuses hold (which the PHI guard already checked when they were written); the digest is the sha256 of its
// canonical JSON, recorded on the Promotion, so an auditor can tell that the evidence in the pull request is the
// evidence the controller decided on.
import { createHash } from 'node:crypto';
import type { DataContractSpec, DataContractStatus } from '../../../specs/datacontract.js';
import type { PromotionSpec } from '../../../specs/promotion.js';
import type { SurveillancePolicyStatus } from '../../../specs/surveillancepolicy.js';
import { READINESS_ITEMS, type UseCaseSpec } from '../../../specs/usecase.js';
import type { GateResult } from '../kinds/usecase/gates.js';

export interface EvidenceBundle {
  promotion: {
    namespace: string;
    name: string;
    type: PromotionSpec['type'];
    trigger: PromotionSpec['trigger'];
    releaseTrain?: string;
    from?: string;
    to: string;
    version: string;
    previousVersion?: string;
  };
  useCase: {
    name: string;
    title: string;
    riskClass: string;
    ownerTeam: string;
    intendedUse: string;
    model: { name: string; registryUri: string };
  };
  deployment: { repository: string; branch: string; file: string; field: string };
  /** Gate results at the time the pull request opened. */
  gates: GateResult[];
  evaluation?: {
    report?: string;
    evaluatedAt: string;
    dataset?: string;
    encounters?: number;
    labelledOutcomes?: number;
    results: { metric: string; segment?: string; value: number; samples?: number }[];
  };
  contracts: {
    name: string;
    /** Version the use case was built on, when pinned. */
    pinned?: string;
    version?: string;
    ready?: string;
    lastTest?: { result: string; at: string; where: string; rows?: number; failures: number };
  }[];
  readiness: { item: string; status: string; evidence?: string; note?: string }[];
  surveillance?: {
    policy: string;
    /** Worst tier reached by the version running now; undefined when not evaluated yet. */
    tier?: string;
    lastEvaluated?: string;
    metrics: { name: string; segment?: string; value?: number; baseline?: number; tier?: string }[];
    /**
     * The version promoted, as surveillance found it in the earlier stage that runs it (silent, shadow, a pilot):
     * its tier there, its metrics, and production's on the same requests. A breach there is never acted on; it
     * is shown here so that reviewers see it before they sign off.
     */
    candidate?: {
      stage: string;
      version: string;
      tier?: string;
      breached?: boolean;
      metrics: { name: string; segment?: string; value?: number; tier?: string }[];
      comparison?: {
        version: string;
        inputs: number;
        metrics: { name: string; candidate?: number; production?: number }[];
      };
    };
  };
  changeTicket?: string;
  rollbackPlan?: string;
  summary?: string;
  policy: { name: string; revision?: string };
}

export interface EvidenceInput {
  namespace: string;
  name: string;
  promotion: PromotionSpec;
  useCaseName: string;
  useCase: UseCaseSpec;
  target: { file: string; field: string };
  gates: readonly GateResult[];
  contracts: Readonly<Record<string, { spec: DataContractSpec; status?: DataContractStatus } | undefined>>;
  surveillance?: { name: string; status?: SurveillancePolicyStatus };
  policy: { name: string; revision?: string };
}

/** Drop undefined fields so the bundle's JSON (and so its digest) does not depend on how an absence was written. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function buildEvidence(input: EvidenceInput): EvidenceBundle {
  const { promotion: p, useCase: uc } = input;
  // A rollback carries no candidate: its evidence is the surveillance state that called for it.
  const candidate = p.type === 'promotion' && uc.candidate?.version === p.version ? uc.candidate : undefined;
  const evaluation = candidate?.evaluation;
  return defined({
    promotion: defined({
      namespace: input.namespace,
      name: input.name,
      type: p.type,
      trigger: p.trigger,
      releaseTrain: p.releaseTrain,
      from: p.from,
      to: p.to,
      version: p.version,
      previousVersion: p.previousVersion,
    }),
    useCase: {
      name: input.useCaseName,
      title: uc.title,
      riskClass: uc.riskClass,
      ownerTeam: uc.ownerTeam,
      intendedUse: uc.intendedUse,
      model: { name: uc.model.name, registryUri: uc.model.registryUri },
    },
    deployment: {
      repository: uc.deployment.repository,
      branch: uc.deployment.branch,
      file: input.target.file,
      field: input.target.field,
    },
    gates: input.gates.map((g) => ({ name: g.name, passed: g.passed, message: g.message })),
    evaluation: evaluation
      ? defined({
          report: evaluation.report,
          evaluatedAt: evaluation.evaluatedAt,
          dataset: evaluation.dataset,
          encounters: evaluation.encounters,
          labelledOutcomes: evaluation.labelledOutcomes,
          results: evaluation.results.map((r) =>
            defined({ metric: r.metric, segment: r.segment, value: r.value, samples: r.samples }),
          ),
        })
      : undefined,
    contracts: uc.dataContracts.map((ref) => {
      const c = input.contracts[ref.name];
      const test = c?.status?.lastTest;
      return defined({
        name: ref.name,
        pinned: ref.version,
        version: c?.spec.version,
        ready: c?.status?.conditions?.find((x) => x.type === 'Ready')?.status,
        lastTest: test
          ? defined({
              result: test.result,
              at: test.at,
              where: test.where,
              rows: test.rows,
              failures: test.failures?.length ?? 0,
            })
          : undefined,
      });
    }),
    readiness: READINESS_ITEMS.map((item) => {
      const entry = uc.readiness[item];
      return defined({
        item,
        status: entry?.status ?? 'not-started',
        evidence: entry?.evidence,
        note: entry?.note,
      });
    }),
    surveillance: input.surveillance
      ? defined({
          policy: input.surveillance.name,
          tier: input.surveillance.status?.worstTier,
          lastEvaluated: input.surveillance.status?.lastEvaluated,
          metrics: (input.surveillance.status?.metrics ?? []).map((m) =>
            defined({ name: m.name, segment: m.segment, value: m.value, baseline: m.baseline, tier: m.tier }),
          ),
          candidate: p.type === 'promotion' ? candidateStage(input.surveillance.status, p) : undefined,
        })
      : undefined,
    changeTicket: candidate?.changeTicket,
    rollbackPlan: candidate?.rollbackPlan,
    summary: candidate?.summary,
    policy: defined({ name: input.policy.name, revision: input.policy.revision }),
  });
}

/** What surveillance recorded for the promoted version in the stage it leaves (else any earlier stage running it). */
function candidateStage(
  status: SurveillancePolicyStatus | undefined,
  p: PromotionSpec,
): NonNullable<EvidenceBundle['surveillance']>['candidate'] {
  const running = (status?.stages ?? []).filter((s) => !s.production && s.version === p.version);
  const stage = running.find((s) => s.stage === p.from) ?? running[0];
  if (!stage) return undefined;
  return defined({
    stage: stage.stage,
    version: stage.version,
    tier: stage.worstTier,
    breached: stage.breached,
    metrics: (stage.metrics ?? []).map((m) =>
      defined({ name: m.name, segment: m.segment, value: m.value, tier: m.tier }),
    ),
    comparison: stage.comparison
      ? {
          version: stage.comparison.version,
          inputs: stage.comparison.inputs,
          metrics: stage.comparison.metrics.map((m) =>
            defined({ name: m.name, candidate: m.candidate, production: m.production }),
          ),
        }
      : undefined,
  });
}

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** `sha256:<hex>` of the bundle's canonical JSON. */
export function evidenceDigest(bundle: EvidenceBundle): string {
  return `sha256:${createHash('sha256').update(canonicalJson(bundle)).digest('hex')}`;
}
