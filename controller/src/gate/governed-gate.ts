// The sign-off gate on pull requests nobody opened through Vigil: a person who edits a deployed version by hand
// needs the same sign-off as a promotion. For such a pull request: list its files, find the use cases whose
// GitOps deployment file it changes (governedPullRequest), and evaluate the SignoffPolicy of the strictest risk
// class among them, setting `vigil/sign-off` on its head. A pull request of a Promotion still in progress is
// left to the Promotion reconciler, which gates it the same way.
import type { Logger } from 'pino';
import { promotionSpec } from '../../../specs/promotion.js';
import { signoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { useCaseSpec } from '../../../specs/usecase.js';
import type { Forge, PullRequest, RepoName } from '../forge/forge.js';
import { PROMOTIONS, peekSpec, SIGNOFF_POLICIES, statusOf, USE_CASES } from '../kinds/resources.js';
import { policyRevision } from '../kinds/signoffpolicy/revision.js';
import { promotionBranch } from '../promotion/plan.js';
import type { CacheReader, KubeObject } from '../runtime/index.js';
import type { Blocker } from '../signoff/index.js';
import { type CombinedPolicy, combinePolicies, type PolicyEntry } from './combined-policy.js';
import { type GovernedPullRequest, governedPullRequest } from './governed.js';
import type { InHand } from './in-hand.js';
import { remember } from './remember.js';
import type { SignoffGate, SignoffOutcome } from './signoff-gate.js';

export interface GovernedGateOptions {
  forge: Forge;
  gate: SignoffGate;
  /** The manager's caches: use cases, sign-off policies and promotions. */
  cache: CacheReader;
  logger?: Logger;
  now?: () => Date;
}

export type GovernedVerdict =
  /** A Promotion in progress carries it: its reconciler gates it. */
  | { kind: 'promotion' }
  | { kind: 'closed' }
  /** It changes no file a UseCase deploys from: nothing to sign off. */
  | { kind: 'not-governed' }
  | { kind: 'evaluated'; governed: GovernedPullRequest; outcome: SignoffOutcome };

/** The most files GitHub lists for one pull request. */
export const FILES_LISTED_AT_MOST = 3000;

/** Promotion phases whose pull request is still the reconciler's to gate. */
const IN_PROGRESS = new Set(['Pending', 'Open', 'SignedOff']);

export class GovernedPullRequestGate {
  /** Changed paths by head and base commits: a pull request's files change only when one of them moves. */
  private readonly files = new Map<string, string[]>();

  constructor(private readonly options: GovernedGateOptions) {}

  /** Evaluate one pull request, using what a delivery or a poll already read of it. */
  async evaluate(repository: RepoName, number: number, inHand?: InHand): Promise<GovernedVerdict> {
    const { forge, cache } = this.options;
    const pr = inHand?.pullRequest ?? (await forge.getPullRequest(repository, number));
    if (pr.state === 'closed') return { kind: 'closed' };
    if (isPromotionBranch(cache, repository, pr.head.ref)) return { kind: 'promotion' };

    const changedFiles = await this.changedFiles(repository, pr);
    const governed = governedPullRequest(
      { repository, baseBranch: pr.base.ref, changedFiles },
      cache.list(USE_CASES),
    );
    // GitHub lists at most 3000 files: past them a governed file may hide, so such a change fails closed.
    const truncated = changedFiles.length >= FILES_LISTED_AT_MOST;
    if (!governed.governing && !truncated) return { kind: 'not-governed' };

    const { combined, blockers } = policiesFor(cache, governed);
    if (truncated) {
      blockers.push({
        code: 'too-many-files',
        message: `GitHub lists at most ${FILES_LISTED_AT_MOST} files of a pull request and this one reaches that, so a change to a deployed version past them cannot be ruled out; split it into smaller pull requests.`,
      });
    }
    const outcome = await this.options.gate.evaluate({
      repository,
      number,
      riskClass: combined.riskClass,
      signoffPolicy: {
        spec: combined.spec,
        name: combined.name,
        ...(combined.revision ? { revision: combined.revision } : {}),
      },
      ...(blockers.length > 0 ? { blockers } : {}),
      breakGlassEligible: false,
      now: this.options.now?.() ?? new Date(),
      inHand: { pullRequest: pr, ...(inHand?.reviews ? { reviews: inHand.reviews } : {}) },
    });
    this.options.logger?.info(
      {
        repository,
        pullRequest: number,
        useCases: governed.useCases.map((u) => `${u.namespace}/${u.name}`),
        riskClass: governed.riskClass,
        conclusion: outcome.result.conclusion,
      },
      'hand-made pull request changes a governed file: sign-off evaluated',
    );
    return { kind: 'evaluated', governed, outcome };
  }

  /** Both names of a rename count: moving a governed file away changes it too. */
  private async changedFiles(repository: RepoName, pr: PullRequest): Promise<string[]> {
    const key = `${repository.toLowerCase()}#${pr.number}@${pr.head.sha}..${pr.base.sha}`;
    const held = this.files.get(key);
    if (held) return held;
    const files = await this.options.forge.listPullRequestFiles(repository, pr.number);
    const paths = files.flatMap((f) => (f.previousPath ? [f.path, f.previousPath] : [f.path]));
    remember(this.files, key, paths);
    return paths;
  }
}

/**
 * Whether `headRef` is the branch of a Promotion still in progress in `repository`. Only those: a branch name
 * reused after its Promotion settled is a person's pull request like any other, and gated here.
 */
export function isPromotionBranch(cache: CacheReader, repository: RepoName, headRef: string): boolean {
  const wanted = repository.toLowerCase();
  const deploysTo = (p: KubeObject, useCase: string) => {
    const uc = cache.get(USE_CASES, p.metadata?.namespace, useCase);
    const repo = (uc?.spec as { deployment?: { repository?: unknown } } | undefined)?.deployment?.repository;
    return typeof repo !== 'string' || repo.toLowerCase() === wanted;
  };
  return cache.list(PROMOTIONS).some((p) => {
    const spec = peekSpec(promotionSpec, p);
    if (!spec) return false;
    const status = statusOf<{ phase?: string; pullRequest?: { branch?: string } }>(p);
    if (status?.phase !== undefined && !IN_PROGRESS.has(status.phase)) return false;
    const branch = status?.pullRequest?.branch ?? promotionBranch(p.metadata?.namespace ?? 'default', spec);
    return branch === headRef && deploysTo(p, spec.useCase);
  });
}

/**
 * The policies a change needs, folded into one, and what blocks it whatever the reviews: every use case whose
 * deployment file it changes is asked (plus `also`, the use case a Promotion belongs to), and a file two use
 * cases claim fails closed. A policy that is missing or does not read leaves no policy: the check fails closed.
 */
export function policiesFor(
  cache: CacheReader,
  governed: GovernedPullRequest,
  also?: { namespace: string; name: string },
): { combined: CombinedPolicy; blockers: Blocker[] } {
  const entries: PolicyEntry[] = governed.useCases.map((u) =>
    entryFor(cache, u.namespace, u.name, u.riskClass, u.signoffPolicy),
  );
  if (also && !governed.useCases.some((u) => u.namespace === also.namespace && u.name === also.name)) {
    const spec = peekSpec(useCaseSpec, cache.get(USE_CASES, also.namespace, also.name));
    if (spec) entries.push(entryFor(cache, also.namespace, also.name, spec.riskClass, spec.signoffPolicy));
  }
  const combined = combinePolicies(entries);
  const blockers: Blocker[] = [
    ...combined.blockers,
    ...(governed.conflicts ?? []).map((c) => ({
      code: 'claimed-file' as const,
      message: `${c.path} is claimed by ${c.claimants.length} use cases (${c.claimants.join(', ')}); a file is governed by exactly one, so no change to it can be signed off until the others drop their claim.`,
    })),
  ];
  return { combined, blockers };
}

function entryFor(
  cache: CacheReader,
  namespace: string,
  name: string,
  riskClass: string,
  policy: string,
): PolicyEntry {
  const policyObj = cache.get(SIGNOFF_POLICIES, namespace, policy);
  return {
    useCase: `${namespace}/${name}`,
    riskClass,
    policy: `${namespace}/${policy}`,
    spec: peekSpec(signoffPolicySpec, policyObj),
    ...(policyObj ? { revision: policyRevision(policyObj) } : {}),
  };
}

/** The `org/repo` names UseCases deploy from: where a hand-made pull request may need a sign-off. */
export function governedRepositories(cache: CacheReader): Set<string> {
  const repos = new Set<string>();
  for (const uc of cache.list(USE_CASES)) {
    const repo = (uc.spec as { deployment?: { repository?: unknown } } | undefined)?.deployment?.repository;
    if (typeof repo === 'string') repos.add(repo.toLowerCase());
  }
  return repos;
}
