// The audit record, assembled from what was read (no I/O here): per use case and period, every promotion and
// rollback with its evidence digest, the gates at decision time, approvers by role with times, the policy revision
// in force, who merged and when, break-glass and its retrospective; and surveillance breaches with the actions
// taken. Only fields that specs and statuses hold reach the report, so it carries no PHI and no credential.
import type { PromotionSpec, PromotionStatus } from '../../../specs/promotion.js';
import type { SurveillancePolicyStatus } from '../../../specs/surveillancepolicy.js';
import { type AuditPeriod, overlapsPeriod } from './period.js';

// --- inputs: what the I/O layer read ------------------------------------------------------------------------------

/** A Kubernetes object as read from the cluster; spec and status may be partial or malformed. */
export interface ObservedObject<S = Record<string, unknown>, T = Record<string, unknown>> {
  metadata: { name?: string; namespace?: string; creationTimestamp?: string | Date };
  spec?: Partial<S>;
  status?: Partial<T>;
}

export interface UseCaseFacts {
  title: string;
  riskClass: string;
  ownerTeam: string;
  signoffPolicy: string;
  surveillancePolicy: string;
  releaseTrain: string;
  deployment: { repository?: string };
}

export interface UseCaseObservation {
  productionVersion: string;
  currentPromotion: string;
  lastRollback: { promotion: string; version: string; at: string };
}

/** A review as the forge reports it. */
export interface ForgeReview {
  id: number;
  login: string;
  state: string;
  submittedAt?: string;
  commitId: string;
}

/** A pull request's history at the forge, read when one was reachable. */
export interface ForgePullRequest {
  repository: string;
  number: number;
  title: string;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt?: string;
  closedAt?: string;
  /** Who pressed merge; only when the forge adapter reports it. */
  mergedBy?: string;
  /** The commit the merge made on the base branch; only when the forge adapter reports it. */
  mergeCommitSha?: string;
  author: string;
  headSha: string;
  reviews: ForgeReview[];
}

export interface ForgeReading {
  /** Where the forge was asked, or undefined when none was (the record then rests on the cluster alone). */
  url?: string;
  /** Pull requests by `org/repo#number`. */
  pullRequests: Map<string, ForgePullRequest>;
  /** Why a pull request (or the whole forge) could not be read; credentials are never in these. */
  problems: string[];
}

export interface AuditInputs {
  generatedAt: string;
  scope: { namespace?: string; useCase?: string };
  period: AuditPeriod;
  /** Where the cluster was read (the API server URL), for the report's provenance. */
  cluster?: string;
  useCases: ObservedObject<UseCaseFacts, UseCaseObservation>[];
  promotions: ObservedObject<PromotionSpec, PromotionStatus>[];
  surveillancePolicies: ObservedObject<Record<string, unknown>, SurveillancePolicyStatus>[];
  forge: ForgeReading;
}

// --- the report model ---------------------------------------------------------------------------------------------

export interface Approval {
  role: string;
  login: string;
  at: string;
  reviewId?: number;
  commit?: string;
}

export interface ReviewRecord {
  login: string;
  state: string;
  at?: string;
  commit: string;
  /** The role this review filled, when the controller counted it. */
  countedFor?: string;
}

export interface BreakGlassRecord {
  by: string;
  at: string;
  retrospectiveDue: string;
  retrospectiveDoneAt?: string;
  /** `done`, `due` (not yet, still in time) or `overdue` as of the report's time. */
  retrospective: 'done' | 'due' | 'overdue';
}

export interface PromotionRecord {
  namespace: string;
  name: string;
  useCase: string;
  type: 'promotion' | 'rollback';
  trigger?: string;
  releaseTrain?: string;
  from?: string;
  to: string;
  version: string;
  previousVersion?: string;
  phase: string;
  openedAt?: string;
  /** When it was decided: merged, or closed without merging. */
  decidedAt?: string;
  pullRequest?: {
    repository?: string;
    number: number;
    url: string;
    title?: string;
    headSha?: string;
    state?: string;
    mergeCommitSha?: string;
  };
  mergedAt?: string;
  mergedBy?: string;
  closedAt?: string;
  evidenceDigest?: string;
  policy: { name?: string; revision?: string };
  gates: { name: string; passed: boolean; message: string }[];
  signoffSummary?: string;
  approvals: Approval[];
  /** Every review at the forge, with the role it filled where it counted; empty when the forge was not read. */
  reviews: ReviewRecord[];
  breakGlass?: BreakGlassRecord;
  /** What an auditor should look at: gaps and disagreements between the cluster and the forge. */
  findings: string[];
}

export interface BreachRecord {
  at: string;
  policy: string;
  metric: string;
  tier: string;
  action: string;
  /** What the action produced: the review issue's URL, the rollback Promotions with their pull requests. */
  reference?: string;
  /** When the breach cleared; absent while it lasts. */
  cleared?: string;
}

