// Deterministic names for a promotion: the Promotion object and its head branch are functions of what is
// promoted, so a restart, a second replica or a replayed departure finds the same object and the same pull
// request instead of opening another.
import { createHash } from 'node:crypto';

export type PromotionType = 'promotion' | 'rollback';

export interface PromotionIdentity {
  type: PromotionType;
  namespace: string;
  useCase: string;
  /** Stage or wave whose deployed version changes. */
  to: string;
  version: string;
}

const MAX_NAME = 63;

/** A version as a DNS label fragment: `3.2.0` -> `3-2-0`, `2.0.0-rc.1+b7` -> `2-0-0-rc-1-b7`. */
export function versionLabel(version: string): string {
  return version
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `<usecase>-<to>-<version>` (rollbacks `<usecase>-rollback-<to>-<version>`). Over 63 characters, the end is
 * replaced by a short hash of the full name so two long names never collide.
 */
export function promotionName(id: Omit<PromotionIdentity, 'namespace'>): string {
  const parts = [
    id.useCase,
    ...(id.type === 'rollback' ? ['rollback'] : []),
    id.to,
    versionLabel(id.version),
  ];
  const full = parts.join('-');
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/**
 * `vigil/promote/<namespace>/<usecase>/<stage>/<version>` or `vigil/rollback/...`. The namespace is part of it
 * because two namespaces may hold use cases of the same name deploying through one GitOps repository.
 */
export function branchName(id: PromotionIdentity): string {
  const verb = id.type === 'rollback' ? 'rollback' : 'promote';
  // git refuses "..", "~", "^", ":", spaces and a few more; semver versions never hold them, but be certain.
  const safe = id.version.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/\.{2,}/g, '.');
  return `vigil/${verb}/${id.namespace}/${id.useCase}/${id.to}/${safe}`;
}
