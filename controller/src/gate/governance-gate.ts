import { type SignoffPolicySpec, signoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { type UseCaseSpec, useCaseSpec } from '../../../specs/usecase.js';
import {
  ForgeUnavailableError,
  type PullRequest,
  type PullRequestFile,
  type RepoName,
} from '../forge/forge.js';
import { peekSpec, SIGNOFF_POLICIES, USE_CASES } from '../kinds/resources.js';
import { policyRevision } from '../kinds/signoffpolicy/revision.js';
import type { CacheReader } from '../runtime/index.js';
import type { Blocker } from '../signoff/index.js';
import { type CombinedPolicy, combinePolicies, type PolicyEntry } from './combined-policy.js';
import {
  type GovernanceChange,
  type GovernanceDocs,
  type GovernanceFile,
  governanceChanges,
  readGovernanceDocs,
} from './governance-changes.js';
import { governedPullRequest, riskRank } from './governed.js';
import { type GovernedGateOptions, policiesFor } from './governed-gate.js';
import type { InHand } from './in-hand.js';
import { remember } from './remember.js';
import type { SignoffOutcome } from './signoff-gate.js';

/** Where one SignoffPolicy's YAML lives, from its `spec.governance`. */
export interface GovernanceTarget {
  /** `namespace/name` of the policy. */
  policy: string;
  namespace: string;
  repository: string;
  branch: string;
  paths?: string[];
}

/** Every cached SignoffPolicy that says where it lives. */
export function governanceTargets(cache: CacheReader): GovernanceTarget[] {
  return cache.list(SIGNOFF_POLICIES).flatMap((obj) => {
    const g = peekSpec(signoffPolicySpec, obj)?.governance;
    if (!g) return [];
    const namespace = obj.metadata?.namespace ?? 'default';
    return [
      {
        policy: `${namespace}/${obj.metadata?.name ?? ''}`,
        namespace,
        repository: g.repository,
        branch: g.branch,
        ...(g.paths ? { paths: g.paths } : {}),
      },
    ];
  });
}

/** The `org/repo` names (lower case) SignoffPolicies live in: where a pull request may change governance. */
export function governanceRepositories(cache: CacheReader): Set<string> {
  return new Set(governanceTargets(cache).map((t) => t.repository.toLowerCase()));
}

/** Whether `path` falls under one of the prefixes (every path when there are none); `dir/**` reads as `dir/`. */
export function governsPath(paths: readonly string[] | undefined, path: string): boolean {
  if (!paths) return true;
  return paths.some((p) => path.startsWith(p.replace(/\*+$/, '')));
}

/** Files read side by side when classifying a pull request. */
const READS_AT_ONCE = 8;

/** GitHub's list of a pull request's files stops here: a change past it would go unseen. */
export const PULL_REQUEST_FILES_CAP = 3000;

/** Whether a file may hold objects the cluster applies: YAML, or JSON (which kubectl applies as well). */
export const isManifestPath = (path: string) => /\.(ya?ml|json)$/i.test(path);

export interface GovernanceRequirementInput {
  changes: readonly GovernanceChange[];
  /** The changed files' objects at the pull request's base and head. */
  base: GovernanceDocs;
  head: GovernanceDocs;
  repository: RepoName;
  /** The branch the pull request merges into. */
  branch: string;
  cache: CacheReader;
}

/** One policy in force, and what of it a pull request touches. */
interface Governing {
  policy: string;
  spec: SignoffPolicySpec | undefined;
  revision?: string;
  ownerTeams: Set<string>;
  /** Use cases (`namespace/name`) whose data contract breaks, by their owner team: each team signs off. */
  consumers: Map<string, Set<string>>;
  riskClasses: Set<string>;
  /** Whether it governs a change of the pull request (not merely looked up). */
  touched: boolean;
}

/**
 * The sign-off the changes need, as one policy for evaluateSignoff: for each policy in force that governs a
 * change, the roles it names in `spec.governance.roles` (default: its compliance role plus the owner team of
 * each changed use case), under its own rules, folded together. A change no policy in force governs blocks.
 */
export function governanceRequirement(input: GovernanceRequirementInput): {
  entries: PolicyEntry[];
  blockers: Blocker[];
} {
  const { cache } = input;
  const blockers: Blocker[] = [];
  const governing = new Map<string, Governing>();
  const inForce = (namespace: string, name: string): Governing | undefined => {
    const key = `${namespace}/${name}`;
    const held = governing.get(key);
    if (held) return held;
    const obj = cache.get(SIGNOFF_POLICIES, namespace, name);
    let found: Governing | undefined;
    if (obj) {
      found = {
        policy: key,
        spec: peekSpec(signoffPolicySpec, obj),
        revision: policyRevision(obj),
        ...fresh(),
      };
    } else {
      // Not (yet) in the cluster: the version on the base branch is what was last signed off.
      const parsed = signoffPolicySpec.safeParse(input.base.policies.get(key)?.spec);
      if (parsed.success) found = { policy: key, spec: parsed.data, ...fresh() };
    }
    if (found) governing.set(key, found);
    return found;
  };
  // The policies whose governance covers a file, in its namespace when any there does.
  const governingPath = (path: string, namespace?: string): Governing[] => {
    const targets = governanceTargets(cache).filter(
      (t) =>
        t.repository.toLowerCase() === input.repository.toLowerCase() &&
        t.branch === input.branch &&
        governsPath(t.paths, path),
    );
    const near = targets.filter((t) => t.namespace === namespace);
    return (near.length > 0 ? near : targets).flatMap((t) => {
      const [ns, name] = splitKey(t.policy);
      const g = inForce(ns, name);
      return g ? [g] : [];
    });
  };
  const ungoverned = (change: GovernanceChange) =>
    blockers.push({
      code: 'policy-unavailable',
      message: `No SignoffPolicy in force governs ${change.kind === 'File' ? change.path : `${change.kind} ${change.subject} (${change.path})`} in ${input.repository}@${input.branch}, so the change cannot be signed off: declare spec.governance on the policy that should.`,
    });

  for (const change of input.changes) {
    const [namespace, name] = change.kind === 'File' ? ['', ''] : splitKey(change.subject);
    let found: Governing[] = [];
    let useCase: { riskClass?: string; ownerTeam?: string } | undefined;
    if (change.code === 'contract-breaking') {
      // Besides the governance sign-off the contract's change already needs: each consumer's owner team.
      blockers.push(...consumerSignoff(input, change, namespace, name, inForce));
      continue;
    }
    if (change.kind === 'SignoffPolicy') {
      const own = change.code === 'created' ? undefined : inForce(namespace, name);
      found = own ? [own] : governingPath(change.path, namespace);
      // A change to a policy reaches every risk class it covers.
      for (const g of found) for (const r of g.spec?.requirements ?? []) g.riskClasses.add(r.riskClass);
    } else if (change.kind === 'UseCase') {
      // The use case as it stands (the cluster's, else the base branch's); a new one as proposed.
      const standing =
        peekSpec(useCaseSpec, cache.get(USE_CASES, namespace, name)) ??
        parsedUseCase(input.base.useCases.get(change.subject)?.spec);
      const spec =
        change.code === 'created' ? parsedUseCase(input.head.useCases.get(change.subject)?.spec) : standing;
      const raw = input.head.useCases.get(change.subject)?.spec as Partial<UseCaseSpec> | undefined;
      const policyName = spec?.signoffPolicy ?? (change.code === 'created' ? raw?.signoffPolicy : undefined);
      useCase = {
        ...(spec?.riskClass ? { riskClass: spec.riskClass } : {}),
        ...((spec?.ownerTeam ?? raw?.ownerTeam) ? { ownerTeam: spec?.ownerTeam ?? raw?.ownerTeam } : {}),
      };
      const own = typeof policyName === 'string' ? inForce(namespace, policyName) : undefined;
      found = own ? [own] : governingPath(change.path, namespace);
    } else if (change.kind !== 'File') {
      // A surveillance policy, data contract or release train: the sign-off of every use case that names it, as
      // it stands (the cluster's, else the base branch's), with each one's owner team and risk class.
      const dependents = useCasesNaming(input, change.kind, namespace, name);
      for (const uc of dependents) {
        const own = inForce(uc.namespace, uc.spec.signoffPolicy);
        if (!own) continue;
        own.touched = true;
        own.riskClasses.add(uc.spec.riskClass);
        own.ownerTeams.add(uc.spec.ownerTeam);
        found.push(own);
      }
      if (found.length === 0) {
        found = governingPath(change.path, namespace);
        for (const g of found) for (const r of g.spec?.requirements ?? []) g.riskClasses.add(r.riskClass);
      }
    } else {
      found = governingPath(change.path);
      for (const g of found) for (const r of g.spec?.requirements ?? []) g.riskClasses.add(r.riskClass);
    }
    if (found.length === 0) {
      ungoverned(change);
      continue;
    }
    for (const g of found) {
      g.touched = true;
      if (useCase?.riskClass) g.riskClasses.add(useCase.riskClass);
      if (useCase?.ownerTeam) g.ownerTeams.add(useCase.ownerTeam);
    }
  }

  const entries: PolicyEntry[] = [];
  for (const g of governing.values()) {
    if (!g.touched) continue;
    const entry = governanceEntry(g);
    if ('blocker' in entry) blockers.push(entry.blocker);
    else entries.push(entry);
  }
  return { entries, blockers };
}

/**
 * The use cases, in `namespace`, that name a SurveillancePolicy, DataContract or ReleaseTrain: those in the
 * cluster, and those on the base branch that the cluster does not hold yet.
 */
function useCasesNaming(
  input: GovernanceRequirementInput,
  kind: string,
  namespace: string,
  name: string,
): { namespace: string; name: string; spec: UseCaseSpec }[] {
  const names = (spec: UseCaseSpec) =>
    kind === 'SurveillancePolicy'
      ? spec.surveillancePolicy === name
      : kind === 'ReleaseTrain'
        ? spec.releaseTrain === name
        : spec.dataContracts.some((c) => c.name === name);
  const found = new Map<string, { namespace: string; name: string; spec: UseCaseSpec }>();
  for (const obj of input.cache.list(USE_CASES, namespace)) {
    const spec = peekSpec(useCaseSpec, obj);
    if (spec && names(spec)) found.set(obj.metadata.name, { namespace, name: obj.metadata.name, spec });
  }
  for (const doc of input.base.useCases.values()) {
    if (doc.namespace !== namespace || found.has(doc.name)) continue;
    const spec = parsedUseCase(doc.spec);
    if (spec && names(spec)) found.set(doc.name, { namespace, name: doc.name, spec });
  }
  return [...found.values()];
}

/**
 * Asks each consumer of a contract that breaks for the sign-off of its owner team, under its own SignoffPolicy's
 * rules. Consumers are the use cases the contract in force lists and those that name it (the cluster's, else
 * the base branch's): a pull request cannot drop a consumer from the list to skip its sign-off. Returns what
 * blocks: a consumer that cannot be found, and a breaking change without a major version.
 */
function consumerSignoff(
  input: GovernanceRequirementInput,
  change: GovernanceChange,
  namespace: string,
  name: string,
  inForce: (namespace: string, name: string) => Governing | undefined,
): Blocker[] {
  const blockers: Blocker[] = [];
  const consumers = new Map<string, { namespace: string; name: string; spec?: UseCaseSpec }>();
  for (const uc of useCasesNaming(input, 'DataContract', namespace, name)) {
    consumers.set(`${uc.namespace}/${uc.name}`, uc);
  }
  const listed = (input.base.dependents.get(`DataContract ${namespace}/${name}`)?.spec ?? {}) as {
    consumers?: unknown;
  };
  for (const c of Array.isArray(listed.consumers) ? listed.consumers : []) {
    const ref = (c ?? {}) as { useCase?: unknown; namespace?: unknown };
    if (typeof ref.useCase !== 'string') continue;
    const ns = typeof ref.namespace === 'string' ? ref.namespace : namespace;
    const key = `${ns}/${ref.useCase}`;
    if (consumers.has(key)) continue;
    const spec =
      peekSpec(useCaseSpec, input.cache.get(USE_CASES, ns, ref.useCase)) ??
      parsedUseCase(input.base.useCases.get(key)?.spec);
    consumers.set(key, { namespace: ns, name: ref.useCase, ...(spec ? { spec } : {}) });
  }
  for (const [key, uc] of [...consumers].sort(([a], [b]) => a.localeCompare(b))) {
    const own = uc.spec ? inForce(uc.namespace, uc.spec.signoffPolicy) : undefined;
    if (!uc.spec || !own) {
      blockers.push({
        code: 'policy-unavailable',
        message: `DataContract ${change.subject} breaks for its consumer UseCase ${key}, whose ${uc.spec ? `SignoffPolicy ${uc.spec.signoffPolicy}` : 'spec'} is not in the cluster nor on the base branch, so its owner team cannot be asked to sign off.`,
      });
      continue;
    }
    own.touched = true;
    own.riskClasses.add(uc.spec.riskClass);
    const team = uc.spec.ownerTeam.toLowerCase();
    own.consumers.set(team, (own.consumers.get(team) ?? new Set()).add(key));
  }
  if (change.unversioned) {
    blockers.push({
      code: 'unversioned-breaking-change',
      message: `DataContract ${change.subject} breaks its consumers but its version goes from ${change.unversioned.from} to ${change.unversioned.to}: a breaking change needs a new major version.`,
    });
  }
  return blockers;
}

/** One policy's governance roles as a policy of one requirement, under its own rules, without break-glass. */
function governanceEntry(g: Governing): PolicyEntry | { blocker: Blocker } {
  // The strictest class among the changed use cases; for a change to the policy itself, any class it covers.
  const classes =
    g.riskClasses.size > 0 ? [...g.riskClasses] : (g.spec?.requirements.map((r) => r.riskClass) ?? []);
  const strictest = classes.sort((a, b) => riskRank(b) - riskRank(a))[0];
  const base = {
    useCase: `governance of ${g.policy}`,
    policy: g.policy,
    ...(g.revision ? { revision: g.revision } : {}),
  };
  if (!g.spec) return { ...base, riskClass: strictest ?? 'medical-device', spec: undefined };
  const named = g.spec.governance?.roles;
  const roles = named ?? (g.spec.roles.some((r) => r.name === 'compliance') ? ['compliance'] : []);
  // A consumer's owner team signs once, as consumer, where it would also sign as the owner of a changed use case.
  const consumers = [...g.consumers].sort(([a], [b]) => a.localeCompare(b));
  const teams = named ? [] : [...g.ownerTeams].filter((t) => !g.consumers.has(t.toLowerCase())).sort();
  const owners = [
    ...teams.map((team) => ({
      name: teams.length === 1 ? 'use-case-owner' : `use-case-owner (${team})`,
      team,
      description: 'The team that owns the changed use case.',
    })),
    ...consumers.map(([team, useCases]) => ({
      name: `consumer (${[...useCases].sort().join(', ')})`,
      team,
      description: 'The owner team of a use case that reads a data contract the change breaks.',
    })),
  ];
  if (roles.length + owners.length === 0) {
    return {
      blocker: {
        code: 'no-requirement',
        message: `SignoffPolicy ${g.policy} names no roles for changes to it (spec.governance.roles) and defines no compliance role, so no change to it can be signed off; name spec.governance.roles.`,
      },
    };
  }
  const riskClass = (strictest ??
    g.spec.requirements[0]!.riskClass) as SignoffPolicySpec['requirements'][number]['riskClass'];
  const { breakGlass: _none, ...rest } = g.spec;
  const spec: SignoffPolicySpec = {
    ...rest,
    roles: [...g.spec.roles, ...owners],
    requirements: [{ riskClass, roles: [...roles, ...owners.map((o) => o.name)] }],
  };
  return { ...base, riskClass, spec };
}

/** The same as the hand-made gate's: the forge, the sign-off gate, the manager's caches. */
export type GovernanceGateOptions = GovernedGateOptions;

export type GovernanceVerdict =
  | { kind: 'closed' }
  /** Not a repository and branch any SignoffPolicy lives in. */
  | { kind: 'not-governance' }
  /** It changes nothing that governs, and no deployment file. */
  | { kind: 'not-governed' }
  | { kind: 'evaluated'; changes: GovernanceChange[]; outcome: SignoffOutcome };

export class GovernanceChangeGate {
  /** What a pull request changes, by head and base commits: it changes only when one of them moves. */
  private readonly read = new Map<string, Classified>();

  constructor(private readonly options: GovernanceGateOptions) {}

  async evaluate(repository: RepoName, number: number, inHand?: InHand): Promise<GovernanceVerdict> {
    const { forge, cache } = this.options;
    const pr = inHand?.pullRequest ?? (await forge.getPullRequest(repository, number));
    if (pr.state === 'closed') return { kind: 'closed' };
    const repo = repository.toLowerCase();
    const targets = governanceTargets(cache).filter(
      (t) => t.repository.toLowerCase() === repo && t.branch === pr.base.ref,
    );
    if (targets.length === 0) return { kind: 'not-governance' };

    const classified = await this.classify(repository, pr);
    const { changes } = classified;
    const required = governanceRequirement({
      changes,
      base: classified.base,
      head: classified.head,
      repository,
      branch: pr.base.ref,
      cache,
    });
    const entries = [...required.entries];
    const blockers = [...classified.blockers, ...required.blockers];
    // The governance repository may also hold deployment files: their use cases are asked too, in one check.
    const deployed = governedPullRequest(
      { repository, baseBranch: pr.base.ref, changedFiles: classified.paths },
      cache.list(USE_CASES),
    );
    if (deployed.governed) {
      const { combined, blockers: more } = policiesFor(cache, deployed);
      entries.push(asEntry(combined));
      blockers.push(...more);
    }
    if (changes.length === 0 && blockers.length === 0 && !deployed.governed) return { kind: 'not-governed' };

    const combined = combinePolicies(entries);
    const outcome = await this.options.gate.evaluate({
      repository,
      number,
      riskClass: combined.riskClass,
      signoffPolicy: {
        spec: combined.spec,
        name: combined.name ? `governance: ${combined.name}` : 'governance',
        ...(combined.revision ? { revision: combined.revision } : {}),
      },
      blockers: [...combined.blockers, ...blockers],
      notes: changes.map((c) => `${c.weakens ? 'Lowers the bar: ' : ''}${c.message}`),
      breakGlassEligible: false,
      now: this.options.now?.() ?? new Date(),
      inHand: { pullRequest: pr, ...(inHand?.reviews ? { reviews: inHand.reviews } : {}) },
    });
    this.options.logger?.info(
      {
        repository,
        pullRequest: number,
        changes: changes.map((c) => `${c.subject}: ${c.code}`),
        conclusion: outcome.result.conclusion,
      },
      'pull request changes governance: sign-off evaluated',
    );
    return { kind: 'evaluated', changes, outcome };
  }

  /** Read every changed YAML file at base and head and say what changed; a file that cannot be read blocks. */
  private async classify(repository: RepoName, pr: PullRequest): Promise<Classified> {
    const key = `${repository.toLowerCase()}#${pr.number}@${pr.head.sha}..${pr.base.sha}`;
    const held = this.read.get(key);
    if (held) return held;
    const { forge } = this.options;
    const files: PullRequestFile[] = await forge.listPullRequestFiles(repository, pr.number);
    const paths = files.flatMap((f) => (f.previousPath ? [f.path, f.previousPath] : [f.path]));
    const atBase = files.flatMap((f) =>
      f.status === 'added' ? [] : [f.previousPath ?? f.path].filter(isManifestPath),
    );
    const atHead = files.flatMap((f) => (f.status === 'removed' ? [] : [f.path].filter(isManifestPath)));
    const blockers: Blocker[] = [];
    if (files.length >= PULL_REQUEST_FILES_CAP) {
      blockers.push({
        code: 'policy-unavailable',
        message: `GitHub lists at most ${PULL_REQUEST_FILES_CAP} files of a pull request and this one has ${files.length} listed, so a change to governance past them cannot be ruled out; split it into smaller pull requests.`,
      });
    }
    const readOne = async (path: string, sha: string): Promise<GovernanceFile> => {
      try {
        return { path, content: (await forge.readFile(repository, path, sha))?.content };
      } catch (error) {
        // An outage is retried by the caller; anything else (not a file, say) is a fact that blocks.
        if (error instanceof ForgeUnavailableError) throw error;
        blockers.push({
          code: 'policy-unavailable',
          message: `${path} could not be read at ${sha.slice(0, 7)} (${(error as Error).message}), so what it changes in governance cannot be told.`,
        });
        return { path, content: undefined };
      }
    };
    // A few reads at a time: a pull request may change hundreds of files, and the rate limit is shared.
    const reads = [
      ...atBase.map((path) => ({ path, sha: pr.base.sha, side: 'base' as const })),
      ...atHead.map((path) => ({ path, sha: pr.head.sha, side: 'head' as const })),
    ];
    const baseFiles: GovernanceFile[] = [];
    const headFiles: GovernanceFile[] = [];
    for (let i = 0; i < reads.length; i += READS_AT_ONCE) {
      const batch = reads.slice(i, i + READS_AT_ONCE);
      const done = await Promise.all(batch.map((r) => readOne(r.path, r.sha)));
      batch.forEach((r, j) => {
        (r.side === 'base' ? baseFiles : headFiles).push(done[j]!);
      });
    }
    const base = readGovernanceDocs(baseFiles);
    const head = readGovernanceDocs(headFiles);
    const classified: Classified = { paths, base, head, changes: governanceChanges(base, head), blockers };
    remember(this.read, key, classified, 200);
    return classified;
  }
}

interface Classified {
  paths: string[];
  base: GovernanceDocs;
  head: GovernanceDocs;
  changes: GovernanceChange[];
  blockers: Blocker[];
}

function asEntry(combined: CombinedPolicy): PolicyEntry {
  return {
    useCase: 'deployment files',
    riskClass: combined.riskClass ?? 'medical-device',
    policy: combined.name,
    spec: combined.spec,
    ...(combined.revision ? { revision: combined.revision } : {}),
  };
}

function parsedUseCase(spec: unknown): UseCaseSpec | undefined {
  const parsed = useCaseSpec.safeParse(spec);
  return parsed.success ? parsed.data : undefined;
}

function fresh() {
  return {
    ownerTeams: new Set<string>(),
    consumers: new Map<string, Set<string>>(),
    riskClasses: new Set<string>(),
    touched: false,
  };
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}
