// What a pull request on the governance repository changes in what governs: SignoffPolicies created, removed or
// changed (and how: a role dropped, a rule relaxed, break-glass widened), and UseCases whose risk class,
// policies, owner team or governed files change. Each such change needs the sign-off of the policy in force
// before it. Pure: the caller reads the changed files at the base and head commits.
import { parseDuration } from '../../../specs/common.js';
import { dataContractSpec } from '../../../specs/datacontract.js';
import { type SignoffPolicySpec, signoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { type UseCaseSpec, useCaseSpec } from '../../../specs/usecase.js';
import { breakingChanges, isMajorBump } from '../kinds/datacontract/breaking-changes.js';
import { loadYamlSource } from '../yaml/index.js';
import { riskRank } from './governed.js';

/** One changed file's text at a commit; `content` undefined when the file does not exist there. */
export interface GovernanceFile {
  path: string;
  content: string | undefined;
}

export type GovernedKind = 'SignoffPolicy' | 'UseCase' | DependentKind;

/**
 * Kinds a use case depends on for what reaches patients and staff: its surveillance thresholds and tiers, the
 * data contracts it consumes, the release train that moves it. A change to one is a change to every use case
 * that names it, and is signed off as such.
 */
export type DependentKind = 'SurveillancePolicy' | 'DataContract' | 'ReleaseTrain';
export const DEPENDENT_KINDS: readonly DependentKind[] = [
  'SurveillancePolicy',
  'DataContract',
  'ReleaseTrain',
];

/** A SignoffPolicy or UseCase found in a file, with its spec as written. */
export interface GovernanceDoc {
  kind: GovernedKind;
  namespace: string;
  name: string;
  path: string;
  /** The spec as written (not validated). */
  spec: unknown;
}

export interface GovernanceDocs {
  /** By `namespace/name`. */
  policies: Map<string, GovernanceDoc>;
  useCases: Map<string, GovernanceDoc>;
  /** SurveillancePolicies, DataContracts and ReleaseTrains, by `Kind namespace/name`. */
  dependents: Map<string, GovernanceDoc>;
  /** Files that do not read as YAML, or that define an object twice: what they hold is unknown. */
  unreadable: { path: string; message: string }[];
}

/** The SignoffPolicies and UseCases in `files`: any `vigil.dev/*` apiVersion, multi-document files too. */
export function readGovernanceDocs(files: readonly GovernanceFile[]): GovernanceDocs {
  const docs: GovernanceDocs = {
    policies: new Map(),
    useCases: new Map(),
    dependents: new Map(),
    unreadable: [],
  };
  for (const file of files) {
    if (file.content === undefined) continue;
    const loaded = loadYamlSource(file.content, file.path);
    const error = loaded.diagnostics.find((d) => d.severity === 'error');
    if (error) {
      docs.unreadable.push({ path: file.path, message: `line ${error.line}: ${error.message}` });
      continue;
    }
    for (const d of loaded.documents) {
      const obj = d.value as { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: unknown };
      if (typeof obj !== 'object' || obj === null) continue;
      if (typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('vigil.dev/')) continue;
      const kind = obj.kind as GovernedKind;
      const dependent = DEPENDENT_KINDS.includes(kind as DependentKind);
      if (kind !== 'SignoffPolicy' && kind !== 'UseCase' && !dependent) continue;
      const meta = (obj.metadata ?? {}) as { name?: unknown; namespace?: unknown };
      const name = typeof meta.name === 'string' ? meta.name : '';
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
      const into = dependent ? docs.dependents : kind === 'SignoffPolicy' ? docs.policies : docs.useCases;
      const key = dependent ? `${kind} ${namespace}/${name}` : `${namespace}/${name}`;
      const earlier = into.get(key);
      if (earlier) {
        docs.unreadable.push({
          path: file.path,
          message: `${obj.kind} ${key} is defined twice (also in ${earlier.path}): which one applies is unknown`,
        });
        continue;
      }
      into.set(key, { kind, namespace, name, path: file.path, spec: obj.spec });
    }
  }
  return docs;
}

export type GovernanceChangeCode =
  | 'created'
  | 'removed'
  | 'changed'
  | 'unreadable'
  // DataContract: a change that breaks its consumers, who sign it off
  | 'contract-breaking'
  // SignoffPolicy
  | 'role-undefined'
  | 'role-defined'
  | 'team-changed'
  | 'requirement-removed'
  | 'requirement-added'
  | 'role-removed'
  | 'role-added'
  | 'rule-relaxed'
  | 'rule-tightened'
  | 'expiry-lengthened'
  | 'expiry-removed'
  | 'expiry-shortened'
  | 'verified-commits-off'
  | 'verified-commits-on'
  | 'objection-dismissers-widened'
  | 'break-glass-widened'
  | 'break-glass-narrowed'
  | 'governance-changed'
  | 'enforcement-changed'
  // UseCase
  | 'risk-class-lowered'
  | 'risk-class-raised'
  | 'signoff-policy-changed'
  | 'surveillance-policy-changed'
  | 'targets-changed'
  | 'owner-team-changed';

export interface GovernanceChange {
  /** What changed: a policy, a use case, or a file whose content is unknown. */
  kind: GovernedKind | 'File';
  /** `namespace/name`; the file's path for a File. */
  subject: string;
  namespace?: string;
  name?: string;
  /** Where it is written (at head; at base when removed). */
  path: string;
  code: GovernanceChangeCode;
  /** Whether it lowers the bar a change must clear (every change is gated all the same). */
  weakens: boolean;
  /** In plain words, for the check. */
  message: string;
  /** For contract-breaking: the version stays in the same major version, so the change must not merge. */
  unversioned?: { from: string; to: string };
}

/** Every governed change from `base` to `head`, policies first, then use cases, then unreadable files. */
export function governanceChanges(base: GovernanceDocs, head: GovernanceDocs): GovernanceChange[] {
  const changes: GovernanceChange[] = [];
  for (const key of unionKeys(base.policies, head.policies)) {
    changes.push(...policyChanges(base.policies.get(key), head.policies.get(key)));
  }
  for (const key of unionKeys(base.useCases, head.useCases)) {
    changes.push(...useCaseChanges(base.useCases.get(key), head.useCases.get(key)));
  }
  for (const key of unionKeys(base.dependents, head.dependents)) {
    changes.push(...dependentChanges(base.dependents.get(key), head.dependents.get(key)));
  }
  for (const u of head.unreadable) {
    changes.push({
      kind: 'File',
      subject: u.path,
      path: u.path,
      code: 'unreadable',
      weakens: true,
      message: `${u.path} does not read (${u.message}), so what it changes cannot be told: it is gated as a change to governance.`,
    });
  }
  return changes;
}

function unionKeys<V>(a: Map<string, V>, b: Map<string, V>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort();
}

function subjectOf(doc: GovernanceDoc) {
  return {
    kind: doc.kind,
    subject: `${doc.namespace}/${doc.name}`,
    namespace: doc.namespace,
    name: doc.name,
    path: doc.path,
  };
}

function policyChanges(base: GovernanceDoc | undefined, head: GovernanceDoc | undefined): GovernanceChange[] {
  const doc = (head ?? base)!;
  const at = subjectOf(doc);
  const label = `SignoffPolicy ${at.subject}`;
  const change = (code: GovernanceChangeCode, weakens: boolean, message: string): GovernanceChange => ({
    ...at,
    code,
    weakens,
    message: `${label}: ${message}`,
  });
  if (!base) return [change('created', false, `created in ${doc.path}.`)];
  if (!head) return [{ ...change('removed', true, `removed from ${base.path}.`), path: base.path }];
  if (same(base.spec, head.spec)) return [];

  const a = signoffPolicySpec.safeParse(base.spec);
  const b = signoffPolicySpec.safeParse(head.spec);
  if (!a.success || !b.success) {
    const which = !b.success ? 'the new version' : 'the version in force';
    return [change('changed', true, `changed, and ${which} does not validate, so how cannot be told.`)];
  }
  const found = comparePolicies(a.data, b.data).map((c) => change(c.code, c.weakens, c.message));
  // Any other edit (a description, a role's wording) is still a change to what governs, though it lowers no bar.
  return found.length > 0 ? found : [change('changed', false, 'changed (no rule, role or team).')];
}

/**
 * A SurveillancePolicy, DataContract or ReleaseTrain created, removed or changed in any way. Which edits lower
 * the bar (a threshold loosened, a tier dropped, a quality rule relaxed, a wave widened) is not told apart here:
 * every edit needs the same sign-off, so weakening in two small steps is as visible as in one.
 */
function dependentChanges(
  base: GovernanceDoc | undefined,
  head: GovernanceDoc | undefined,
): GovernanceChange[] {
  const doc = (head ?? base)!;
  const at = subjectOf(doc);
  const label = `${doc.kind} ${at.subject}`;
  if (!base)
    return [{ ...at, code: 'created', weakens: false, message: `${label}: created in ${doc.path}.` }];
  if (!head) {
    return [
      {
        ...at,
        path: base.path,
        code: 'removed',
        weakens: true,
        message: `${label}: removed from ${base.path}.`,
      },
      ...(doc.kind === 'DataContract'
        ? [
            {
              ...at,
              path: base.path,
              code: 'contract-breaking' as const,
              weakens: false,
              message: `${label}: removed, so every consumer loses the data it reads; each consumer signs it off.`,
            },
          ]
        : []),
    ];
  }
  if (same(base.spec, head.spec)) return [];
  const fields = changedFields(base.spec, head.spec);
  return [
    {
      ...at,
      code: 'changed',
      weakens: false,
      message: `${label}: changed (${fields.join(', ')}); every use case that names it is affected.`,
    },
    ...(doc.kind === 'DataContract' ? contractBreaks(base, head, at, label) : []),
  ];
}

/**
 * The breaking changes from the contract in force to the proposed one, as one change its consumers sign off. A
 * version that does not validate on either side cannot be compared, so it counts as breaking.
 */
function contractBreaks(
  base: GovernanceDoc,
  head: GovernanceDoc,
  at: ReturnType<typeof subjectOf>,
  label: string,
): GovernanceChange[] {
  const a = dataContractSpec.safeParse(base.spec);
  const b = dataContractSpec.safeParse(head.spec);
  const change = { ...at, code: 'contract-breaking' as const, weakens: false };
  if (!a.success || !b.success) {
    const which = !b.success ? 'the new version' : 'the version in force';
    return [
      {
        ...change,
        message: `${label}: ${which} does not validate, so whether it breaks its consumers cannot be told; each consumer signs it off.`,
      },
    ];
  }
  const breaks = breakingChanges(a.data, b.data);
  if (breaks.length === 0) return [];
  const bumped = isMajorBump(a.data.version, b.data.version);
  const shown = breaks.slice(0, 10).map((c) => c.message);
  const more = breaks.length > shown.length ? `; and ${breaks.length - shown.length} more` : '';
  return [
    {
      ...change,
      message: `${label}: breaking change for its consumers (${shown.join('; ')}${more}); each consumer signs it off.`,
      ...(bumped ? {} : { unversioned: { from: a.data.version, to: b.data.version } }),
    },
  ];
}

/** The top-level spec fields that differ, e.g. `spec.tiers`. */
function changedFields(a: unknown, b: unknown): string[] {
  const x = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
  const y = (b && typeof b === 'object' ? b : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const differ = keys.filter((k) => !same(x[k], y[k])).map((k) => `spec.${k}`);
  return differ.length > 0 ? differ : ['spec'];
}

interface Found {
  code: GovernanceChangeCode;
  weakens: boolean;
  message: string;
}

const RULES = [
  ['dismissOnPush', 'a push no longer invalidates earlier approvals'],
  ['authorCannotApprove', 'the author may now sign off their own change'],
  ['committersCannotApprove', 'committers may now sign off the change they wrote'],
  ['separationOfDuties', 'one person may now fill several roles'],
] as const;

function comparePolicies(a: SignoffPolicySpec, b: SignoffPolicySpec): Found[] {
  const out: Found[] = [];
  const teamsA = new Map(a.roles.map((r) => [r.name, r.team]));
  const teamsB = new Map(b.roles.map((r) => [r.name, r.team]));
  for (const [role, team] of teamsA) {
    const now = teamsB.get(role);
    if (now === undefined)
      out.push({ code: 'role-undefined', weakens: true, message: `role ${role} (${team}) removed.` });
    else if (now.toLowerCase() !== team.toLowerCase())
      out.push({
        code: 'team-changed',
        weakens: true,
        message: `role ${role} now filled by ${now} instead of ${team}.`,
      });
  }
  for (const [role, team] of teamsB) {
    if (!teamsA.has(role))
      out.push({ code: 'role-defined', weakens: false, message: `role ${role} (${team}) added.` });
  }

  const reqA = new Map(a.requirements.map((r) => [r.riskClass, new Set(r.roles)]));
  const reqB = new Map(b.requirements.map((r) => [r.riskClass, new Set(r.roles)]));
  for (const [cls, roles] of reqA) {
    const now = reqB.get(cls);
    if (!now) {
      out.push({
        code: 'requirement-removed',
        weakens: true,
        message: `risk class ${cls} no longer names the roles it needs (was ${[...roles].join(', ')}).`,
      });
      continue;
    }
    const removed = [...roles].filter((r) => !now.has(r));
    const added = [...now].filter((r) => !roles.has(r));
    if (removed.length > 0)
      out.push({
        code: 'role-removed',
        weakens: true,
        message: `risk class ${cls} no longer needs ${removed.join(', ')}.`,
      });
    if (added.length > 0)
      out.push({
        code: 'role-added',
        weakens: false,
        message: `risk class ${cls} now also needs ${added.join(', ')}.`,
      });
  }
  for (const [cls, roles] of reqB) {
    if (!reqA.has(cls))
      out.push({
        code: 'requirement-added',
        weakens: false,
        message: `risk class ${cls} now needs ${[...roles].join(', ')}.`,
      });
  }

  for (const [rule, meaning] of RULES) {
    if (a.rules[rule] && !b.rules[rule])
      out.push({ code: 'rule-relaxed', weakens: true, message: `rules.${rule} turned off: ${meaning}.` });
    else if (!a.rules[rule] && b.rules[rule])
      out.push({ code: 'rule-tightened', weakens: false, message: `rules.${rule} turned on.` });
  }
  const expA = a.rules.approvalExpiry;
  const expB = b.rules.approvalExpiry;
  if (expA !== undefined && expB === undefined)
    out.push({
      code: 'expiry-removed',
      weakens: true,
      message: `rules.approvalExpiry (${expA}) removed: approvals no longer expire.`,
    });
  else if (expA === undefined && expB !== undefined)
    out.push({ code: 'expiry-shortened', weakens: false, message: `rules.approvalExpiry set to ${expB}.` });
  else if (expA !== undefined && expB !== undefined && expA !== expB) {
    const longer = (parseDuration(expB) ?? Number.POSITIVE_INFINITY) > (parseDuration(expA) ?? 0);
    out.push(
      longer
        ? {
            code: 'expiry-lengthened',
            weakens: true,
            message: `rules.approvalExpiry lengthened from ${expA} to ${expB}.`,
          }
        : {
            code: 'expiry-shortened',
            weakens: false,
            message: `rules.approvalExpiry shortened from ${expA} to ${expB}.`,
          },
    );
  }
  const verA = a.rules.requireVerifiedCommits;
  const verB = b.rules.requireVerifiedCommits;
  if (verA !== verB) {
    // Unset means the risk class decides (on for clinical-decision-support and medical-device): from on, or to
    // off, some class may now merge unverified commits.
    if (verB === false || (verA === true && verB === undefined))
      out.push({
        code: 'verified-commits-off',
        weakens: true,
        message: `rules.requireVerifiedCommits ${verB === false ? 'turned off' : 'left to the risk class (off for administrative and operational)'}: unverified commits may be signed off.`,
      });
    else
      out.push({
        code: 'verified-commits-on',
        weakens: false,
        message: `rules.requireVerifiedCommits ${verB === true ? 'turned on' : 'left to the risk class'}.`,
      });
  }
  const dismissA = new Set(a.rules.objectionsDismissibleBy);
  const newDismissers = b.rules.objectionsDismissibleBy.filter((r) => !dismissA.has(r));
  if (newDismissers.length > 0)
    out.push({
      code: 'objection-dismissers-widened',
      weakens: true,
      message: `rules.objectionsDismissibleBy now also lets ${newDismissers.join(', ')} lift another reviewer's objection.`,
    });

  out.push(...compareBreakGlass(a.breakGlass, b.breakGlass));

  const govA = a.governance;
  const govB = b.governance;
  if (!same(govA, govB)) {
    const rolesA = govA?.roles ?? [];
    const dropped = rolesA.filter((r) => !(govB?.roles ?? []).includes(r));
    const where = (g: SignoffPolicySpec['governance']) =>
      g ? `${g.repository}@${g.branch}${g.paths ? ` (${g.paths.join(', ')})` : ''}` : 'nowhere';
    const parts: string[] = [];
    if (where(govA) !== where(govB)) parts.push(`governance moved from ${where(govA)} to ${where(govB)}`);
    if (!same(govA?.roles, govB?.roles))
      parts.push(
        `governance roles now ${govB?.roles ? govB.roles.join(', ') : 'the default (compliance and the owner team)'}${govA?.roles ? ` instead of ${govA.roles.join(', ')}` : ''}`,
      );
    out.push({
      code: 'governance-changed',
      // Only naming more roles where there were named roles already asks for more; anything else may ask less.
      weakens: !(govA?.roles !== undefined && dropped.length === 0 && where(govA) === where(govB)),
      message: `${parts.join('; ')}.`,
    });
  }
  if (!same(a.enforcement, b.enforcement))
    out.push({
      code: 'enforcement-changed',
      weakens: true,
      message: `enforcement now ${b.enforcement.repository}@${b.enforcement.branch}, check ${b.enforcement.checkName} (was ${a.enforcement.repository}@${a.enforcement.branch}, check ${a.enforcement.checkName}).`,
    });
  return out;
}

function compareBreakGlass(a: SignoffPolicySpec['breakGlass'], b: SignoffPolicySpec['breakGlass']): Found[] {
  if (same(a, b)) return [];
  if (!b) return [{ code: 'break-glass-narrowed', weakens: false, message: 'break-glass removed.' }];
  if (!a)
    return [
      {
        code: 'break-glass-widened',
        weakens: true,
        message: `break-glass added: ${b.roles.join(', ')} may merge a rollback alone.`,
      },
    ];
  const added = b.roles.filter((r) => !a.roles.includes(r));
  const longer = (parseDuration(b.retrospectiveWithin) ?? 0) > (parseDuration(a.retrospectiveWithin) ?? 0);
  const out: Found[] = [];
  if (added.length > 0)
    out.push({
      code: 'break-glass-widened',
      weakens: true,
      message: `break-glass now also lets ${added.join(', ')} merge a rollback alone.`,
    });
  if (longer)
    out.push({
      code: 'break-glass-widened',
      weakens: true,
      message: `break-glass retrospective sign-off now due within ${b.retrospectiveWithin} (was ${a.retrospectiveWithin}).`,
    });
  if (out.length === 0)
    out.push({ code: 'break-glass-narrowed', weakens: false, message: 'break-glass narrowed.' });
  return out;
}

function useCaseChanges(
  base: GovernanceDoc | undefined,
  head: GovernanceDoc | undefined,
): GovernanceChange[] {
  const doc = (head ?? base)!;
  const at = subjectOf(doc);
  const label = `UseCase ${at.subject}`;
  const change = (code: GovernanceChangeCode, weakens: boolean, message: string): GovernanceChange => ({
    ...at,
    code,
    weakens,
    message: `${label}: ${message}`,
  });
  if (!base)
    return [change('created', false, `created in ${doc.path}, governing ${describeTargets(head!.spec)}.`)];
  if (!head) return [{ ...change('removed', true, `removed from ${base.path}.`), path: base.path }];

  const a = useCaseSpec.safeParse(base.spec);
  const b = useCaseSpec.safeParse(head.spec);
  if (!a.success || !b.success) {
    // What governs cannot be compared on a spec that does not read; only the fields that govern matter.
    const governing = (s: unknown) => {
      const x = (s ?? {}) as Record<string, unknown>;
      return [x.riskClass, x.signoffPolicy, x.surveillancePolicy, x.ownerTeam, x.deployment];
    };
    if (same(governing(base.spec), governing(head.spec))) return [];
    const which = !b.success ? 'the new version' : 'the version in force';
    return [change('changed', true, `changed, and ${which} does not validate, so how cannot be told.`)];
  }
  return compareUseCases(a.data, b.data).map((c) => change(c.code, c.weakens, c.message));
}

function compareUseCases(a: UseCaseSpec, b: UseCaseSpec): Found[] {
  const out: Found[] = [];
  if (a.riskClass !== b.riskClass) {
    const lowered = riskRank(b.riskClass) < riskRank(a.riskClass);
    out.push({
      code: lowered ? 'risk-class-lowered' : 'risk-class-raised',
      weakens: lowered,
      message: `risk class ${lowered ? 'lowered' : 'raised'} from ${a.riskClass} to ${b.riskClass}.`,
    });
  }
  if (a.signoffPolicy !== b.signoffPolicy)
    out.push({
      code: 'signoff-policy-changed',
      weakens: true,
      message: `sign-off policy now ${b.signoffPolicy} instead of ${a.signoffPolicy}.`,
    });
  if (a.surveillancePolicy !== b.surveillancePolicy)
    out.push({
      code: 'surveillance-policy-changed',
      weakens: true,
      message: `surveillance policy now ${b.surveillancePolicy ?? 'none'} instead of ${a.surveillancePolicy ?? 'none'}.`,
    });
  if (a.ownerTeam.toLowerCase() !== b.ownerTeam.toLowerCase())
    out.push({
      code: 'owner-team-changed',
      weakens: true,
      message: `owner team now ${b.ownerTeam} instead of ${a.ownerTeam}.`,
    });
  if (targetsKey(a) !== targetsKey(b))
    out.push({
      code: 'targets-changed',
      weakens: true,
      message: `governed files now ${describeTargets(b)} (were ${describeTargets(a)}).`,
    });
  return out;
}

function targetsKey(spec: UseCaseSpec): string {
  const d = spec.deployment;
  const targets = d.targets.map((t) => `${t.stage}=${t.file}#${t.field}`).sort();
  return `${d.repository.toLowerCase()}@${d.branch}:${targets.join(',')}`;
}

function describeTargets(spec: unknown): string {
  const d = (spec as { deployment?: { repository?: unknown; targets?: unknown } } | undefined)?.deployment;
  const targets = Array.isArray(d?.targets) ? (d.targets as { file?: unknown; field?: unknown }[]) : [];
  const files = targets.map((t) => `${String(t.file)}#${String(t.field)}`);
  return `${String(d?.repository ?? 'no repository')}: ${files.length > 0 ? files.join(', ') : 'no files'}`;
}

/** Deep equality of plain YAML values, key order aside. */
function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
