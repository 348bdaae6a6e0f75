// The UseCase reconciler: reads what the use case refers to from the caches, decides its status, reports it.
import { type DataContractStatus, dataContractSpec } from '../../../../specs/datacontract.js';
import { releaseTrainSpec } from '../../../../specs/releasetrain.js';
import { signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import {
  type SurveillancePolicyStatus,
  surveillancePolicySpec,
} from '../../../../specs/surveillancepolicy.js';
import { type UseCaseStatus, useCaseSpec } from '../../../../specs/usecase.js';
import type { Forge } from '../../forge/forge.js';
import {
  type CacheReader,
  defineController,
  type KubeObject,
  type ResourceKind,
} from '../../runtime/index.js';
import {
  DATA_CONTRACTS,
  peekSpec,
  RELEASE_TRAINS,
  readSpec,
  SIGNOFF_POLICIES,
  SURVEILLANCE_POLICIES,
  statusOf,
  USE_CASES,
} from '../resources.js';
import { type ClaimConflict, claimConflicts, claimKey } from './claims.js';
import { DeployedVersions } from './deployed-versions.js';
import { EvidenceCache, evidenceQueries, type StageEvidenceReader } from './evidence.js';
import { refersTo } from './references.js';
import { nextStage } from './stages.js';
import { decideUseCaseStatus } from './status.js';

/** The use cases in `obj`'s namespace that refer to it, as queue keys. */
function useCasesReferring(kind: ResourceKind) {
  return (obj: KubeObject, cache: CacheReader): string[] => {
    const namespace = obj.metadata?.namespace;
    const name = obj.metadata?.name;
    if (!namespace || !name) return [];
    return cache
      .list(USE_CASES, namespace)
      .filter((uc) => {
        const spec = peekSpec(useCaseSpec, uc);
        return spec !== undefined && refersTo(spec, kind.kind, name);
      })
      .map((uc) => `${namespace}/${uc.metadata!.name}`);
  };
}

/** The claim conflicts this use case is part of. */
function conflictsOf(cache: CacheReader, namespace: string, name: string): ClaimConflict[] {
  const me = `${namespace}/${name}`;
  return claimConflicts(cache.list(USE_CASES))
    .filter((c) => c.claimants.includes(me))
    .map((c) => ({ ...c, claimants: c.claimants.filter((x) => x !== me) }));
}

/** Other use cases, in any namespace, that name one of `obj`'s deployment files. */
function sharingAFile(obj: KubeObject, cache: CacheReader): string[] {
  const spec = peekSpec(useCaseSpec, obj);
  if (!spec) return [];
  const me = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
  const mine = new Set(
    spec.deployment.targets.map((t) => claimKey(spec.deployment.repository, spec.deployment.branch, t.file)),
  );
  return cache
    .list(USE_CASES)
    .filter((uc) => {
      const other = peekSpec(useCaseSpec, uc);
      return other?.deployment.targets.some((t) =>
        mine.has(claimKey(other.deployment.repository, other.deployment.branch, t.file)),
      );
    })
    .map((uc) => `${uc.metadata?.namespace}/${uc.metadata?.name}`)
    .filter((k) => k !== me);
}

export interface UseCaseControllerDeps {
  /** Read the deployed version of each stage from the GitOps repository; declared versions only when absent. */
  forge?: Forge;
  /** Read the repository at most this often per file (default 60 s); reads are conditional (ETag) besides. */
  pollIntervalMs?: number;
  /**
   * Measure each stage's evidence (encounters, outcomes, review) from the inference log the use case's
   * surveillance policy names; without it, gates that need measured evidence wait.
   */
  evidence?: StageEvidenceReader;
  /** Measure at most this often per use case (default 5 min), and at once when a stage's version changes. */
  evidenceIntervalMs?: number;
}

export function createUseCaseController(deps: UseCaseControllerDeps = {}) {
  const deployed = deps.forge ? new DeployedVersions(deps.forge, deps.pollIntervalMs ?? 60_000) : undefined;
  const evidence = deps.evidence
    ? new EvidenceCache(deps.evidence, deps.evidenceIntervalMs ?? 5 * 60_000)
    : undefined;
  return defineController({
    kind: USE_CASES,
    // What a use case's status reports on: let those be reconciled first, so its first status is its last.
    startAfter: [DATA_CONTRACTS, SURVEILLANCE_POLICIES, SIGNOFF_POLICIES],
    watches: [
      ...[DATA_CONTRACTS, RELEASE_TRAINS, SURVEILLANCE_POLICIES, SIGNOFF_POLICIES].map((kind) => ({
        kind,
        map: useCasesReferring(kind),
      })),
      // Another use case that claims (or stops claiming) one of its files changes its DeploymentOwned.
      { kind: USE_CASES, map: sharingAFile },
    ],
    async reconcile(ctx, obj) {
      const namespace = obj.metadata!.namespace!;
      const spec = readSpec(useCaseSpec, obj);
      const get = (kind: ResourceKind, name: string | undefined) =>
        name === undefined ? undefined : ctx.cache.get(kind, namespace, name);
      const observed = <S>(
        parse: (o: KubeObject | undefined) => S | undefined,
        o: KubeObject | undefined,
      ) => {
        const s = parse(o);
        return s === undefined ? undefined : { spec: s, status: statusOf(o) };
      };

      const train = observed((o) => peekSpec(releaseTrainSpec, o), get(RELEASE_TRAINS, spec.releaseTrain));
      const contracts = Object.fromEntries(
        spec.dataContracts.map((ref) => [
          ref.name,
          observed((o) => peekSpec(dataContractSpec, o), get(DATA_CONTRACTS, ref.name)) as
            | { spec: typeof dataContractSpec._output; status?: DataContractStatus }
            | undefined,
        ]),
      );
      const surveillance = observed(
        (o) => peekSpec(surveillancePolicySpec, o),
        get(SURVEILLANCE_POLICIES, spec.surveillancePolicy),
      ) as { spec: typeof surveillancePolicySpec._output; status?: SurveillancePolicyStatus } | undefined;
      const signoff = observed(
        (o) => peekSpec(signoffPolicySpec, o),
        get(SIGNOFF_POLICIES, spec.signoffPolicy),
      );

      // Observed beats declared: what the GitOps repository holds is what runs.
      const observedVersions = deployed ? await deployed.read(spec, ctx.now) : undefined;
      const running = observedVersions ? { ...spec, versions: observedVersions.versions } : spec;
      // Each stage's evidence, from the log the surveillance policy reads, for the version the stage runs.
      const id = `${namespace}/${obj.metadata!.name}`;
      const log = surveillance?.spec.inferenceLog;
      const measured =
        evidence && log && train
          ? await evidence.read(id, log, evidenceQueries(nextStage(running, train.spec).stages), ctx.now)
          : undefined;
      if (evidence && !measured) evidence.forget(id);
      const decision = decideUseCaseStatus({
        namespace,
        spec: running,
        ...(measured ? { evidence: measured } : {}),
        status: statusOf<UseCaseStatus>(obj),
        train: train ? { spec: train.spec } : undefined,
        contracts,
        surveillancePolicy: surveillance,
        signoffPolicy: signoff ? { spec: signoff.spec } : undefined,
        claimConflicts: conflictsOf(ctx.cache, namespace, obj.metadata!.name),
        now: ctx.now,
      });
      const conditions = observedVersions
        ? [...decision.conditions, observedVersions.condition]
        : decision.conditions;
      // Come back when the forge is due a read, or when a soak ends, whichever is sooner.
      const due = measured ? evidence?.dueIn(id, ctx.now) : undefined;
      const waits = [
        ...(deployed ? [deployed.pollIntervalMs] : []),
        ...(due !== undefined ? [due] : []),
        ...(decision.wakeAt ? [Math.max(1_000, decision.wakeAt.getTime() - ctx.now.getTime())] : []),
      ];
      return {
        status: { ...decision.status, conditions },
        events: decision.events,
        ...(waits.length > 0 ? { requeueAfter: Math.min(...waits) } : {}),
      };
    },
  });
}

/** The use case reconciler without a forge: versions as declared in spec.versions. */
export const useCaseController = createUseCaseController();
