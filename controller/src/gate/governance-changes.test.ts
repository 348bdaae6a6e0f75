import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type GovernanceFile, governanceChanges, readGovernanceDocs } from './governance-changes.js';

const EXAMPLES = resolve(fileURLToPath(import.meta.url), '../../../../examples');
const POLICY = 'care-management/clinical-signoff.yaml';
const USE_CASE = 'care-management/readmission-risk.yaml';
const text = (path: string) => readFileSync(resolve(EXAMPLES, path), 'utf8');

/** The changes between the examples as they are and with `edit` applied to `path`. */
function changesOf(path: string, edit: (old: string) => string | undefined) {
  const base: GovernanceFile[] = [{ path, content: text(path) }];
  const head: GovernanceFile[] = [{ path, content: edit(text(path)) }];
  return governanceChanges(readGovernanceDocs(base), readGovernanceDocs(head));
}

function replaced(from: string | RegExp, to: string) {
  return (old: string) => {
    const next = old.replace(from, to);
    if (next === old) throw new Error(`${String(from)} not found`);
    return next;
  };
}

describe('governanceChanges: SignoffPolicy', () => {
  it.each([
    [
      'a role removed from a risk class',
      replaced(
        'roles: [data-science, clinical-safety, compliance]\n',
        'roles: [data-science, clinical-safety]\n',
      ),
      [['role-removed', true, 'risk class clinical-decision-support no longer needs compliance']],
    ],
    [
      'a role added to a risk class',
      replaced('roles: [data-science, compliance]', 'roles: [data-science, compliance, clinical-safety]'),
      [['role-added', false, 'risk class operational now also needs clinical-safety']],
    ],
    [
      'a risk class dropped',
      replaced(/ {4}- riskClass: operational\n {6}roles: \[data-science, compliance\]\n/, ''),
      [['requirement-removed', true, 'risk class operational no longer names']],
    ],
    [
      'a team changed',
      replaced('team: northwind-health/compliance', 'team: northwind-health/data-science'),
      [['team-changed', true, 'role compliance now filled by northwind-health/data-science']],
    ],
    [
      'dismissOnPush turned off',
      replaced('dismissOnPush: true', 'dismissOnPush: false'),
      [['rule-relaxed', true, 'rules.dismissOnPush turned off']],
    ],
    [
      'authorCannotApprove turned off',
      replaced('authorCannotApprove: true', 'authorCannotApprove: false'),
      [['rule-relaxed', true, 'the author may now sign off']],
    ],
    [
      'committersCannotApprove turned off',
      replaced('committersCannotApprove: true', 'committersCannotApprove: false'),
      [['rule-relaxed', true, 'rules.committersCannotApprove']],
    ],
    [
      'separationOfDuties turned off',
      replaced('separationOfDuties: true', 'separationOfDuties: false'),
      [['rule-relaxed', true, 'one person may now fill several roles']],
    ],
    [
      'approvalExpiry lengthened',
      replaced('approvalExpiry: 7d', 'approvalExpiry: 90d'),
      [['expiry-lengthened', true, 'from 7d to 90d']],
    ],
    [
      'approvalExpiry shortened',
      replaced('approvalExpiry: 7d', 'approvalExpiry: 3d'),
      [['expiry-shortened', false, 'from 7d to 3d']],
    ],
    [
      'approvalExpiry removed',
      replaced('    approvalExpiry: 7d\n', ''),
      [['expiry-removed', true, 'approvals no longer expire']],
    ],
    [
      'requireVerifiedCommits turned off',
      replaced('approvalExpiry: 7d', 'approvalExpiry: 7d\n    requireVerifiedCommits: false'),
      [['verified-commits-off', true, 'turned off']],
    ],
    [
      'break-glass roles widened',
      replaced(
        'roles: [clinical-safety]\n    retrospectiveWithin',
        'roles: [clinical-safety, data-science]\n    retrospectiveWithin',
      ),
      [['break-glass-widened', true, 'now also lets data-science merge a rollback alone']],
    ],
    [
      'break-glass retrospective deadline lengthened',
      replaced('retrospectiveWithin: 72h', 'retrospectiveWithin: 720h'),
      [['break-glass-widened', true, 'due within 720h (was 72h)']],
    ],
    [
      'compliance dropped from the governance roles',
      replaced('roles: [compliance, clinical-safety]\n', 'roles: [clinical-safety]\n'),
      [
        [
          'governance-changed',
          true,
          'governance roles now clinical-safety instead of compliance, clinical-safety',
        ],
      ],
    ],
    [
      'governance moved to another repository',
      replaced('repository: northwind-health/ai-governance', 'repository: northwind-health/scratch'),
      [
        [
          'governance-changed',
          true,
          'governance moved from northwind-health/ai-governance@main (care-management/)',
        ],
      ],
    ],
    [
      'the enforced check renamed',
      replaced(
        '    branch: main\n  governance',
        '    branch: main\n    checkName: ci/anything\n  governance',
      ),
      [
        [
          'enforcement-changed',
          true,
          'check ci/anything (was northwind-health/ai-deployments@main, check vigil/sign-off)',
        ],
      ],
    ],
    [
      'a description reworded',
      replaced('Use stays within the intended use', 'Use stays inside the intended use'),
      [['changed', false, 'changed (no rule, role or team)']],
    ],
    [
      'an edit that does not validate',
      replaced('approvalExpiry: 7d', 'approvalExpiry: soon'),
      [['changed', true, 'the new version does not validate']],
    ],
    [
      'the policy removed',
      () => undefined,
      [['removed', true, 'removed from care-management/clinical-signoff.yaml']],
    ],
    ['a comment edited', replaced('# Sign-off for care-management', '# Sign-off for care management'), []],
  ] as const)('%s', (_name, edit, expected) => {
    const changes = changesOf(POLICY, edit);
    expect(changes.map((c) => [c.code, c.weakens])).toEqual(
      expected.map(([code, weakens]) => [code, weakens]),
    );
    changes.forEach((c, i) => {
      expect(c.subject).toBe('care-management/clinical-signoff');
      expect(c.message).toContain(expected[i]![2]);
    });
  });

  it('names every change an edit makes at once', () => {
    const changes = changesOf(POLICY, (old) =>
      replaced(
        'dismissOnPush: true',
        'dismissOnPush: false',
      )(replaced('roles: [data-science, clinical-safety, compliance]\n', 'roles: [data-science]\n')(old)),
    );
    expect(changes.map((c) => c.code)).toEqual(['role-removed', 'rule-relaxed']);
    expect(changes[0]?.message).toBe(
      'SignoffPolicy care-management/clinical-signoff: risk class clinical-decision-support no longer needs clinical-safety, compliance.',
    );
  });

  it('a policy moved to another file is not a change; one added is', () => {
    const moved = governanceChanges(
      readGovernanceDocs([
        { path: POLICY, content: text(POLICY) },
        { path: 'care-management/moved.yaml', content: undefined },
      ]),
      readGovernanceDocs([
        { path: POLICY, content: undefined },
        { path: 'care-management/moved.yaml', content: text(POLICY) },
      ]),
    );
    expect(moved).toEqual([]);
    const created = governanceChanges(
      readGovernanceDocs([{ path: 'sandbox/p.yaml', content: undefined }]),
      readGovernanceDocs([
        {
          path: 'sandbox/p.yaml',
          content: text(POLICY).replace('namespace: care-management', 'namespace: sandbox'),
        },
      ]),
    );
    expect(created.map((c) => [c.code, c.subject, c.path])).toEqual([
      ['created', 'sandbox/clinical-signoff', 'sandbox/p.yaml'],
    ]);
  });
});

