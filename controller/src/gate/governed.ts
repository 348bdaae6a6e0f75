// Which pull requests the gate governs: any that changes a file a UseCase names as where one of its stages'
// deployed version lives, whoever opened it. Such a change needs the sign-off of the strictest risk class among
// the use cases it touches. Pure: the caller lists the changed files and the cached use cases.
import { RISK_CLASSES, type UseCaseSpec, useCaseSpec } from '../../../specs/usecase.js';
import { peekSpec } from '../kinds/resources.js';
import { type ClaimConflict, claimConflicts, normalizePath } from '../kinds/usecase/claims.js';

export { type ClaimConflict, claimConflicts, normalizePath };

import type { KubeObject } from '../runtime/index.js';

export interface GovernedUseCase {
  namespace: string;
  name: string;
  riskClass: UseCaseSpec['riskClass'];
  /** The SignoffPolicy's name, in the use case's namespace. */
  signoffPolicy: string;
  /** The changed files that deploy this use case, with the stage each deploys. */
  files: { path: string; stage: string }[];
}

export interface GovernedPullRequest {
  governed: boolean;
  /** Changed files claimed by more than one use case (absent when none is). */
  conflicts?: ClaimConflict[];
  /** Every use case a changed file deploys, strictest risk class first. */
  useCases: GovernedUseCase[];
  /** The strictest risk class among them: the one whose roles must sign off. */
  riskClass?: UseCaseSpec['riskClass'];
  /** The use case whose risk class (and so whose SignoffPolicy) governs; the first by name on a tie. */
  governing?: GovernedUseCase;
}

export interface PullRequestChangeSet {
  /** `org/repo`. */
  repository: string;
  /** The branch the pull request merges into: a change to another branch deploys nothing. */
  baseBranch: string;
  /** Paths the pull request adds, changes, renames or removes (both names of a rename). */
  changedFiles: readonly string[];
}

/** Whether the pull request changes a governed file, and for which use cases. */
export function governedPullRequest(
  change: PullRequestChangeSet,
  useCases: readonly KubeObject[],
): GovernedPullRequest {
  const changed = new Set(change.changedFiles.map(normalizePath));
  const repo = change.repository.toLowerCase();
  const found: GovernedUseCase[] = [];
  for (const obj of useCases) {
    // A use case whose spec does not read cleanly is reported by its own reconcile; it cannot name files here.
    const spec = peekSpec(useCaseSpec, obj);
    if (!spec) continue;
    const d = spec.deployment;
    if (d.repository.toLowerCase() !== repo || d.branch !== change.baseBranch) continue;
    const files = d.targets
      .filter((t) => changed.has(normalizePath(t.file)))
      .map((t) => ({ path: normalizePath(t.file), stage: t.stage }));
    if (files.length === 0) continue;
    found.push({
      namespace: obj.metadata?.namespace ?? 'default',
      name: obj.metadata?.name ?? '',
      riskClass: spec.riskClass,
      signoffPolicy: spec.signoffPolicy,
      files,
    });
  }
  found.sort(
    (a, b) =>
      riskRank(b.riskClass) - riskRank(a.riskClass) ||
      `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
  const governing = found[0];
  const conflicts = claimConflicts(useCases).filter(
    (c) => c.repository.toLowerCase() === repo && c.branch === change.baseBranch && changed.has(c.path),
  );
  return {
    governed: found.length > 0,
    useCases: found,
    ...(governing ? { riskClass: governing.riskClass, governing } : {}),
    ...(conflicts.length > 0 ? { conflicts } : {}),
  };
}

/** Higher is stricter: the order RISK_CLASSES lists them in. */
export function riskRank(riskClass: string): number {
  return (RISK_CLASSES as readonly string[]).indexOf(riskClass);
}
