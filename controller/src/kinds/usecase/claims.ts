// A deployment file is governed by exactly one use case. Two UseCases, in any namespaces, that name the same file
// of the same repository and branch make the gate fail closed for it, and both report the conflict: a second
// claim, whoever made it, could otherwise bring its own weaker policy to the file. Pure.
import { posix } from 'node:path';
import { useCaseSpec } from '../../../../specs/usecase.js';
import type { KubeObject } from '../../runtime/index.js';
import { peekSpec } from '../resources.js';

/** A deployment file two or more use cases claim: the gate fails closed for it. */
export interface ClaimConflict {
  /** `org/repo` as the first claimant writes it. */
  repository: string;
  branch: string;
  path: string;
  /** `namespace/name` of each use case that claims it, sorted. */
  claimants: string[];
}

/**
 * Every deployment file that more than one use case claims, in any namespaces. A file is governed by exactly one
 * use case: a second claim, whoever made it, could otherwise bring its own weaker policy to the file.
 */
export function claimConflicts(useCases: readonly KubeObject[]): ClaimConflict[] {
  const claims = new Map<string, { repository: string; branch: string; path: string; by: Set<string> }>();
  for (const obj of useCases) {
    const spec = peekSpec(useCaseSpec, obj);
    if (!spec) continue;
    const d = spec.deployment;
    const who = `${obj.metadata?.namespace ?? 'default'}/${obj.metadata?.name ?? ''}`;
    for (const t of d.targets) {
      const path = normalizePath(t.file);
      const k = claimKey(d.repository, d.branch, t.file);
      const claim = claims.get(k) ?? { repository: d.repository, branch: d.branch, path, by: new Set() };
      claim.by.add(who);
      claims.set(k, claim);
    }
  }
  return [...claims.values()]
    .filter((c) => c.by.size > 1)
    .map((c) => ({ repository: c.repository, branch: c.branch, path: c.path, claimants: [...c.by].sort() }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** Git paths have no leading `./` or `/`, no `.` segments and no doubled slashes; a spec might. */
export function normalizePath(path: string): string {
  return posix.normalize(path.replace(/^\/+/, '')).replace(/^(\.\/)+/, '');
}

/** What one claim is on: a file of a branch of a repository (repository names are case-insensitive). */
export function claimKey(repository: string, branch: string, file: string): string {
  return `${repository.toLowerCase()}\u0000${branch}\u0000${normalizePath(file)}`;
}
