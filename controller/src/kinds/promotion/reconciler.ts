// The Promotion reconciler: opens the pull request that changes the deployed version (branch, commit, pull
// request, reviewers, labels — each step skipped when already done, so a restart or a second replica never
// opens a second one), then follows it to sign-off, merge, rejection or supersession.
import { createHash } from 'node:crypto';
import type { DataContractSpec, DataContractStatus } from '../../../../specs/datacontract.js';
import { dataContractSpec } from '../../../../specs/datacontract.js';
import {
  type PromotionPhase,
  type PromotionSpec,
  type PromotionStatus,
  promotionSpec,
} from '../../../../specs/promotion.js';
import { releaseTrainSpec } from '../../../../specs/releasetrain.js';
import { type SignoffPolicySpec, signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import type { SurveillancePolicyStatus } from '../../../../specs/surveillancepolicy.js';
import { type UseCaseSpec, type UseCaseStatus, useCaseSpec } from '../../../../specs/usecase.js';
import {
  type CommitResult,
  ConflictError,
  ForbiddenError,
  type Forge,
  ForgeError,
  ForgeUnavailableError,
  type PullRequest,
  type PullRequestCommit,
  UnprocessableError,
} from '../../forge/forge.js';
import { decisionsAtRest } from '../../gate/at-rest.js';
import {
  FILES_LISTED_AT_MOST,
  governedPullRequest,
  type PullRequestsInHand,
  policiesFor,
  pullRequestsInHand,
  remember,
  SignoffGate,
  SignoffUnavailableError,
} from '../../gate/index.js';
import { type BreakGlassVerdict, breakGlassVerdict } from '../../promotion/break-glass.js';
import { DeploymentHistory } from '../../promotion/deployment-history.js';
import { buildEvidence } from '../../promotion/evidence.js';
import {
  commitMessage,
  gatesFor,
  LABEL_USE_CASE,
  promotionBranch,
  pullRequestLabels,
  reviewerTeams,
} from '../../promotion/plan.js';
import { PhiInPullRequestError, renderPullRequest, TemplateError } from '../../promotion/render.js';
import type { PromotionSignoffGate } from '../../promotion/signoff-gate.js';
import { DeploymentTargetError, readVersionField, setVersionField } from '../../promotion/version-field.js';
import { type ChangeVerdict, judgeVigilsChange } from '../../promotion/vigils-change.js';
import type { EventSpec } from '../../runtime/events.js';
import {
  type CacheReader,
  defineController,
  type KubeObject,
  type ReconcileContext,
  type ReconcileResult,
  StalledError,
  WaitingError,
} from '../../runtime/index.js';
import { condition } from '../conditions.js';
import {
  DATA_CONTRACTS,
  PROMOTIONS,
  peekSpec,
  RELEASE_TRAINS,
  readSpec,
  SIGNOFF_POLICIES,
  SURVEILLANCE_POLICIES,
  statusOf,
  USE_CASES,
} from '../resources.js';
import { policyRevision } from '../signoffpolicy/revision.js';
import {
  type BreakGlassMerge,
  overdueRetrospective,
  type PromotionRef,
  phaseEvent,
  phaseOf,
  readyCondition,
  retrospective,
  retrospectiveHoldMessage,
  SETTLED,
  signoffStatus,
  supersededComment,
  supersedingPromotion,
} from './decide.js';

export interface PromotionControllerDeps {
  forge: Forge;
  /** The sign-off gate; evaluateSignoff + the check run, directly, when absent. */
  gate?: PromotionSignoffGate;
  /** How often an open pull request is looked at when no webhook says so (default 60 s). */
  pollIntervalMs?: number;
  /** What webhooks and the poller delivered about pull requests (default: the forge's own store). */
  inHand?: PullRequestsInHand;
}

export const DEFAULT_POLL_INTERVAL_MS = 60_000;

const NOT_ASKED: BreakGlassVerdict = {
  eligible: false,
  reason: 'NotRequested',
  message: 'the Promotion does not ask for break-glass',
};

const refOf = (p: KubeObject): PromotionRef | undefined => {
  const spec = peekSpec(promotionSpec, p);
  if (!spec) return undefined;
  const status = statusOf<PromotionStatus>(p);
  return {
    name: p.metadata.name,
    spec,
    ...(status?.phase ? { phase: status.phase } : {}),
    ...(p.metadata.creationTimestamp ? { createdAt: String(p.metadata.creationTimestamp) } : {}),
    ...(status?.pullRequest ? { pullRequest: status.pullRequest.number } : {}),
  };
};

/** Keys of the promotions of one use case, for the watches. */
function promotionsOf(
  cache: CacheReader,
  namespace: string | undefined,
  useCase: string | undefined,
): string[] {
  if (!namespace || !useCase) return [];
  return cache
    .list(PROMOTIONS, namespace)
    .filter((p) => peekSpec(promotionSpec, p)?.useCase === useCase)
    .map((p) => `${namespace}/${p.metadata.name}`);
}

interface ObservedPullRequest {
  verdict: ChangeVerdict;
  /** Every path it changes, both names of a rename. */
  changedFiles: string[];
  commits: PullRequestCommit[];
  /** Vigil's own commit, when the pull request is exactly its change: Vigil pushed it, signature or not. */
  authorPushed?: string[];
}

interface Scene {
  ctx: ReconcileContext;
  namespace: string;
  name: string;
  spec: PromotionSpec;
  status: PromotionStatus;
  useCase: { name: string; spec: UseCaseSpec; status?: UseCaseStatus };
  policy: { name: string; spec: SignoffPolicySpec; revision: string };
  target: { file: string; field: string };
  repo: string;
  base: string;
  branch: string;
  /** Whether break-glass applies, and why not (decided at the top of each pass). */
  breakGlass: BreakGlassVerdict;
}

export function promotionController(deps: PromotionControllerDeps) {
  const { forge } = deps;
  const gate: PromotionSignoffGate = deps.gate ?? new SignoffGate({ forge });
  const inHand = deps.inHand ?? pullRequestsInHand(forge);
  const poll = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const history = new DeploymentHistory(forge);
  const observed = new Map<string, ObservedPullRequest>();

  const atRest = decisionsAtRest(forge).promotions;
  const deferred = decisionsAtRest(forge).deferred;

  /**
   * What a promotion's sign-off rests on in the cluster: its own spec, the policy revision it records, whether
   * break-glass applies, its pull request and Vigil's commit, the spec of every UseCase and SignoffPolicy and
   * each policy's revision (a claim or a policy anywhere may change which policies apply), and the other
   * promotions of its namespace (one may supersede it). Anything at the forge is not in it: that is forgotten by whoever hears of a change.
   */
  function fingerprintOf(s: Scene, obj: KubeObject): string {
    const cache = s.ctx.cache;
    // Specs (generation) and a policy's revision: what the decision reads of them. Their other status fields
    // change without bearing on it.
    const at = (o: KubeObject) =>
      `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.uid}:${o.metadata.generation}:${statusOf<{ revision?: string }>(o)?.revision ?? ''}`;
    const parts = [
      String(obj.metadata.generation ?? ''),
      s.policy.revision,
      s.breakGlass.eligible ? 'break-glass' : s.breakGlass.reason,
      `${s.status.pullRequest?.number}:${s.status.pullRequest?.commit ?? ''}`,
      ...cache
        .list(USE_CASES)
        .map((o) => `u ${at(o)}`)
        .sort(),
      ...cache
        .list(SIGNOFF_POLICIES)
        .map((o) => `p ${at(o)}`)
        .sort(),
      ...cache
        .list(PROMOTIONS, s.namespace)
        .filter((o) => o.metadata.name !== s.name)
        .map(
          (o) =>
            `r ${o.metadata.name}@${o.metadata.generation}:${statusOf<PromotionStatus>(o)?.phase ?? 'Pending'}`,
        )
        .sort(),
    ];
    return createHash('sha256').update(parts.join('\n')).digest('hex');
  }

  async function reconcile(ctx: ReconcileContext, obj: KubeObject): Promise<ReconcileResult> {
    const namespace = obj.metadata.namespace!;
    const name = obj.metadata.name;
    const spec = readSpec(promotionSpec, obj);
    const status = statusOf<PromotionStatus>(obj) ?? {};
    const phase = status.phase ?? 'Pending';
    if (SETTLED.has(phase)) return {};
    if (phase === 'Merged' && (!status.breakGlass || status.breakGlass.retrospectiveDoneAt)) return {};

    const ucObj = ctx.cache.get(USE_CASES, namespace, spec.useCase);
    if (!ucObj) {
      throw new StalledError(
        'UseCaseMissing',
        `UseCase "${spec.useCase}" does not exist in namespace "${namespace}"`,
      );
    }
    const uc = readSpec(useCaseSpec, ucObj);
    const policyObj = ctx.cache.get(SIGNOFF_POLICIES, namespace, uc.signoffPolicy);
    const policySpec = peekSpec(signoffPolicySpec, policyObj);
    if (!policyObj || !policySpec) {
      throw new StalledError(
        'SignoffPolicyMissing',
        `SignoffPolicy "${uc.signoffPolicy}" named by UseCase "${spec.useCase}" is missing or invalid in namespace "${namespace}"`,
      );
    }
    const target = uc.deployment.targets.find((t) => t.stage === spec.to);
    if (!target) {
      throw new StalledError(
        'NoDeploymentTarget',
        `UseCase "${spec.useCase}" has no spec.deployment.targets entry for stage "${spec.to}"`,
      );
    }
    const scene: Scene = {
      ctx,
      namespace,
      name,
      spec,
      status,
      useCase: { name: spec.useCase, spec: uc, status: statusOf<UseCaseStatus>(ucObj) },
      policy: {
        name: uc.signoffPolicy,
        spec: policySpec,
        revision: status.policyRevision ?? policyRevision(policyObj),
      },
      target: { file: target.file, field: target.field },
      repo: uc.deployment.repository,
      base: uc.deployment.branch,
      branch: status.pullRequest?.branch ?? promotionBranch(namespace, spec),
      breakGlass: NOT_ASKED,
    };
    try {
      if (phase === 'Merged') return await followRetrospective(scene);
      scene.breakGlass = await breakGlassFor(scene, obj.metadata.uid);
      if (!status.pullRequest) return withBreakGlass(scene, await open(scene));
      // A pass over a promotion nothing has happened to asks the forge nothing until its decision falls due.
      const key = `${namespace}/${name}`;
      const fingerprint = fingerprintOf(scene, obj);
      const kept = atRest.get(key, fingerprint, ctx.now.getTime());
      if (kept) {
        return {
          status: kept.value as ReconcileResult['status'],
          requeueAfter: Math.max(1_000, kept.dueAt - ctx.now.getTime()),
        };
      }
      atRest.forget(key);
      let outcome: Followed;
      try {
        outcome = await follow(scene);
      } catch (error) {
        // GitHub not taking calls: evaluated first once it does again, before anything else is read.
        const unavailable =
          error instanceof ForgeUnavailableError || error instanceof SignoffUnavailableError;
        if (unavailable) deferred.defer(key);
        deferred.settle(key, unavailable);
        throw error;
      }
      deferred.settle(key, false);
      const { restable, ...followed } = outcome;
      const result = withBreakGlass(scene, followed);
      const phaseAfter = (result.status as PromotionStatus | undefined)?.phase;
      if (restable && (phaseAfter === 'Open' || phaseAfter === 'SignedOff')) {
        atRest.set(key, fingerprint, ctx.now.getTime() + (result.requeueAfter ?? poll), result.status);
      }
      return result;
    } catch (error) {
      throw nextStep(error, ctx.now);
    }
  }

  /**
   * Break-glass applies only to a rollback the controller created for a breach a SurveillancePolicy's status
   * records, to a version the deployment file's history shows on that stage: the history is read only when the
   * rest allows it. A history the forge refuses to show refuses break-glass; an unreachable forge waits.
   */
  async function breakGlassFor(s: Scene, uid: string | undefined): Promise<BreakGlassVerdict> {
    if (!s.spec.breakGlass) return NOT_ASKED;
    const facts = {
      promotion: { name: s.name, ...(uid ? { uid } : {}), spec: s.spec },
      policies: s.ctx.cache.list(SURVEILLANCE_POLICIES, s.namespace).map((p) => ({
        name: p.metadata.name,
        status: statusOf<SurveillancePolicyStatus>(p),
      })),
    };
    const verdict = breakGlassVerdict(facts);
    if (verdict.eligible || verdict.reason !== 'HistoryNotRead') return verdict;
    try {
      const target = { repo: s.repo, branch: s.base, file: s.target.file, field: s.target.field };
      return breakGlassVerdict({
        ...facts,
        deployedBefore: await history.versionsBefore(target, s.spec.version),
      });
    } catch (error) {
      if (error instanceof ForgeUnavailableError || !(error instanceof ForgeError)) throw error;
      return { ...verdict, message: `${verdict.message} (${error.message})` };
    }
  }

  /** A Promotion that asks for break-glass says whether it has it (BreakGlass) and tells each change in an Event. */
  function withBreakGlass(s: Scene, result: ReconcileResult): ReconcileResult {
    const v = s.breakGlass;
    if (!s.spec.breakGlass) return result;
    const update = {
      type: 'BreakGlass',
      status: v.eligible ? ('True' as const) : ('False' as const),
      reason: v.eligible ? 'BreakGlassAllowed' : v.reason,
      message: v.message,
    };
    const before = s.status.conditions?.find((c) => c.type === 'BreakGlass');
    const changed = before?.status !== update.status || before?.reason !== update.reason;
    const event: EventSpec = {
      type: v.eligible ? 'Normal' : 'Warning',
      reason: v.eligible ? 'BreakGlassAllowed' : 'BreakGlassRefused',
      message: v.message,
    };
    return {
      ...result,
      status: { ...result.status, conditions: [...(result.status?.conditions ?? []), update] },
      events: [...(result.events ?? []), ...(changed ? [event] : [])],
    };
  }

  /** The use case's promotions merged on break-glass, for the retrospective they owe. */
  function breakGlassMerges(s: Scene): BreakGlassMerge[] {
    return s.ctx.cache.list(PROMOTIONS, s.namespace).flatMap((p) => {
      const status = statusOf<PromotionStatus>(p);
      if (!status?.breakGlass || peekSpec(promotionSpec, p)?.useCase !== s.spec.useCase) return [];
      const pr = status.pullRequest?.number;
      return [{ name: p.metadata.name, breakGlass: status.breakGlass, ...(pr ? { pullRequest: pr } : {}) }];
    });
  }

  /** Pending -> Open: find the pull request by its branch, or make branch, commit and pull request. */
  async function open(s: Scene): Promise<ReconcileResult> {
    const { ctx, spec } = s;
    // An overdue retrospective sign-off holds every further promotion of the use case (a rollback still opens).
    const owed = spec.type === 'promotion' ? overdueRetrospective(breakGlassMerges(s), ctx.now) : undefined;
    if (owed) {
      throw new WaitingError('RetrospectiveOverdue', retrospectiveHoldMessage(owed, s.useCase.name), poll);
    }
    const existing = await forge.findPullRequest(s.repo, s.branch);
    const newer = supersedingPromotion(selfRef(s), others(s));
    if (!existing || existing.state === 'open') {
      if (newer) return superseded(s, existing, newer);
      if (spec.type === 'promotion' && s.useCase.spec.candidate?.version !== spec.version && !existing) {
        return {
          status: {
            phase: 'Superseded',
            conditions: [
              readyCondition(
                'Superseded',
                `the use case's candidate is now ${s.useCase.spec.candidate?.version ?? 'none'}, not ${spec.version}; no pull request was opened`,
              ),
            ],
          },
          events: [
            {
              type: 'Normal',
              reason: 'Superseded',
              message: `candidate changed before a pull request opened`,
            },
          ],
        };
      }
    }

    const evidence = await evidenceFor(s);
    let pr = existing;
    let justOpened = false;
    let onlyCommit: CommitResult | undefined;
    if (!pr) {
      const failing = evidence.gates.filter((g) => !g.passed);
      if (failing.length > 0) {
        throw new WaitingError(
          'GatesNotMet',
          `${failing.length} of ${evidence.gates.length} gates fail for ${spec.to}: ${failing.map((g) => g.message).join('; ')}`,
          poll,
        );
      }
      onlyCommit = await ensureEdit(s);
      ({ pr, justOpened } = await openPullRequest(s, evidence.rendered));
    }
    if (pr.state === 'open') await ensureReviewersAndLabels(s, pr);
    const record: ReconcileResult['status'] = {
      pullRequest: {
        number: pr.number,
        url: pr.url,
        branch: s.branch,
        headSha: pr.head.sha,
        ...(onlyCommit ? { commit: onlyCommit.commitSha } : {}),
      },
      gates: evidence.gates,
      // An adopted pull request keeps the digest its body was opened with.
      evidenceDigest:
        /Evidence bundle \((sha256:[0-9a-f]{64})\)/.exec(pr.body)?.[1] ?? evidence.rendered.digest,
      policyRevision: s.policy.revision,
      signoffSummary: `0/${reviewerTeams(s.policy.spec, s.useCase.spec.riskClass).length}`,
    };
    ctx.log.info({ pullRequest: pr.number, branch: s.branch }, 'pull request open');
    // Follow at once, so the sign-off check is on the pull request the moment it opens.
    const followed = await follow(
      { ...s, status: { ...s.status, ...(record as PromotionStatus) } },
      pr,
      justOpened ? { justOpened, ...commitsOfNewBranch(pr, onlyCommit) } : undefined,
    );
    const events: EventSpec[] = [];
    const opened = phaseEvent(undefined, 'Open', { pr, version: spec.version, to: spec.to });
    if (opened) events.push(opened);
    for (const e of followed.events ?? []) if (e.reason !== 'PullRequestOpened') events.push(e);
    return { ...strip(followed), status: { ...record, ...followed.status }, events };
  }

  async function evidenceFor(s: Scene) {
    const { ctx, namespace, spec } = s;
    const cache = ctx.cache;
    const trainObj = cache.get(RELEASE_TRAINS, namespace, s.useCase.spec.releaseTrain);
    const train = peekSpec(releaseTrainSpec, trainObj);
    if (!train && spec.type === 'promotion') {
      throw new StalledError(
        'ReleaseTrainMissing',
        `ReleaseTrain "${s.useCase.spec.releaseTrain}" is missing or invalid in namespace "${namespace}"`,
      );
    }
    const gates =
      spec.type === 'promotion' && train
        ? gatesFor(s.useCase.spec, s.useCase.status, train, spec.to, ctx.now).gates
        : [];
    const contracts: Record<string, { spec: DataContractSpec; status?: DataContractStatus } | undefined> = {};
    for (const ref of s.useCase.spec.dataContracts) {
      const o = cache.get(DATA_CONTRACTS, namespace, ref.name);
      const cs = peekSpec(dataContractSpec, o);
      contracts[ref.name] = cs ? { spec: cs, status: statusOf<DataContractStatus>(o) } : undefined;
    }
    const sp = s.useCase.spec.surveillancePolicy;
    const spObj = sp ? cache.get(SURVEILLANCE_POLICIES, namespace, sp) : undefined;
    const bundle = buildEvidence({
      namespace,
      name: s.name,
      promotion: spec,
      useCaseName: s.useCase.name,
      useCase: s.useCase.spec,
      target: s.target,
      gates,
      contracts,
      ...(sp ? { surveillance: { name: sp, status: statusOf<SurveillancePolicyStatus>(spObj) } } : {}),
      policy: { name: s.policy.name, revision: s.policy.revision },
    });
    const templateName = train?.pullRequestTemplate;
    const rendered = templateName
      ? renderPullRequest(
          bundle,
          await readTemplate(ctx, namespace, templateName),
          `ConfigMap ${namespace}/${templateName}`,
        )
      : renderPullRequest(bundle);
    return { gates, rendered };
  }

  /**
   * The branch from the base head, with the version edit committed on it unless it is there already. Returns the
   * commit when this pass both created the branch and made the commit: then that commit is all the branch holds.
   */
  async function ensureEdit(s: Scene): Promise<CommitResult | undefined> {
    const { spec, target } = s;
    let created = false;
    const head = await forge.branchHead(s.repo, s.branch);
    if (!head) {
      const baseHead = await forge.branchHead(s.repo, s.base);
      if (!baseHead) {
        throw new StalledError('BaseBranchMissing', `branch "${s.base}" does not exist in ${s.repo}`);
      }
      try {
        await forge.createBranch(s.repo, s.branch, baseHead);
        created = true;
      } catch (error) {
        // Another replica made it first: carry on from what is there.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    const file = await forge.readFile(s.repo, target.file, s.branch);
    if (!file) {
      throw new DeploymentTargetError(
        target.file,
        target.field,
        `${target.file} does not exist in ${s.repo} at branch ${s.branch}; the use case's deployment target for "${spec.to}" names a missing file`,
      );
    }
    const edit = setVersionField(file.content, target.file, target.field, spec.version, {
      addIfMissing: spec.previousVersion === undefined,
    });
    if (!edit.changed) {
      const onBase = await forge.readFile(s.repo, target.file, s.base);
      const baseVersion = onBase ? readVersionField(onBase.content, target.file, target.field) : undefined;
      if (baseVersion === spec.version) {
        throw new StalledError(
          'AlreadyDeployed',
          `${target.file} on ${s.base} already sets ${target.field} to ${spec.version}: there is nothing to promote`,
        );
      }
      return undefined; // committed by an earlier pass
    }
    const commit = await forge.commitFile(
      s.repo,
      s.branch,
      target.file,
      edit.content,
      commitMessage(s.namespace, s.name, spec, s.useCase.name),
      file.sha,
    );
    return created ? commit : undefined;
  }

  /** The pull request, and whether this pass opened it (rather than finding another replica's). */
  async function openPullRequest(
    s: Scene,
    rendered: { title: string; body: string },
  ): Promise<{ pr: PullRequest; justOpened: boolean }> {
    try {
      const pr = await forge.openPullRequest(s.repo, {
        head: s.branch,
        base: s.base,
        title: rendered.title,
        body: rendered.body,
      });
      return { pr, justOpened: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const found = await forge.findPullRequest(s.repo, s.branch);
      if (!found) throw error;
      return { pr: found, justOpened: false };
    }
  }

  /** Reviewers first, labels last: labels present mean both were done, so an adopted pull request costs no write. */
  async function ensureReviewersAndLabels(s: Scene, pr: PullRequest): Promise<void> {
    const labels = pullRequestLabels(s.spec.type, s.useCase.spec.riskClass);
    if (labels.every((l) => pr.labels.includes(l))) return;
    await forge.requestTeamReviewers(
      s.repo,
      pr.number,
      reviewerTeams(s.policy.spec, s.useCase.spec.riskClass),
    );
    await forge.addLabels(
      s.repo,
      pr.number,
      labels.filter((l) => !pr.labels.includes(l)),
    );
  }

  /**
   * Open or SignedOff: read the pull request, supersede, or evaluate the sign-off. The pull request is read only
   * when it is not in hand: just opened or listed by this pass, or delivered by the webhook (or poll) that
   * triggered this pass.
   */
  async function follow(
    s: Scene,
    known?: PullRequest,
    opened?: { justOpened: true; commits?: PullRequestCommit[] },
  ): Promise<Followed> {
    const { ctx, spec, status } = s;
    const before: PromotionPhase | undefined = status.phase;
    const number = status.pullRequest!.number;
    const delivered = inHand.take(s.repo, number);
    let pr: PullRequest;
    try {
      pr = known ?? delivered?.pullRequest ?? (await forge.getPullRequest(s.repo, number));
    } catch (error) {
      // The pull request cannot be read: a success it carries no longer stands on known facts.
      if (error instanceof ForgeUnavailableError)
        await gate.withdraw?.(s.repo, number, error, s.status.pullRequest?.headSha);
      throw error;
    }
    const reviews = known ? undefined : delivered?.reviews;
    const vigilCommit = status.pullRequest?.commit;
    const pullRequest = {
      number: pr.number,
      url: pr.url,
      branch: s.branch,
      headSha: pr.head.sha,
      ...(vigilCommit ? { commit: vigilCommit } : {}),
    };
    const detail = { pr, version: spec.version, to: spec.to };
    if (pr.state === 'closed') {
      const phase = phaseOf(pr);
      const event = phaseEvent(before, phase, detail);
      return {
        status: {
          phase,
          pullRequest,
          ...(pr.mergedAt ? { mergedAt: pr.mergedAt } : {}),
          ...(phase === 'Rejected' && pr.closedAt ? { closedAt: pr.closedAt } : {}),
          conditions: [
            readyCondition(
              phase,
              phase === 'Merged'
                ? `pull request #${pr.number} merged: ${spec.to} runs ${spec.version}`
                : `pull request #${pr.number} was closed without merging`,
            ),
          ],
        },
        events: event ? [event] : [],
        ...(phase === 'Merged' && status.breakGlass && !status.breakGlass.retrospectiveDoneAt
          ? { requeueAfter: poll }
          : {}),
      };
    }
    const newer = supersedingPromotion(selfRef(s), others(s));
    if (newer) return superseded(s, pr, newer);

    // Judged as a promotion only while it carries exactly Vigil's change; otherwise as a hand-made change, by
    // every use case it touches, and no approval given before the latest push counts.
    const change = await observeChange(s, pr, opened);
    // Which use cases claim its files is read from the cache on every pass: a claim may come or go at any time.
    const governed = governedPullRequest(
      { repository: s.repo, baseBranch: pr.base.ref, changedFiles: [...change.changedFiles, s.target.file] },
      ctx.cache.list(USE_CASES),
    );
    const { combined, blockers } = policiesFor(ctx.cache, governed, {
      namespace: s.namespace,
      name: s.useCase.name,
    });
    if (change.changedFiles.length >= FILES_LISTED_AT_MOST) {
      blockers.push({
        code: 'too-many-files',
        message: `GitHub lists at most ${FILES_LISTED_AT_MOST} files of a pull request and this one reaches that, so a change to a deployed version past them cannot be ruled out.`,
      });
    }
    const reasons = change.verdict.exact ? [] : change.verdict.reasons;
    const handMade = reasons.length > 0;
    const single = !handMade && combined.spec === s.policy.spec;
    const policySpec =
      handMade && combined.spec
        ? { ...combined.spec, rules: { ...combined.spec.rules, dismissOnPush: true } }
        : combined.spec;
    const { result, complete } = await gate.evaluate({
      repository: s.repo,
      number: pr.number,
      useCase: { namespace: s.namespace, name: s.useCase.name },
      riskClass: single ? s.useCase.spec.riskClass : (combined.riskClass ?? s.useCase.spec.riskClass),
      signoffPolicy: single
        ? { name: `${s.namespace}/${s.policy.name}`, spec: s.policy.spec, revision: s.policy.revision }
        : {
            name: combined.name,
            spec: policySpec,
            ...(combined.revision ? { revision: combined.revision } : {}),
          },
      ...(blockers.length > 0 ? { blockers } : {}),
      ...(change.authorPushed ? { authorPushed: change.authorPushed } : {}),
      breakGlassEligible: single && s.breakGlass.eligible,
      ...(!s.breakGlass.eligible && s.breakGlass.reason !== 'NotRequested'
        ? { notes: [s.breakGlass.message] }
        : {}),
      now: ctx.now,
      inHand: { pullRequest: pr, ...(reviews ? { reviews } : {}), ...opened, commits: change.commits },
    });
    const phase = phaseOf(pr, result);
    const signed = signoffStatus(result);
    const event = phaseEvent(before, phase, { ...detail, summary: result.summary });
    const breakGlass = result.breakGlass
      ? {
          by: result.breakGlass.by.login,
          at: result.breakGlass.by.at,
          retrospectiveDue: result.breakGlass.retrospectiveDue,
        }
      : undefined;
    const reevaluateIn = result.reevaluateAt
      ? Date.parse(result.reevaluateAt) - ctx.now.getTime()
      : undefined;
    return {
      status: {
        phase,
        pullRequest,
        ...signed,
        ...(breakGlass ? { breakGlass } : {}),
        conditions: [
          readyCondition(
            phase,
            phase === 'SignedOff'
              ? `pull request #${pr.number} is signed off (${result.summary}); it merges when a person merges it`
              : `pull request #${pr.number} awaits sign-off: ${result.summary}`,
          ),
          !handMade
            ? condition(
                'VigilsChange',
                'True',
                'ExactChange',
                `pull request #${pr.number} carries only Vigil's change`,
              )
            : condition(
                'VigilsChange',
                'False',
                'HandMadeChange',
                `pull request #${pr.number} is gated as a hand-made change: ${reasons.join('; ')}`,
              ),
        ],
      },
      events: [
        ...(event ? [event] : []),
        ...(handMade && s.status.conditions?.find((c) => c.type === 'VigilsChange')?.status !== 'False'
          ? [
              {
                type: 'Warning' as const,
                reason: 'HandMadeChange',
                message: `pull request #${pr.number} carries changes Vigil did not make (${reasons.join('; ')}); it is gated as a hand-made change`,
              },
            ]
          : []),
      ],
      requeueAfter: Math.max(1_000, Math.min(poll, reevaluateIn ?? poll)),
      restable: complete === true,
    };
  }

  /**
   * What the pull request changes, against what Vigil would change: its files, the target file on base and head,
   * and all its commits. Remembered by head and base commit, which fix all of it.
   */
  async function observeChange(
    s: Scene,
    pr: PullRequest,
    opened: { justOpened: true; commits?: PullRequestCommit[] } | undefined,
  ): Promise<ObservedPullRequest> {
    const key = `${s.repo.toLowerCase()}#${pr.number}@${pr.head.sha}..${pr.base.sha}`;
    const held = observed.get(key);
    if (held) return held;
    const [files, commits, head, base] = await Promise.all([
      forge.listPullRequestFiles(s.repo, pr.number),
      opened?.commits ?? forge.listCommits(s.repo, pr.number, { base: pr.base.sha, head: pr.head.sha }),
      forge.readFile(s.repo, s.target.file, pr.head.sha),
      forge.readFile(s.repo, s.target.file, pr.base.sha),
    ]);
    const changedFiles = files.flatMap((f) => (f.previousPath ? [f.path, f.previousPath] : [f.path]));
    const vigilCommit = s.status.pullRequest?.commit ?? opened?.commits?.[0]?.sha;
    const verdict = judgeVigilsChange({
      target: s.target,
      version: s.spec.version,
      addIfMissing: s.spec.previousVersion === undefined,
      changedFiles,
      baseContent: base?.content,
      headContent: head?.content,
      commits,
      ...(vigilCommit ? { vigilCommit } : {}),
      vigilLogin: pr.author,
    });
    const result: ObservedPullRequest = {
      verdict,
      changedFiles,
      commits,
      ...(vigilCommit && verdict.exact ? { authorPushed: [vigilCommit] } : {}),
    };
    remember(observed, key, result);
    return result;
  }

  async function superseded(
    s: Scene,
    pr: PullRequest | undefined,
    by: PromotionRef,
  ): Promise<ReconcileResult> {
    if (pr && pr.state === 'open')
      await forge.closePullRequest(s.repo, pr.number, supersededComment(by, s.namespace));
    const event = phaseEvent(s.status.phase, 'Superseded', {
      version: s.spec.version,
      to: s.spec.to,
      by: `promotion ${by.name} (${by.spec.version})`,
    });
    return {
      status: {
        phase: 'Superseded',
        ...(pr
          ? {
              pullRequest: { number: pr.number, url: pr.url, branch: s.branch, headSha: pr.head.sha },
              closedAt: s.ctx.now.toISOString(),
            }
          : {}),
        conditions: [
          readyCondition(
            'Superseded',
            `superseded by promotion ${by.name} of ${by.spec.version}${pr ? `; pull request #${pr.number} closed` : ''}`,
          ),
        ],
      },
      events: event ? [event] : [],
    };
  }

  /** After a break-glass merge: the usual roles owe a retrospective sign-off by the due time. */
  async function followRetrospective(s: Scene): Promise<ReconcileResult> {
    const bg = s.status.breakGlass!;
    const { result } = await gate.evaluate({
      repository: s.repo,
      number: s.status.pullRequest!.number,
      useCase: { namespace: s.namespace, name: s.useCase.name },
      riskClass: s.useCase.spec.riskClass,
      signoffPolicy: {
        name: `${s.namespace}/${s.policy.name}`,
        spec: s.policy.spec,
        revision: s.policy.revision,
      },
      // Vigil pushed the commit it recorded: the merged pull request's author is Vigil.
      ...(s.status.pullRequest?.commit ? { authorPushed: [s.status.pullRequest.commit] } : {}),
      breakGlassEligible: false,
      now: s.ctx.now,
    });
    const r = retrospective(bg, result, s.ctx.now);
    if (r.state === 'done') {
      return {
        status: {
          breakGlass: { ...bg, retrospectiveDoneAt: r.at },
          ...signoffStatus(result),
          conditions: [
            {
              type: 'RetrospectiveOverdue',
              status: 'False',
              reason: 'RetrospectiveDone',
              message: `retrospective sign-off completed (${result.summary})`,
            },
          ],
        },
        events: [
          {
            type: 'Normal',
            reason: 'RetrospectiveDone',
            message: `retrospective sign-off completed: ${result.summary}`,
          },
        ],
      };
    }
    const overdue = r.overdue;
    return {
      status: {
        conditions: [
          {
            type: 'RetrospectiveOverdue',
            status: overdue ? 'True' : 'False',
            reason: overdue ? 'RetrospectiveOverdue' : 'RetrospectiveOwed',
            message: `retrospective sign-off ${overdue ? 'was due' : 'is due'} by ${r.due}: ${result.summary}`,
          },
        ],
      },
      events: overdue
        ? [
            {
              type: 'Warning',
              reason: 'RetrospectiveOverdue',
              message: `break-glass merge by ${bg.by}: the retrospective sign-off was due by ${r.due} (${result.summary})`,
            },
          ]
        : [],
      requeueAfter: overdue
        ? poll
        : Math.max(1_000, Math.min(poll, Date.parse(r.due) - s.ctx.now.getTime() + 1_000)),
    };
  }

  return defineController({
    kind: PROMOTIONS,
    watches: [
      // A newer promotion of the same use case and stage supersedes an open one. Its own updates are the primary
      // watch's: its status writes would otherwise re-run every pass once more for nothing.
      {
        kind: PROMOTIONS,
        map: (p, cache) =>
          promotionsOf(cache, p.metadata.namespace, peekSpec(promotionSpec, p)?.useCase).filter(
            (key) => key !== `${p.metadata.namespace}/${p.metadata.name}`,
          ),
      },
      // The use case's candidate, targets or gates changed.
      { kind: USE_CASES, map: (uc, cache) => promotionsOf(cache, uc.metadata.namespace, uc.metadata.name) },
      // A breach record now names a rollback Promotion: break-glass may apply to it.
      {
        kind: SURVEILLANCE_POLICIES,
        map: (sp) => [
          ...new Set(
            (statusOf<SurveillancePolicyStatus>(sp)?.actions ?? []).flatMap((a) =>
              (a.rollbacks ?? []).map((r) => `${sp.metadata.namespace}/${r.name}`),
            ),
          ),
        ],
      },
    ],
    reconcile,
  });
}

/**
 * The commits of a pull request this pass opened from a branch it created at the base head and committed the one
 * edit to: that commit alone, written through the API by the controller's account, which opened the pull request.
 * Neither the author nor a committer may approve, so this excludes exactly whom a read of the commits would
 * (GitHub may add its own `web-flow` committer, an account that never reviews). Anything else is read.
 */
function commitsOfNewBranch(
  pr: PullRequest,
  commit: CommitResult | undefined,
): { commits: PullRequestCommit[] } | Record<string, never> {
  if (!commit || pr.head.sha !== commit.commitSha) return {};
  return {
    commits: [
      {
        sha: commit.commitSha,
        authorLogin: pr.author,
        committerLogin: pr.author,
        ...(commit.committedAt ? { committedAt: commit.committedAt } : {}),
        message: '',
      },
    ],
  };
}

function selfRef(s: Scene): PromotionRef {
  const own = s.ctx.cache.get(PROMOTIONS, s.namespace, s.name);
  return refOf(own!) ?? { name: s.name, spec: s.spec };
}

function others(s: Scene): PromotionRef[] {
  return s.ctx.cache
    .list(PROMOTIONS, s.namespace)
    .filter(
      (p) =>
        p.metadata.labels?.[LABEL_USE_CASE] === s.spec.useCase ||
        peekSpec(promotionSpec, p)?.useCase === s.spec.useCase,
    )
    .map(refOf)
    .filter((p): p is PromotionRef => p !== undefined);
}

async function readTemplate(ctx: ReconcileContext, namespace: string, name: string): Promise<string> {
  let data: Record<string, string> | undefined;
  try {
    data = (await ctx.client.core.readNamespacedConfigMap({ name, namespace })).data;
  } catch (error) {
    if ((error as { code?: number }).code === 404) {
      throw new StalledError(
        'TemplateMissing',
        `ConfigMap "${name}" named by the release train's pullRequestTemplate does not exist in namespace "${namespace}"`,
      );
    }
    throw error;
  }
  const template = data?.template;
  if (template === undefined) {
    throw new StalledError(
      'TemplateMissing',
      `ConfigMap ${namespace}/${name} has no key "template" holding the pull request template`,
    );
  }
  return template;
}

/** Errors typed by what happens next: wait for the forge, or stall for a person. */
function nextStep(error: unknown, now: Date): unknown {
  if (error instanceof ForgeUnavailableError || error instanceof SignoffUnavailableError) {
    return new WaitingError('ForgeUnavailable', error.message, error.retryAt.getTime() - now.getTime(), {
      cause: error,
    });
  }
  if (error instanceof DeploymentTargetError)
    return new StalledError('DeploymentTargetInvalid', error.message);
  if (error instanceof TemplateError) return new StalledError('TemplateInvalid', error.message);
  if (error instanceof PhiInPullRequestError) return new StalledError('PhiRefused', error.message);
  if (error instanceof ForbiddenError) return new StalledError('ForgeForbidden', error.message);
  if (error instanceof UnprocessableError) return new StalledError('ForgeRefused', error.message);
  return error;
}

/** What following a pull request found, and whether the decision rests on facts all read (it may be kept). */
type Followed = ReconcileResult & { restable?: boolean };

function strip(followed: Followed): ReconcileResult {
  const { restable: _restable, ...result } = followed;
  return result;
}
