import type { KubeObject } from '../../runtime/index.js';
import { statusOf } from '../resources.js';

/**
 * The revision of a SignoffPolicy that a decision, a Promotion and the audit record: the git commit its file was
 * last changed in (status.revision, from its source annotation) when known, else `generation:N`.
 */
export function policyRevision(policy: KubeObject): string {
  return (
    statusOf<{ revision?: string }>(policy)?.revision ?? `generation:${policy.metadata?.generation ?? 0}`
  );
}
