// The annotation `vigil.dev/source-revision`: the git commit of the governance repository an object was applied
// from, as GitOps tools set it (Argo CD through `commonAnnotations` with `$ARGOCD_APP_REVISION`, Flux through
// post-build substitution). A SignoffPolicy's revision is taken from it only where the governance repository bears
// it out (see kinds/signoffpolicy/policy-source.ts): anyone who may apply the object may write it.

export const SOURCE_REVISION_ANNOTATION = 'vigil.dev/source-revision';

/** A full git commit id (SHA-1 or SHA-256). */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