export interface UseCaseSection {
  namespace: string;
  name: string;
  title?: string;
  riskClass?: string;
  ownerTeam?: string;
  productionVersion?: string;
  signoffPolicy?: string;
  surveillancePolicy?: string;
  /** False when Promotions name a use case that no longer exists in the cluster. */
  declared: boolean;
  promotions: PromotionRecord[];
  breaches: BreachRecord[];
  /** Whether the surveillance policy is in the cluster, and when its metrics were last evaluated. */
  surveillance?: { found: boolean; lastEvaluated?: string };
}

export interface SummaryRow {
  namespace: string;
  useCase: string;
  promotions: number;
  rollbacks: number;
  merged: number;
  notMerged: number;
  inProgress: number;
  breakGlass: number;
  breaches: number;
  findings: number;
}

export interface AuditReport {
  kind: 'VigilAuditReport';
  version: 1;
  generatedAt: string;
  scope: { namespace?: string; useCase?: string };
  period: AuditPeriod;
  sources: { cluster?: string; forge?: string; forgeProblems: string[] };
  /** True when nothing in scope happened in the period: no promotion, rollback or surveillance action. */
  empty: boolean;
  summary: SummaryRow[];
  useCases: UseCaseSection[];
}

// --- assembly -----------------------------------------------------------------------------------------------------

const IN_PROGRESS = new Set(['Pending', 'Open', 'SignedOff']);

