// One pull request may change the deployed files of several use cases, each with its own SignoffPolicy. It needs
// every one of them satisfied at once: the union of their required roles, under the strictest of their rules,
// with separation of duties solved across the whole set. combinePolicies folds them into one policy for
// evaluateSignoff. Pure.
import { parseDuration } from '../../../specs/common.js';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { type Blocker, requiresVerifiedCommits } from '../signoff/index.js';
import { riskRank } from './governed.js';

export interface PolicyEntry {
  /** `namespace/name` of the use case. */
  useCase: string;
  riskClass: string;
  /** `namespace/name` of its SignoffPolicy. */
  policy: string;
  /** Undefined when the policy is missing or does not read. */
  spec: SignoffPolicySpec | undefined;
  /** The policy revision in force. */
  revision?: string;
}

export interface CombinedPolicy {
  /** Undefined when any policy could not be read: the check fails closed. */
  spec: SignoffPolicySpec | undefined;
  /** The strictest risk class: the one the combined requirement is filed under. */
  riskClass: string | undefined;
  /** The policies, as the check names them: `ns/a`, or `ns/a + ns/b`. */
  name: string;
  revision?: string;
  /** Why no combined decision can succeed, whatever the reviews (a risk class a policy does not cover). */
  blockers: Blocker[];
}

export function combinePolicies(entries: readonly PolicyEntry[]): CombinedPolicy {
  const sorted = [...entries].sort(
    (a, b) => riskRank(b.riskClass) - riskRank(a.riskClass) || a.useCase.localeCompare(b.useCase),
  );
  const policies = [...new Map(sorted.map((e) => [e.policy, e])).values()];
  const name = policies.map((e) => e.policy).join(' + ');
  const revisions = policies.flatMap((e) => (e.revision ? [`${e.policy}@${e.revision}`] : []));
  const riskClass = sorted[0]?.riskClass;
  const base = {
    riskClass,
    name,
    ...(revisions.length > 0
      ? { revision: policies.length === 1 ? policies[0]!.revision! : revisions.join(', ') }
      : {}),
  };
  if (sorted.length === 0) return { ...base, spec: undefined, blockers: [] };
  if (sorted.length === 1) return { ...base, spec: sorted[0]!.spec, blockers: [] };

  const missing = sorted.filter((e) => e.spec === undefined);
  if (missing.length > 0) {
    return {
      ...base,
      spec: undefined,
      blockers: missing.map((e) => ({
        code: 'policy-unavailable' as const,
        message: `SignoffPolicy ${e.policy} of use case ${e.useCase} is missing or does not read, so the change cannot be signed off.`,
      })),
    };
  }

  const blockers: Blocker[] = [];
  // Roles by name and team: the same role on the same team, asked by two policies, is one role to fill.
  const roles = new Map<string, { name: string; team: string; policies: Set<string> }>();
  for (const e of sorted) {
    const spec = e.spec!;
    const requirement = spec.requirements.find((r) => r.riskClass === e.riskClass);
    if (!requirement) {
      blockers.push({
        code: 'no-requirement',
        message: `SignoffPolicy ${e.policy} names no roles for risk class "${e.riskClass}" of use case ${e.useCase}; no change to it can be signed off.`,
      });
      continue;
    }
    for (const roleName of requirement.roles) {
      const team = spec.roles.find((r) => r.name === roleName)?.team ?? '';
      const key = `${roleName}\u0000${team.toLowerCase()}`;
      const held = roles.get(key) ?? { name: roleName, team, policies: new Set<string>() };
      held.policies.add(e.policy);
      roles.set(key, held);
    }
  }
  // A role name two policies map to different teams is two roles: name each after its policy.
  const byName = new Map<string, number>();
  for (const r of roles.values()) byName.set(r.name, (byName.get(r.name) ?? 0) + 1);
  const merged = [...roles.values()].map((r) => ({
    name: (byName.get(r.name) ?? 0) > 1 ? `${r.name} (${[...r.policies].join(', ')})` : r.name,
    team: r.team,
  }));

  const specs = sorted.map((e) => e.spec!);
  const expiries = specs
    .map((s) => s.rules.approvalExpiry)
    .filter((d): d is string => d !== undefined)
    .map((d) => ({ d, seconds: parseDuration(d) }));
  // An expiry that does not read is passed on as it is: evaluateSignoff fails closed on it.
  const unreadable = expiries.find((x) => x.seconds === undefined);
  const shortest = expiries.filter((x) => x.seconds !== undefined).sort((a, b) => a.seconds! - b.seconds!)[0];
  const approvalExpiry = unreadable?.d ?? shortest?.d;

  const spec: SignoffPolicySpec = {
    roles: merged,
    requirements: [
      {
        riskClass: riskClass as SignoffPolicySpec['requirements'][number]['riskClass'],
        roles: merged.map((r) => r.name),
      },
    ],
    rules: {
      dismissOnPush: specs.some((s) => s.rules.dismissOnPush),
      authorCannotApprove: specs.some((s) => s.rules.authorCannotApprove),
      committersCannotApprove: specs.some((s) => s.rules.committersCannotApprove),
      separationOfDuties: specs.some((s) => s.rules.separationOfDuties),
      ...(approvalExpiry !== undefined ? { approvalExpiry } : {}),
      requireVerifiedCommits: sorted.some((e) => requiresVerifiedCommits(e.spec!.rules, e.riskClass)),
      // Who may lift an objection is each policy's own word about its own reviewers: across policies, nobody.
      objectionsDismissibleBy: [],
    },
    // Break-glass is for a rollback of one use case, never for a change that spans several.
    enforcement: specs[0]!.enforcement,
  };
  return { ...base, spec, blockers };
}
