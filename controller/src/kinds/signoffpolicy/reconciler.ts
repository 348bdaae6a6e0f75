// The SignoffPolicy reconciler: teams behind each role, whether the branch really requires the check, and the
// policy's revision (the commit of the governance repository it was last changed in). Without a forge configured,
// teams and protection are unknown and the policy says so, and the revision is its source annotation's. With one,
// all three are read through it (conditional requests: an unchanged answer costs nothing) and checked again
// periodically, since protection can be switched off without any event reaching the controller.
import { type SignoffPolicySpec, signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import { SOURCE_REVISION_ANNOTATION } from '../../apply/source-revision.js';
import {
  type BranchProtectionFacts,
  type Forge,
  ForgeError,
  ForgeUnavailableError,
  NotFoundError,
} from '../../forge/forge.js';
import { decisionsAtRest } from '../../gate/at-rest.js';
import { defineController, StalledError, WaitingError } from '../../runtime/index.js';
import { readSpec, SIGNOFF_POLICIES } from '../resources.js';
import { type AppliedPolicy, type PolicySourceObservation, PolicySources } from './policy-source.js';
import { annotatedCommit, decideRevision } from './revision.js';
import { decideSignoffPolicyStatus, type TeamMembership } from './status.js';

export interface SignoffPolicyControllerOptions {
  forge?: Forge;
  /** How often teams and protection are read again (default 10 minutes). */
  recheckAfterMs?: number;
}

export function createSignoffPolicyController(options: SignoffPolicyControllerOptions = {}) {
  const { forge } = options;
  const recheckAfterMs = options.recheckAfterMs ?? 10 * 60_000;
  const atRest = forge ? decisionsAtRest(forge).policies : undefined;
  const sources = forge ? new PolicySources(forge) : undefined;
  return defineController({
    kind: SIGNOFF_POLICIES,
    async reconcile(ctx, obj) {
      const spec = readSpec(signoffPolicySpec, obj);
      if (!forge) {
        const decision = decideSignoffPolicyStatus({ spec });
        const revision = decideRevision({ policy: obj });
        return {
          status: {
            ...decision.status,
            revision: revision.revision,
            conditions: [...decision.conditions, revision.condition],
          },
          events: [...decision.events, ...revision.events],
        };
      }
      // Read again once due, or when the spec (generation) or the source annotation changed or a membership
      // change made change control forget it; a pass before then (a resync) decides from what was read and asks
      // GitHub nothing.
      const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
      const annotation = obj.metadata.annotations?.[SOURCE_REVISION_ANNOTATION] ?? '';
      const fingerprint = `${obj.metadata.uid}@${obj.metadata.generation}@${annotation}`;
      const nowMs = ctx.now.getTime();
      const kept = atRest!.get(key, fingerprint, nowMs) as { value: Observed; dueAt: number } | undefined;
      const commit = annotatedCommit(obj);
      const applied: AppliedPolicy = {
        namespace: obj.metadata.namespace ?? 'default',
        name: obj.metadata.name ?? '',
        spec,
        ...(commit ? { annotatedCommit: commit } : {}),
      };
      const observed =
        kept?.value ?? (await observeAtForge(forge, spec, ctx.now, { sources: sources!, applied }));
      const dueAt = kept?.dueAt ?? nowMs + recheckAfterMs;
      // Kept only once the forge knows which App it acts as: until then, a check run it writes may tell it, and
      // the next pass must read that.
      if (!kept && observed.protection.appId !== undefined) atRest!.set(key, fingerprint, dueAt, observed);
      const decision = decideSignoffPolicyStatus({ spec, ...observed });
      const revision = decideRevision({
        policy: obj,
        ...(observed.source ? { source: observed.source } : {}),
      });
      return {
        status: {
          ...decision.status,
          revision: revision.revision,
          conditions: [...decision.conditions, revision.condition],
        },
        events: [...decision.events, ...revision.events],
        requeueAfter: Math.max(1_000, dueAt - nowMs),
      };
    },
  });
}

/** Without a forge: the behaviour `vigil start` has when no GitHub is configured. */
export const signoffPolicyController = createSignoffPolicyController();

type Observed = Awaited<ReturnType<typeof observeAtForge>>;

/**
 * Each role's team (an unknown team is absent), everything that protects the enforcement branch, and, given where
 * to look, where the policy comes from in its governance repository.
 */
export async function observeAtForge(
  forge: Forge,
  spec: SignoffPolicySpec,
  now: Date,
  revision?: { sources: PolicySources; applied: AppliedPolicy },
): Promise<{
  teams: Record<string, TeamMembership | undefined>;
  protection: BranchProtectionFacts;
  source?: PolicySourceObservation;
}> {
  try {
    const teams: Record<string, TeamMembership | undefined> = {};
    for (const team of new Set(spec.roles.map((r) => r.team))) {
      const [org, slug] = team.split('/') as [string, string];
      try {
        teams[team] = { members: await forge.teamMembers(org, slug) };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    const { repository, branch } = spec.enforcement;
    const protection = await forge.branchProtection(repository, branch);
    const source = revision ? await revision.sources.observe(revision.applied) : undefined;
    return { teams, protection, ...(source ? { source } : {}) };
  } catch (error) {
    if (error instanceof ForgeUnavailableError) {
      throw new WaitingError(
        'ForgeUnavailable',
        `GitHub is not taking calls until ${error.retryAt.toISOString()}; teams, protection and revision not checked`,
        error.retryAt.getTime() - now.getTime(),
        { cause: error },
      );
    }
    // 401/403: the credentials may not read teams or protection; a person must grant it.
    if (error instanceof ForgeError && (error.status === 401 || error.status === 403)) {
      throw new StalledError(
        'ForgeForbidden',
        `the forge credentials may not read the teams or the protection of ${spec.enforcement.branch} of ${spec.enforcement.repository}: ${error.message}`,
      );
    }
    throw error;
  }
}