const iso = (v: string | Date | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? v : v.toISOString();
const byTime = (a: string | undefined, b: string | undefined) => (a ?? '').localeCompare(b ?? '');
const sectionKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** `org/repo` of a pull request: the use case's declared repository, else the one in its URL. */
export function repositoryOf(url: string | undefined, declared: string | undefined): string | undefined {
  if (declared) return declared;
  const m = url ? /\/([^/]+)\/([^/]+)\/pulls?\/\d+\/?$/.exec(safePath(url)) : null;
  return m ? `${m[1]}/${m[2]}` : undefined;
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

export const pullRequestKey = (repository: string, number: number) => `${repository.toLowerCase()}#${number}`;

function promotionRecord(
  p: ObservedObject<PromotionSpec, PromotionStatus>,
  useCase: ObservedObject<UseCaseFacts, UseCaseObservation> | undefined,
  forge: ForgeReading,
  now: string,
): PromotionRecord {
  const spec = p.spec ?? {};
  const status = p.status ?? {};
  const namespace = p.metadata.namespace ?? '';
  const pr = status.pullRequest;
  const repository = pr ? repositoryOf(pr.url, useCase?.spec?.deployment?.repository) : undefined;
  const atForge =
    pr && repository ? forge.pullRequests.get(pullRequestKey(repository, pr.number)) : undefined;
  const approvals: Approval[] = [...(status.signoffs ?? [])]
    .map((s) => ({
      role: s.role,
      login: s.login,
      at: s.at,
      ...(s.reviewId !== undefined ? { reviewId: s.reviewId } : {}),
      ...(s.commit ? { commit: s.commit } : {}),
    }))
    .sort((a, b) => a.role.localeCompare(b.role));
  const roleOfReview = new Map(
    approvals.flatMap((a) => (a.reviewId !== undefined ? [[a.reviewId, a.role]] : [])),
  );
  const reviews: ReviewRecord[] = (atForge?.reviews ?? [])
    .map((r) => {
      const role = roleOfReview.get(r.id);
      return {
        login: r.login,
        state: r.state,
        ...(r.submittedAt ? { at: r.submittedAt } : {}),
        commit: r.commitId,
        ...(role ? { countedFor: role } : {}),
      };
    })
    .sort((a, b) => byTime(a.at, b.at));

  // The cluster's record first; the forge fills what the controller did not observe (a merge while it was down).
  const mergedAt = status.mergedAt ?? atForge?.mergedAt;
  const closedAt = status.closedAt ?? (atForge && !atForge.merged ? atForge.closedAt : undefined);
  const phase = status.phase ?? 'Pending';
  const bg = status.breakGlass;
  const breakGlass: BreakGlassRecord | undefined = bg
    ? {
        by: bg.by,
        at: bg.at,
        retrospectiveDue: bg.retrospectiveDue,
        ...(bg.retrospectiveDoneAt ? { retrospectiveDoneAt: bg.retrospectiveDoneAt } : {}),
        retrospective: bg.retrospectiveDoneAt
          ? 'done'
          : Date.parse(now) > Date.parse(bg.retrospectiveDue)
            ? 'overdue'
            : 'due',
      }
    : undefined;

  const findings: string[] = [];
  // What the controller recorded, kept apart from what the forge says, so a disagreement shows as a finding.
  const recordedMerge = phase === 'Merged' || phase === 'RolledBack' || status.mergedAt !== undefined;
  const merged = recordedMerge || atForge?.merged === true;
  if (merged && !status.evidenceDigest) findings.push('Merged without a recorded evidence digest.');
  if (merged && !status.policyRevision) findings.push('Merged without a recorded sign-off policy revision.');
  if (merged && approvals.length === 0 && !breakGlass) {
    findings.push('Merged with no approval recorded by the controller.');
  }
  if (breakGlass?.retrospective === 'overdue') {
    findings.push(
      `Break-glass retrospective sign-off was due ${breakGlass.retrospectiveDue} and is not done.`,
    );
  }
  if (atForge) {
    if (atForge.merged && !recordedMerge) {
      findings.push(
        'The forge shows the pull request merged; the controller has not recorded the merge yet.',
      );
    }
    if (!atForge.merged && recordedMerge) {
      findings.push('The controller recorded a merge; the forge shows the pull request not merged.');
    }
    for (const a of approvals) {
      if (a.reviewId !== undefined && !atForge.reviews.some((r) => r.id === a.reviewId)) {
        findings.push(`The approval counted for ${a.role} (review ${a.reviewId}) is no longer at the forge.`);
      }
    }
  }
  if (pr && forge.url && !atForge) findings.push('The pull request could not be read at the forge.');

  return {
    namespace,
    name: p.metadata.name ?? '',
    useCase: spec.useCase ?? '',
    type: spec.type ?? 'promotion',
    ...(spec.trigger ? { trigger: spec.trigger } : {}),
    ...(spec.releaseTrain ? { releaseTrain: spec.releaseTrain } : {}),
    ...(spec.from ? { from: spec.from } : {}),
    to: spec.to ?? '',
    version: spec.version ?? '',
    ...(spec.previousVersion ? { previousVersion: spec.previousVersion } : {}),
    phase,
    ...opt('openedAt', iso(p.metadata.creationTimestamp)),
    ...opt('decidedAt', mergedAt ?? closedAt),
    ...(pr
      ? {
          pullRequest: {
            ...opt('repository', repository),
            number: pr.number,
            url: atForge?.url ?? pr.url,
            ...opt('title', atForge?.title),
            ...opt('headSha', pr.headSha ?? atForge?.headSha),
            ...opt('state', atForge ? (atForge.merged ? 'merged' : atForge.state) : undefined),
            ...opt('mergeCommitSha', atForge?.mergeCommitSha),
          },
        }
      : {}),
    ...opt('mergedAt', mergedAt),
    ...opt('mergedBy', atForge?.mergedBy),
    ...opt('closedAt', merged ? undefined : closedAt),
    ...opt('evidenceDigest', status.evidenceDigest),
    policy: { ...opt('name', useCase?.spec?.signoffPolicy), ...opt('revision', status.policyRevision) },
    gates: (status.gates ?? []).map((g) => ({ name: g.name, passed: g.passed, message: g.message })),
    ...opt('signoffSummary', status.signoffSummary),
    approvals,
    reviews,
    ...(breakGlass ? { breakGlass } : {}),
    findings,
  };
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Surveillance actions in the period, attributed to a use case: the one named, else every use case on the policy. */
function breachesByUseCase(inputs: AuditInputs): Map<string, BreachRecord[]> {
  const out = new Map<string, BreachRecord[]>();
  for (const sp of inputs.surveillancePolicies) {
    const namespace = sp.metadata.namespace ?? '';
    const policy = sp.metadata.name ?? '';
    const onPolicy = inputs.useCases
      .filter((u) => u.metadata.namespace === namespace && u.spec?.surveillancePolicy === policy)
      .map((u) => u.metadata.name ?? '');
    for (const a of sp.status?.actions ?? []) {
      if (!overlapsPeriod(inputs.period, a.at, a.at)) continue;
      const breach: BreachRecord = {
        at: a.at,
        policy,
        metric: a.metric,
        tier: a.tier,
        action: a.action,
        ...opt('reference', producedBy(inputs, namespace, a)),
        ...opt('cleared', a.cleared?.at),
      };
      for (const useCase of a.useCase ? [a.useCase] : onPolicy) {
        const key = sectionKey(namespace, useCase);
        out.set(key, [...(out.get(key) ?? []), breach]);
      }
    }
  }
  return out;
}

/**
 * What a surveillance action produced, as an auditor follows it: the review issue's URL; each rollback Promotion
 * with its pull request's URL once it has one; else what status recorded.
 */
function producedBy(
  inputs: AuditInputs,
  namespace: string,
  a: NonNullable<SurveillancePolicyStatus['actions']>[number],
): string | undefined {
  if (a.issue) return a.issue.url;
  if (a.action !== 'rollback' || !a.reference) return a.reference;
  return a.reference
    .split(',')
    .map((name) => name.trim())
    .map((name) => {
      const p = inputs.promotions.find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
      const url = p?.status?.pullRequest?.url;
      return url ? `${name} (${url})` : name;
    })
    .join(', ');
}

/** The policy's evaluation as the cluster holds it: only the last one is kept, so that is what can be said. */
function surveillanceOf(
  inputs: AuditInputs,
  namespace: string,
  policy: string,
): { found: boolean; lastEvaluated?: string } {
  const sp = inputs.surveillancePolicies.find(
    (p) => p.metadata.namespace === namespace && p.metadata.name === policy,
  );
  return { found: sp !== undefined, ...opt('lastEvaluated', sp?.status?.lastEvaluated) };
}

export function assembleAuditReport(inputs: AuditInputs): AuditReport {
  const { scope, period, generatedAt } = inputs;
  const inScope = (namespace: string | undefined, useCase: string | undefined) =>
    (!scope.namespace || namespace === scope.namespace) && (!scope.useCase || useCase === scope.useCase);

  const sections = new Map<string, UseCaseSection>();
  const sectionFor = (namespace: string, name: string): UseCaseSection => {
    const key = sectionKey(namespace, name);
    let s = sections.get(key);
    if (!s) {
      s = { namespace, name, declared: false, promotions: [], breaches: [] };
      sections.set(key, s);
    }
    return s;
  };
  const useCaseByKey = new Map<string, ObservedObject<UseCaseFacts, UseCaseObservation>>();
  for (const u of inputs.useCases) {
    const namespace = u.metadata.namespace ?? '';
    const name = u.metadata.name ?? '';
    useCaseByKey.set(sectionKey(namespace, name), u);
    if (!inScope(namespace, name)) continue;
    const spec = u.spec ?? {};
    Object.assign(sectionFor(namespace, name), {
      declared: true,
      ...opt('title', spec.title),
      ...opt('riskClass', spec.riskClass),
      ...opt('ownerTeam', spec.ownerTeam),
      ...opt('productionVersion', u.status?.productionVersion),
      ...opt('signoffPolicy', spec.signoffPolicy),
      ...opt('surveillancePolicy', spec.surveillancePolicy),
      ...(spec.surveillancePolicy
        ? { surveillance: surveillanceOf(inputs, namespace, spec.surveillancePolicy) }
        : {}),
    });
  }

  for (const p of inputs.promotions) {
    const namespace = p.metadata.namespace ?? '';
    const useCase = p.spec?.useCase ?? '';
    if (!inScope(namespace, useCase)) continue;
    const record = promotionRecord(
      p,
      useCaseByKey.get(sectionKey(namespace, useCase)),
      inputs.forge,
      generatedAt,
    );
    // An open promotion belongs to every period it spans; a decided one to the periods it was open in.
    if (!overlapsPeriod(period, record.openedAt, record.decidedAt)) continue;
    sectionFor(namespace, useCase).promotions.push(record);
  }

  for (const [key, breaches] of breachesByUseCase(inputs)) {
    const [namespace = '', name = ''] = key.split('/');
    if (!inScope(namespace, name)) continue;
    sectionFor(namespace, name).breaches.push(...breaches);
  }

  const useCases = [...sections.values()]
    .map((s) => ({
      ...s,
      promotions: s.promotions.sort((a, b) => byTime(a.openedAt, b.openedAt) || a.name.localeCompare(b.name)),
      breaches: s.breaches.sort((a, b) => byTime(a.at, b.at)),
    }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));

  const summary: SummaryRow[] = useCases.map((s) => {
    const merged = s.promotions.filter((p) => p.mergedAt !== undefined);
    return {
      namespace: s.namespace,
      useCase: s.name,
      promotions: s.promotions.filter((p) => p.type === 'promotion').length,
      rollbacks: s.promotions.filter((p) => p.type === 'rollback').length,
      merged: merged.length,
      notMerged: s.promotions.filter((p) => p.mergedAt === undefined && !IN_PROGRESS.has(p.phase)).length,
      inProgress: s.promotions.filter((p) => p.mergedAt === undefined && IN_PROGRESS.has(p.phase)).length,
      breakGlass: s.promotions.filter((p) => p.breakGlass).length,
      breaches: s.breaches.length,
      findings: s.promotions.reduce((n, p) => n + p.findings.length, 0),
    };
  });

  return {
    kind: 'VigilAuditReport',
    version: 1,
    generatedAt,
    scope: { ...opt('namespace', scope.namespace), ...opt('useCase', scope.useCase) },
    period,
    sources: {
      ...opt('cluster', inputs.cluster),
      ...opt('forge', inputs.forge.url),
      forgeProblems: inputs.forge.problems,
    },
    empty: useCases.every((s) => s.promotions.length === 0 && s.breaches.length === 0),
    summary,
    useCases,
  };
}
