// The SurveillancePolicy reconciler: on its interval, reads the metrics (inference log, Prometheus) and records
// the tier each reached and what is due. Reaching a review tier opens one governance review issue per breach
// (reviews.ts), closed with a comment when the breach clears. Reaching a rollback tier creates the rollback
// Promotions of the use cases that name the policy (their names are deterministic, so a retry or a second
// replica finds the same ones). Between intervals a pass only finishes review issues a failure left pending;
// with none pending it changes nothing, so it writes nothing.
//
// The tiers act for the version in production. A version an earlier stage runs (silent, shadow, a pilot wave) is
// a candidate: its metrics are read over its own rows of the log, and over the requests production scored too,
// beside production's on those same requests; its breach is told and recorded in status.stages (stages.ts),
// never acted on.
import { parseDuration } from '../../../../specs/common.js';
import { type PromotionStatus, promotionSpec } from '../../../../specs/promotion.js';
import { signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import {
  type SurveillancePolicySpec,
  type SurveillancePolicyStatus,
  surveillancePolicySpec,
} from '../../../../specs/surveillancepolicy.js';
import { type UseCaseStatus, useCaseSpec } from '../../../../specs/usecase.js';
import { DataHosts } from '../../data/data-hosts.js';
import { DataSourceError } from '../../data/errors.js';
import { type Forge, ForgeError, ForgeUnavailableError } from '../../forge/forge.js';
import { readMetrics, type UnreadMetric } from '../../metrics/inference-log.js';
import { DeploymentHistory } from '../../promotion/deployment-history.js';
import {
  createRollbacks,
  type KnownPromotion,
  planRollback,
  type RollbackPlan,
  type RollbackRequest,
} from '../../promotion/rollback.js';
import type { ConditionUpdate, KubeObject, ReconcileContext } from '../../runtime/index.js';
import { defineController } from '../../runtime/index.js';
import { condition } from '../conditions.js';
import {
  PROMOTIONS,
  peekSpec,
  readSpec,
  SIGNOFF_POLICIES,
  SURVEILLANCE_POLICIES,
  statusOf,
  USE_CASES,
} from '../resources.js';
import { REVIEW_OPENED, type ReviewInput, reviewPending, settleReviews } from './reviews.js';
import { noForgeReport, type RollbackReport, referenceRollbacks, rollbackReport } from './rollbacks.js';
import {
  type CandidateReading,
  candidateVersions,
  decideStages,
  type FollowedStage,
  followedStages,
  logMetricsOnly,
  notFollowedCondition,
  type StagesDecision,
} from './stages.js';
import { type ActionRecord, decideSurveillanceStatus, type MetricStatus } from './status.js';

export interface SurveillanceDependencies {
  /** The governance repository root that inference log paths resolve against; none: log metrics are not read. */
  dataDir?: string;
  /** The Prometheus base URL for prometheus sources of policies that name none (--prometheus-url). */
  prometheusUrl?: string;
  /** Hosts a policy's own prometheusUrl may name besides --prometheus-url's (VIGIL_DATA_HOSTS, --data-host). */
  hosts?: DataHosts;
  /** Bound on each Prometheus request (default 10 s). */
  prometheusTimeoutMs?: number;
  /**
   * The forge rollback pull requests open in. Without one no Promotion is followed to a pull request, so a
   * rollback tier creates none and the RollbackOpened condition says so.
   */
  forge?: Forge;
}

export function surveillancePolicyController(deps: SurveillanceDependencies) {
  const history = deps.forge ? new DeploymentHistory(deps.forge) : undefined;
  return defineController({
    kind: SURVEILLANCE_POLICIES,
    watches: [
      {
        // A use case names the policy, stops naming it, or changes the version it runs.
        kind: USE_CASES,
        map: (uc) => {
          const policy = peekSpec(useCaseSpec, uc)?.surveillancePolicy;
          return policy && uc.metadata?.namespace ? [`${uc.metadata.namespace}/${policy}`] : [];
        },
      },
      // Read from the cache when a rollback is due (the history of each stage, the break-glass rule); a change
      // to them makes no evaluation due.
      { kind: PROMOTIONS, map: () => [] },
      { kind: SIGNOFF_POLICIES, map: () => [] },
    ],
    async reconcile(ctx, obj) {
      const namespace = obj.metadata!.namespace!;
      const name = obj.metadata!.name!;
      const spec = readSpec(surveillancePolicySpec, obj);
      const previous = statusOf<SurveillancePolicyStatus>(obj);
      const intervalMs = (parseDuration(spec.interval) ?? 3_600) * 1_000;

      const useCases = ctx.cache
        .list(USE_CASES, namespace)
        .filter((uc) => peekSpec(useCaseSpec, uc)?.surveillancePolicy === name);
      // The version whose tiers act is the one in production, when a single use case names the policy.
      const version =
        useCases.length === 1 ? statusOf<UseCaseStatus>(useCases[0])?.productionVersion : undefined;
      // Each stage's version: production's judged below, a candidate's (silent, shadow, a pilot) told apart.
      const followed = useCases.length === 1 ? followedStages(stagesOf(useCases[0]!), version) : undefined;

      // Due when never evaluated, when the spec changed, when a stage runs another version than the last
      // evaluation followed, or when the interval has passed.
      const last = previous?.lastEvaluated ? Date.parse(previous.lastEvaluated) : undefined;
      const specChanged = previous?.observedGeneration !== obj.metadata?.generation;
      const stagesChanged = !sameStages(previous?.stages, followed);
      const dueIn =
        last === undefined || specChanged || stagesChanged ? 0 : last + intervalMs - ctx.now.getTime();
      if (dueIn > 0) {
        // Between evaluations only review issues still to open or close are worked on; Ready stands as it is.
        const ready = readyOf(previous);
        if (!deps.forge || !(previous?.actions ?? []).some((a) => reviewPending(a))) {
          return { requeueAfter: dueIn, ...(ready ? { status: { conditions: [ready] } } : {}) };
        }
        const settled = await settleReviews(
          reviewInput(
            ctx,
            deps.forge,
            namespace,
            name,
            spec,
            previous?.actions ?? [],
            previous?.metrics ?? [],
          ),
        );
        return {
          status: {
            actions: settled.actions,
            conditions: [...(ready ? [ready] : []), ...(settled.condition ? [settled.condition] : [])],
          },
          events: settled.events,
          requeueAfter: Math.min(dueIn, settled.retryInMs ?? dueIn),
        };
      }

      const conditions: ConditionUpdate[] = [];
      const read = await readMetrics(spec, {
        ...(deps.dataDir !== undefined ? { baseDir: deps.dataDir } : {}),
        version,
        now: ctx.now,
        prometheus: {
          ...(deps.prometheusUrl !== undefined ? { url: deps.prometheusUrl } : {}),
          // A policy's own prometheusUrl is asked only on --prometheus-url's host or a listed one.
          hosts: deps.hosts ?? DataHosts.none(),
          ...(deps.prometheusTimeoutMs !== undefined ? { timeoutMs: deps.prometheusTimeoutMs } : {}),
          signal: ctx.signal,
        },
      });
      const readings = read.readings;
      conditions.push(
        read.unread.length === 0
          ? {
              type: 'MetricsRead',
              status: 'True',
              reason: 'AllRead',
              message: `${read.readings.length} readings`,
            }
          : {
              type: 'MetricsRead',
              status:
                read.readings.length === 0 && read.unread.every((u) => u.reason === 'NoDataSource')
                  ? 'Unknown'
                  : 'False',
              reason: read.unread[0]!.reason,
              // The message says what went unread; the metric names already lead each reader's message.
              message: read.unread.map((u) => u.message).join('; '),
            },
      );
      const decision = decideSurveillanceStatus(
        spec,
        readings,
        previous,
        ctx.now,
        useCases.map((uc) => uc.metadata!.name!),
      );
      let actions = decision.status.actions ?? [];
      const events = [...decision.events];
      const rollingBack = [
        ...new Set(decision.due.flatMap((d) => (d.action === 'rollback' && d.useCase ? [d.useCase] : []))),
      ];
      if (rollingBack.length > 0) {
        let report: RollbackReport;
        if (!deps.forge) {
          report = noForgeReport(rollingBack);
        } else {
          const plans = await Promise.all(
            rollingBack.map((useCase) => rollbackPlan(ctx, namespace, useCase, history)),
          );
          const created = new Map<string, string>();
          const existing = new Map<string, string>();
          for (const plan of plans) {
            for (const r of plan.rollbacks) {
              const uid = ctx.cache.get(PROMOTIONS, namespace, r.name)?.metadata.uid;
              if (uid) existing.set(r.name, uid);
            }
            for (const c of await createRollbacks(ctx.client, ctx.cache, plan, ctx.signal)) {
              if (c.uid) created.set(c.name, c.uid);
              else existing.delete(c.name);
            }
          }
          report = rollbackReport(plans, new Set(created.keys()));
          actions = referenceRollbacks(actions, previous?.actions?.length ?? 0, plans, created, existing);
          ctx.log.info({ created: [...created.keys()], useCases: rollingBack }, 'rollback tier reached');
        }
        conditions.push(report.condition);
        events.push(...report.events);
      }
      let stages: StagesDecision | undefined;
      if (followed) {
        const reads = new Map<string, CandidateReading>();
        for (const candidate of candidateVersions(followed)) {
          reads.set(candidate, await readCandidate(spec, candidate, version!, deps, ctx));
        }
        stages = decideStages(spec, followed, decision.status.worstTier, reads, previous);
        events.push(...stages.events);
        conditions.push(stages.condition);
      } else {
        conditions.push(notFollowedCondition(whyNotFollowed(useCases)));
      }
      let requeueAfter = intervalMs;
      if (deps.forge) {
        const before = new Set((previous?.actions ?? []).flatMap((a, i) => (a.cleared ? [i] : [])));
        const justCleared = new Set(actions.flatMap((a, i) => (a.cleared && !before.has(i) ? [i] : [])));
        const settled = await settleReviews(
          reviewInput(ctx, deps.forge, namespace, name, spec, actions, decision.status.metrics ?? []),
          justCleared,
        );
        actions = settled.actions;
        if (settled.condition) conditions.push(settled.condition);
        events.push(...settled.events);
        if (settled.retryInMs !== undefined) requeueAfter = Math.min(requeueAfter, settled.retryInMs);
      } else if (actions.some((a) => reviewPending(a) === 'open')) {
        const message = 'the controller runs without a forge, so no governance review issue can be opened';
        conditions.push(condition(REVIEW_OPENED, 'False', 'NoForge', message));
      }
      return {
        status: {
          ...decision.status,
          stages: stages?.stages,
          candidateTier: stages?.candidateTier,
          actions,
          conditions: [...decision.conditions, ...conditions],
        },
        events,
        requeueAfter,
      };
    },
  });
}

/** The versions a use case runs per stage, in train order: as observed (status.stages), else as declared. */
function stagesOf(uc: KubeObject): { stage: string; version?: string }[] {
  const observed = statusOf<UseCaseStatus>(uc)?.stages;
  if (observed && observed.length > 0) return observed;
  return peekSpec(useCaseSpec, uc)?.versions ?? [];
}

/** Whether the stages followed are those the last evaluation recorded, each with the same version. */
function sameStages(
  recorded: SurveillancePolicyStatus['stages'],
  followed: readonly FollowedStage[] | undefined,
): boolean {
  const key = (stages: readonly { stage: string; version: string; production: boolean }[] | undefined) =>
    stages === undefined ? 'none' : JSON.stringify(stages.map((s) => [s.stage, s.version, s.production]));
  return key(recorded) === key(followed);
}

function whyNotFollowed(useCases: readonly KubeObject[]): string {
  if (useCases.length === 0) {
    return "no use case names this policy, so no stage's version is known: the metrics read every version's rows";
  }
  if (useCases.length > 1) {
    return `${useCases.length} use cases name this policy (${useCases.map((u) => u.metadata.name).join(', ')}): the metrics read every version's rows, and no stage is followed`;
  }
  return `UseCase "${useCases[0]!.metadata.name}" has no version in production yet: the metrics read every version's rows`;
}

/**
 * A candidate version's metrics over its own rows of the log, and, on the requests production's version scored
 * too, its metrics and production's side by side. Only metrics read from the log: Prometheus series do not say
 * which version served a request.
 */
async function readCandidate(
  spec: SurveillancePolicySpec,
  version: string,
  production: string,
  deps: SurveillanceDependencies,
  ctx: ReconcileContext,
): Promise<CandidateReading> {
  const fromLog = logMetricsOnly(spec);
  if (fromLog.metrics.length === 0 || !spec.inferenceLog) {
    return {
      version,
      readings: [],
      unread: [],
      problem: 'every metric is read from Prometheus, whose series do not say which version served a request',
    };
  }
  if (deps.dataDir === undefined) {
    return {
      version,
      readings: [],
      unread: [],
      problem: 'the controller runs without a data directory, so the inference log is not read',
    };
  }
  const read = (options: { version: string; sameInputsAs?: string }) =>
    readMetrics(fromLog, { baseDir: deps.dataDir, now: ctx.now, ...options });
  const lines = (unread: readonly UnreadMetric[]) => unread.map((u) => u.message);
  try {
    const own = await read({ version });
    const mine = await read({ version, sameInputsAs: production });
    const noMatch = mine.unread.find((u) => u.reason === 'NoRequestColumn');
    const theirs =
      noMatch || mine.inputs === 0
        ? { readings: [], unread: [] }
        : await read({ version: production, sameInputsAs: version });
    return {
      version,
      readings: own.readings,
      unread: lines(own.unread),
      sameInputs: {
        ...(mine.inputs !== undefined ? { inputs: mine.inputs } : {}),
        candidate: mine.readings,
        production: theirs.readings,
        ...(noMatch
          ? { problem: noMatch.message.replace(/^[^:]*: /, '') }
          : mine.inputs === 0
            ? { problem: `no request was scored by both ${version} and ${production}` }
            : {}),
      },
    };
  } catch (err) {
    if (!(err instanceof DataSourceError)) throw err;
    return { version, readings: [], unread: [], problem: err.message };
  }
}

/** The Ready a pass that evaluates nothing leaves as it found it. */
function readyOf(status: SurveillancePolicyStatus | undefined): ConditionUpdate | undefined {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready
    ? { type: 'Ready', status: ready.status, reason: ready.reason, message: ready.message ?? '' }
    : undefined;
}

/**
 * What the review issues need from the cluster: each use case's governance repository (its sign-off policy's
 * spec.governance.repository, else the repository that policy enforces) and the version it runs in production.
 */
function reviewInput(
  ctx: ReconcileContext,
  forge: Forge,
  namespace: string,
  policy: string,
  spec: SurveillancePolicySpec,
  actions: readonly ActionRecord[],
  metrics: readonly MetricStatus[],
): ReviewInput {
  const useCase = (name: string) => ctx.cache.get(USE_CASES, namespace, name);
  return {
    forge,
    namespace,
    policy,
    spec,
    actions,
    metrics,
    now: ctx.now,
    repositoryOf: (name) => {
      const uc = name ? peekSpec(useCaseSpec, useCase(name)) : undefined;
      if (!uc) return undefined;
      const signoff = peekSpec(
        signoffPolicySpec,
        ctx.cache.get(SIGNOFF_POLICIES, namespace, uc.signoffPolicy),
      );
      return signoff?.governance?.repository ?? signoff?.enforcement.repository;
    },
    versionOf: (name) => statusOf<UseCaseStatus>(useCase(name))?.productionVersion,
  };
}

/**
 * The rollback one use case needs, from what the cache holds; where no merged promotion records what a stage ran
 * before, from its deployment file's history in the GitOps repository.
 */
async function rollbackPlan(
  ctx: ReconcileContext,
  namespace: string,
  name: string,
  history: DeploymentHistory | undefined,
): Promise<RollbackPlan> {
  const obj = ctx.cache.get(USE_CASES, namespace, name);
  const spec = peekSpec(useCaseSpec, obj);
  if (!obj || !spec) {
    return {
      useCase: name,
      rollbacks: [],
      skipped: [
        {
          reason: 'UseCaseUnreadable',
          message: `UseCase "${name}" is missing or invalid in namespace "${namespace}", so it cannot be rolled back`,
        },
      ],
      breakGlass: { allowed: false, why: 'the use case could not be read' },
    };
  }
  const promotions: KnownPromotion[] = ctx.cache.list(PROMOTIONS, namespace).flatMap((p) => {
    const ps = peekSpec(promotionSpec, p);
    return ps ? [{ name: p.metadata.name, spec: ps, status: statusOf<PromotionStatus>(p) }] : [];
  });
  const request: RollbackRequest = {
    useCase: {
      namespace,
      name,
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      spec,
      status: statusOf<UseCaseStatus>(obj),
    },
    signoffPolicy: peekSpec(
      signoffPolicySpec,
      ctx.cache.get(SIGNOFF_POLICIES, namespace, spec.signoffPolicy),
    ),
    promotions,
  };
  const plan = planRollback(request);
  const unknown = plan.skipped.filter((s) => s.reason === 'NoPreviousVersion' && s.stage !== undefined);
  if (!history || unknown.length === 0 || plan.version === undefined) return plan;
  // Read only as far back as the first version other than the degraded one.
  const degraded = plan.version;
  const deployedBefore = new Map<string, string[]>();
  for (const { stage } of unknown) {
    const target = spec.deployment.targets.find((t) => t.stage === stage);
    if (!target) continue;
    try {
      deployedBefore.set(
        stage!,
        await history.versionsBefore(
          {
            repo: spec.deployment.repository,
            branch: spec.deployment.branch,
            file: target.file,
            field: target.field,
          },
          (v) => v !== degraded,
        ),
      );
    } catch (error) {
      // A history the forge will not show leaves the stage as it is, and says so; an outage waits.
      if (error instanceof ForgeUnavailableError || !(error instanceof ForgeError)) throw error;
      ctx.log.warn({ stage, err: error.message }, 'deployment history could not be read');
    }
  }
  return deployedBefore.size > 0 ? planRollback({ ...request, deployedBefore }) : plan;
}
