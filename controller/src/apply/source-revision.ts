// The git commit each applied object's file was last changed in, recorded on the object as the annotation
// `vigil.dev/source-revision`, so that the policy revision a sign-off decision, a Promotion and the audit record
// is a commit of the governance repository rather than the object's generation. GitOps tools set the same
// annotation (Argo CD through `commonAnnotations` with `$ARGOCD_APP_REVISION`, Flux through post-build
// substitution); `vigil start` sets it from the working tree it applies.
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';

export const SOURCE_REVISION_ANNOTATION = 'vigil.dev/source-revision';

/** A full git commit id (SHA-1 or SHA-256). */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The commit that last changed `file`, when the file is tracked by git and unchanged since; undefined otherwise
 * (not in a repository, never committed, or edited since: no commit holds what is applied).
 */
export function lastCommitOf(file: string): string | undefined {
  const git = (args: string[]) =>
    execFileSync('git', ['-C', dirname(file), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    if (git(['status', '--porcelain', '--', file]) !== '') return undefined;
    const commit = git(['log', '-1', '--format=%H', '--', file]);
    return COMMIT_ID.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** The object with its file's commit as `vigil.dev/source-revision`; unchanged when there is none. */
export function withSourceRevision<T extends { metadata?: { annotations?: Record<string, string> } }>(
  object: T,
  commit: string | undefined,
): T {
  if (!commit) return object;
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...object.metadata?.annotations, [SOURCE_REVISION_ANNOTATION]: commit },
    },
  };
}