describe('governanceChanges: UseCase', () => {
  it.each([
    [
      'risk class lowered',
      replaced('riskClass: clinical-decision-support', 'riskClass: administrative'),
      [['risk-class-lowered', true, 'risk class lowered from clinical-decision-support to administrative']],
    ],
    [
      'risk class raised',
      replaced('riskClass: clinical-decision-support', 'riskClass: medical-device'),
      [['risk-class-raised', false, 'raised from clinical-decision-support to medical-device']],
    ],
    [
      'sign-off policy swapped',
      replaced('signoffPolicy: clinical-signoff', 'signoffPolicy: lenient'),
      [['signoff-policy-changed', true, 'sign-off policy now lenient instead of clinical-signoff']],
    ],
    [
      'surveillance policy dropped',
      replaced('  surveillancePolicy: readmission-surveillance\n', ''),
      [
        [
          'surveillance-policy-changed',
          true,
          'surveillance policy now none instead of readmission-surveillance',
        ],
      ],
    ],
    [
      'a governed file moved',
      replaced(
        'file: care-management/readmission-risk/production.yaml',
        'file: care-management/elsewhere.yaml',
      ),
      [['targets-changed', true, 'care-management/elsewhere.yaml#model.version']],
    ],
    [
      'the owner team changed',
      replaced(
        'ownerTeam: northwind-health/care-management-analytics',
        'ownerTeam: northwind-health/um-analytics',
      ),
      [['owner-team-changed', true, 'owner team now northwind-health/um-analytics']],
    ],
    [
      'the use case removed',
      () => undefined,
      [['removed', true, 'removed from care-management/readmission-risk.yaml']],
    ],
    ['its declared versions changed', replaced('version: "2.3.1"', 'version: "2.4.0"'), []],
    ['its description changed', replaced('A gradient-boosted model', 'A boosted model'), []],
  ] as const)('%s', (_name, edit, expected) => {
    const changes = changesOf(USE_CASE, edit);
    expect(changes.map((c) => [c.code, c.weakens])).toEqual(
      expected.map(([code, weakens]) => [code, weakens]),
    );
    changes.forEach((c, i) => {
      expect(c.subject).toBe('care-management/readmission-risk');
      expect(c.message).toContain(expected[i]![2]);
    });
  });
});

describe('readGovernanceDocs', () => {
  it('reads every Vigil object of a multi-document file and skips other kinds', () => {
    const docs = readGovernanceDocs([
      {
        path: 'all.yaml',
        content: `${text(POLICY)}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n${text(USE_CASE)}`,
      },
    ]);
    expect([...docs.policies.keys()]).toEqual(['care-management/clinical-signoff']);
    expect([...docs.useCases.keys()]).toEqual(['care-management/readmission-risk']);
    expect(docs.unreadable).toEqual([]);
  });

  it('reads surveillance policies, data contracts and release trains, and names what changed in each', () => {
    const train = (cron: string) =>
      `apiVersion: vigil.dev/v1alpha1\nkind: ReleaseTrain\nmetadata: {name: quarterly, namespace: cm}\nspec: {schedule: {cron: "${cron}"}, stages: [{name: production}]}\n`;
    const base = readGovernanceDocs([{ path: 'cm/train.yaml', content: train('0 6 1 */3 *') }]);
    const head = readGovernanceDocs([{ path: 'cm/train.yaml', content: train('0 6 * * *') }]);
    expect([...head.dependents.keys()]).toEqual(['ReleaseTrain cm/quarterly']);
    expect(governanceChanges(base, head).map((c) => [c.kind, c.subject, c.code, c.message])).toEqual([
      [
        'ReleaseTrain',
        'cm/quarterly',
        'changed',
        'ReleaseTrain cm/quarterly: changed (spec.schedule); every use case that names it is affected.',
      ],
    ]);
    const gone = readGovernanceDocs([]);
    expect(governanceChanges(base, gone).map((c) => [c.code, c.weakens])).toEqual([['removed', true]]);
  });

  it('a file that does not read at head is a change of its own, gated', () => {
    const changes = governanceChanges(
      readGovernanceDocs([{ path: POLICY, content: text(POLICY) }]),
      readGovernanceDocs([{ path: POLICY, content: 'spec:\n\troles: []\n' }]),
    );
    expect(changes.map((c) => [c.kind, c.code])).toEqual([
      ['SignoffPolicy', 'removed'],
      ['File', 'unreadable'],
    ]);
    expect(changes[1]?.message).toContain('tabs are not allowed');
  });

  it('reads a policy written as JSON, as kubectl would apply it', () => {
    const policy = parseAllDocuments(text(POLICY))[0]!.toJS();
    const docs = readGovernanceDocs([
      { path: 'care-management/policy.json', content: JSON.stringify(policy) },
    ]);
    expect([...docs.policies.keys()]).toEqual(['care-management/clinical-signoff']);
  });

  it('an object defined twice is unreadable', () => {
    const docs = readGovernanceDocs([
      { path: 'a.yaml', content: text(POLICY) },
      { path: 'b.yaml', content: text(POLICY) },
    ]);
    expect(docs.unreadable).toEqual([
      {
        path: 'b.yaml',
        message:
          'SignoffPolicy care-management/clinical-signoff is defined twice (also in a.yaml): which one applies is unknown',
      },
    ]);
  });
});

describe('governanceChanges: DataContract', () => {
  const CONTRACT = 'care-management/inpatient-encounters.yaml';
  const nextMajor = replaced(
    'version: "1.2.0"\n  previousVersion: "1.1.0"',
    'version: "2.0.0"\n  previousVersion: "1.2.0"',
  );
  const removeGender = replaced(/ {8}- name: gender\n(?: {10}.*\n)+/, '');

  it('a breaking change is one more change, for the consumers, naming what breaks', () => {
    const changes = changesOf(CONTRACT, (t) => nextMajor(removeGender(t)!));
    expect(changes.map((c) => [c.code, c.unversioned])).toEqual([
      ['changed', undefined],
      ['contract-breaking', undefined],
    ]);
    expect(changes[1]!.message).toBe(
      'DataContract care-management/inpatient-encounters: breaking change for its consumers (property "encounters.gender" was removed); each consumer signs it off.',
    );
  });

  it('a breaking change in the same major version says so', () => {
    const changes = changesOf(CONTRACT, removeGender);
    expect(changes.find((c) => c.code === 'contract-breaking')?.unversioned).toEqual({
      from: '1.2.0',
      to: '1.2.0',
    });
  });

  it('a change that breaks nothing is a change only', () => {
    const changes = changesOf(
      CONTRACT,
      replaced('Administrative sex.', 'Administrative sex, as registered.'),
    );
    expect(changes.map((c) => c.code)).toEqual(['changed']);
  });

  it('a contract that no longer validates counts as breaking', () => {
    const changes = changesOf(CONTRACT, replaced('logicalType: integer', 'logicalType: whole-number'));
    expect(changes.map((c) => c.code)).toEqual(['changed', 'contract-breaking']);
    expect(changes[1]!.message).toContain('the new version does not validate');
  });

  it('a contract removed breaks every consumer', () => {
    const changes = changesOf(CONTRACT, () => undefined);
    expect(changes.map((c) => c.code)).toEqual(['removed', 'contract-breaking']);
  });
});
