import { describe, expect, it } from 'vitest';
import { evaluateSignoff, type IgnoredReason, type SignoffInput } from './evaluate.js';
import { baseInput, HEAD, OLD, policy, review, teams } from './test-fixtures.js';

const CDS = ['data-science', 'clinical-safety', 'compliance'];

describe('evaluateSignoff: the happy path', () => {
  it('signs off when every required role has a valid approval on the head commit', () => {
    const r = evaluateSignoff(baseInput());
    expect(r.conclusion).toBe('success');
    expect(r.summary).toBe('3/3 roles signed off');
    expect(r.roles.map((x) => [x.role, x.filledBy?.login])).toEqual([
      ['data-science', 'ds-lead'],
      ['clinical-safety', 'cs-lead'],
      ['compliance', 'compliance-1'],
    ]);
    expect(r.roles[0]?.filledBy).toEqual({
      login: 'ds-lead',
      at: '2026-03-02T10:00:00Z',
      reviewId: 1,
      commit: HEAD,
    });
    expect(r.ignored).toEqual([]);
    expect(r.blockers).toEqual([]);
    expect(r.breakGlass).toBeUndefined();
    // The earliest counted approval (ds-lead, 03-02 10:00) expires 7 days later: evaluate again then.
    expect(r.reevaluateAt).toBe('2026-03-09T10:00:00.000Z');
  });

  it('needs only the roles of the use case risk class', () => {
    const r = evaluateSignoff(baseInput({ riskClass: 'operational' }));
    expect(r.conclusion).toBe('success');
    expect(r.roles.map((x) => x.role)).toEqual(['data-science', 'compliance']);
    // cs-lead's approval is from no team this class needs.
    expect(r.ignored.map((i) => [i.login, i.reason])).toEqual([['cs-lead', 'not-a-member']]);
  });

  it('compares logins without regard to case, as GitHub does', () => {
    const input = baseInput();
    input.reviews = input.reviews!.map((rv) => ({ ...rv, login: rv.login.toUpperCase() }));
    expect(evaluateSignoff(input).conclusion).toBe('success');
  });
});

// Every way an approval must not count, each on its own: the happy path with one fact changed.
interface NotCountingCase {
  name: string;
  input: SignoffInput;
  reason: IgnoredReason;
  login: string;
  role: string;
}

const withCompliance = (
  rv: ReturnType<typeof review>[],
  changes: Partial<SignoffInput> = {},
  pr: Partial<NonNullable<SignoffInput['pullRequest']>> = {},
): SignoffInput => {
  const base = baseInput(changes);
  return {
    ...base,
    pullRequest: { ...base.pullRequest!, ...pr },
    reviews: [...base.reviews!.filter((x) => x.login !== 'compliance-1'), ...rv],
  };
};

const notCounting: NotCountingCase[] = [
  {
    name: 'self-approval: the author approves their own change',
    input: withCompliance(
      [review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z')],
      {},
      { author: 'compliance-1' },
    ),
    reason: 'self-approval',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'committer: the approver committed part of the change',
    input: withCompliance(
      [review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z')],
      {},
      {
        commits: [
          { sha: OLD, authorLogin: 'ml-engineer', committerLogin: 'ml-engineer', verified: true },
          { sha: HEAD, authorLogin: 'ml-engineer', committerLogin: 'compliance-1', verified: true },
        ],
      },
    ),
    reason: 'committer',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'committer: the approver authored a commit someone else committed',
    input: withCompliance(
      [review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z')],
      {},
      {
        commits: [{ sha: HEAD, authorLogin: 'compliance-1', committerLogin: 'ml-engineer', verified: true }],
      },
    ),
    reason: 'committer',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'dismissed: the approval was dismissed',
    input: withCompliance([review('compliance-1', 'DISMISSED', '2026-03-02T12:00:00Z', HEAD, 77)], {
      dismissals: [{ reviewId: 77, by: 'platform-eng', previousState: 'APPROVED' }],
    }),
    reason: 'dismissed',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'before the last push: given on an earlier commit',
    input: withCompliance([review('compliance-1', 'APPROVED', '2026-03-01T08:00:00Z', OLD)]),
    reason: 'stale',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'before the last push: same commit, but a push (force-push back) happened since',
    input: withCompliance(
      [review('compliance-1', 'APPROVED', '2026-03-02T08:00:00Z')],
      {},
      { lastPushAt: '2026-03-02T09:00:00Z' },
    ),
    reason: 'stale',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'expired: older than approvalExpiry (7d) at evaluation time',
    input: withCompliance([review('compliance-1', 'APPROVED', '2026-03-01T09:30:00Z')], {
      now: new Date('2026-03-08T09:30:00Z'), // exactly 7 days: no longer counts
    }),
    reason: 'expired',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'outside the team: the approver is in no required team',
    input: withCompliance([review('outsider', 'APPROVED', '2026-03-02T12:00:00Z')]),
    reason: 'not-a-member',
    login: 'outsider',
    role: 'compliance',
  },
  {
    name: 'pending membership: invited to the team, not yet accepted',
    input: withCompliance([review('compliance-new', 'APPROVED', '2026-03-02T12:00:00Z')]),
    reason: 'pending-membership',
    login: 'compliance-new',
    role: 'compliance',
  },
  {
    name: 'one person, two roles: dual-member cannot fill both data-science and clinical-safety',
    input: {
      ...baseInput(),
      reviews: [
        review('dual-member', 'APPROVED', '2026-03-02T10:00:00Z', HEAD, 7),
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
      ],
    },
    reason: 'separation-of-duties',
    login: 'dual-member',
    role: 'clinical-safety',
  },
  {
    name: "superseded: the same person's later review withdrew the approval",
    input: withCompliance([
      review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 20),
      review('outsider', 'COMMENTED', '2026-03-02T12:05:00Z'),
      review('compliance-1', 'DISMISSED', '2026-03-02T13:00:00Z', HEAD, 21),
    ]),
    reason: 'superseded',
    login: 'compliance-1',
    role: 'compliance',
  },
  {
    name: 'changes requested: a member of a required team objects, which blocks',
    input: withCompliance([review('compliance-1', 'CHANGES_REQUESTED', '2026-03-02T12:00:00Z')]),
    reason: 'changes-requested',
    login: 'compliance-1',
    role: 'compliance',
  },
];

describe('evaluateSignoff: approvals that must not count, each on its own', () => {
  it.each(notCounting)('$name', ({ input, reason, login, role }) => {
    const r = evaluateSignoff(input);
    expect(r.conclusion).toBe('failure');
    expect(r.ignored.filter((i) => i.reason === reason).map((i) => i.login)).toEqual([login]);
    const missing = r.roles.filter((x) => !x.filledBy).map((x) => x.role);
    expect(missing).toEqual([role]);
    // The others were untouched.
    expect(r.filled).toBe(2);
    expect(r.summary).toBe('2/3 roles signed off');
    const entry = r.ignored.find((i) => i.reason === reason)!;
    expect(entry.message.length).toBeGreaterThan(10);
  });

  it('each case changes exactly one thing: without it the same input signs off', () => {
    // A guard on the table: the base input itself is the happy path.
    expect(evaluateSignoff(baseInput()).conclusion).toBe('success');
  });

  it('lists the earlier review of a withdrawn approval as superseded and the dismissal as dismissed', () => {
    const r = evaluateSignoff(notCounting.find((c) => c.reason === 'superseded')!.input);
    expect(r.ignored.map((i) => [i.reviewId, i.reason].join(':'))).toEqual(
      expect.arrayContaining(['20:superseded', '21:dismissed']),
    );
    expect(r.roles[2]?.missing?.code).toBe('no-valid-approval');
    expect(r.roles[2]?.missing?.message).toContain('compliance-1 (replaced by a later review)');
  });

  it('explains the separation-of-duties gap on the role left open', () => {
    const r = evaluateSignoff(notCounting.find((c) => c.reason === 'separation-of-duties')!.input);
    expect(r.roles[0]?.filledBy?.login).toBe('dual-member');
    expect(r.roles[1]?.missing).toEqual({
      code: 'separation-of-duties',
      message:
        'dual-member already signs off as data-science; one person fills at most one role, so another member of northwind-health/clinical-safety must approve.',
    });
    expect(r.ignored).toEqual([
      expect.objectContaining({ reviewId: 7, role: 'clinical-safety', reason: 'separation-of-duties' }),
    ]);
  });

  it('records a blocking change request as a blocker too', () => {
    const r = evaluateSignoff(notCounting.find((c) => c.reason === 'changes-requested')!.input);
    expect(r.blockers).toEqual([
      expect.objectContaining({ code: 'changes-requested', login: 'compliance-1' }),
    ]);
  });

  it("names a pending member's approval on the role it could not fill", () => {
    const r = evaluateSignoff(notCounting.find((c) => c.reason === 'pending-membership')!.input);
    expect(r.roles[2]?.missing).toEqual({
      code: 'no-valid-approval',
      message:
        'No approval from northwind-health/compliance counts: compliance-new (team membership pending).',
    });
  });

  it('says why a stale approval is stale', () => {
    const r = evaluateSignoff(notCounting[4]!.input);
    expect(r.ignored[0]?.message).toBe(
      'Given on commit 0f1e2d3; the change has been pushed since (head is a1b2c3d), so it must be approved again.',
    );
  });
});

describe("evaluateSignoff: each person's latest review (GitHub's semantics)", () => {
  it('a later comment does not erase an approval', () => {
    const r = evaluateSignoff(
      withCompliance([
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 30),
        review('compliance-1', 'COMMENTED', '2026-03-02T13:00:00Z', HEAD, 31),
      ]),
    );
    expect(r.conclusion).toBe('success');
    expect(r.roles[2]?.filledBy?.reviewId).toBe(30);
    expect(r.ignored.map((i) => [i.reviewId, i.reason])).toEqual([[31, 'comment-only']]);
  });

  it('a second approval replaces the first, and counts from its own time', () => {
    const r = evaluateSignoff(
      withCompliance([
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 30),
        review('compliance-1', 'APPROVED', '2026-03-02T14:00:00Z', HEAD, 31),
      ]),
    );
    expect(r.conclusion).toBe('success');
    expect(r.roles[2]?.filledBy?.reviewId).toBe(31);
    expect(r.ignored.map((i) => [i.reviewId, i.reason])).toEqual([[30, 'superseded']]);
  });

  it('a later approval lifts the same person’s change request', () => {
    const r = evaluateSignoff(
      withCompliance([
        review('compliance-2', 'CHANGES_REQUESTED', '2026-03-02T09:00:00Z', OLD, 40),
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 41),
        review('compliance-2', 'APPROVED', '2026-03-02T13:00:00Z', HEAD, 42),
      ]),
    );
    expect(r.conclusion).toBe('success');
    expect(r.blockers).toEqual([]);
    expect(r.ignored.map((i) => [i.reviewId, i.reason])).toEqual([
      [40, 'superseded'],
      [42, 'role-already-filled'],
    ]);
  });

  it('a change request stands across pushes and time: it blocks until withdrawn', () => {
    const r = evaluateSignoff(
      withCompliance(
        [
          review('compliance-2', 'CHANGES_REQUESTED', '2026-02-01T09:00:00Z', OLD),
          review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
        ],
        {},
      ),
    );
    expect(r.filled).toBe(3);
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => b.code)).toEqual(['changes-requested']);
  });

  // compliance-2's objection (#60) was dismissed; the timeline says by whom.
  const dismissedObjection = (by: string, extra: Partial<SignoffInput> = {}) =>
    evaluateSignoff(
      withCompliance(
        [
          review('compliance-2', 'DISMISSED', '2026-03-02T09:00:00Z', HEAD, 60),
          review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
        ],
        { dismissals: [{ reviewId: 60, by, previousState: 'CHANGES_REQUESTED' }], ...extra },
      ),
    );
  const dismissers = { ...policy, rules: { ...policy.rules, objectionsDismissibleBy: ['clinical-safety'] } };

  it('a change request dismissed by the author still blocks', () => {
    const r = dismissedObjection('ml-engineer');
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => [b.code, b.login])).toEqual([['changes-requested', 'compliance-2']]);
    expect(r.blockers[0]?.message).toContain('ml-engineer dismissed it');
  });

  it('a change request dismissed by someone the policy does not name still blocks', () => {
    expect(dismissedObjection('compliance-1').conclusion).toBe('failure');
    expect(dismissedObjection('cs-lead').conclusion).toBe('failure');
  });

  it('a change request dismissed by a member of a role the policy names for it is lifted', () => {
    const r = dismissedObjection('cs-lead', { policy: dismissers });
    expect(r.conclusion).toBe('success');
    expect(r.blockers).toEqual([]);
  });

  it('a named dismisser who is the author cannot lift it', () => {
    const r = evaluateSignoff({
      ...withCompliance(
        [
          review('compliance-2', 'DISMISSED', '2026-03-02T09:00:00Z', HEAD, 60),
          review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
        ],
        {
          policy: dismissers,
          dismissals: [{ reviewId: 60, by: 'dual-member', previousState: 'CHANGES_REQUESTED' }],
        },
        { author: 'dual-member' },
      ),
      reviews: [
        review('ds-lead', 'APPROVED', '2026-03-02T10:00:00Z', HEAD, 1),
        review('cs-lead', 'APPROVED', '2026-03-02T11:00:00Z', HEAD, 2),
        review('compliance-2', 'DISMISSED', '2026-03-02T09:00:00Z', HEAD, 60),
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
      ],
    });
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => b.code)).toEqual(['changes-requested']);
  });

  it('a dismissed review whose dismissal the timeline does not show blocks: it may have been an objection', () => {
    const r = dismissedObjection('compliance-1', { dismissals: [] });
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => b.code)).toEqual(['dismissal-unknown']);
  });

  it('a dismissed approval blocks nothing', () => {
    const r = evaluateSignoff(
      withCompliance(
        [
          review('compliance-2', 'DISMISSED', '2026-03-02T09:00:00Z', HEAD, 60),
          review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
        ],
        { dismissals: [{ reviewId: 60, by: 'ml-engineer', previousState: 'APPROVED' }] },
      ),
    );
    expect(r.conclusion).toBe('success');
  });

  it('a change request from outside the required teams does not block', () => {
    const r = evaluateSignoff(
      withCompliance([
        review('outsider', 'CHANGES_REQUESTED', '2026-03-02T09:00:00Z'),
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
      ]),
    );
    expect(r.conclusion).toBe('success');
    expect(r.ignored.map((i) => [i.login, i.reason])).toEqual([['outsider', 'not-a-member']]);
  });

  it('a pending (unsubmitted) review approves nothing', () => {
    const input = withCompliance([{ id: 50, login: 'compliance-1', state: 'PENDING', commitId: HEAD }]);
    const r = evaluateSignoff(input);
    expect(r.conclusion).toBe('failure');
    expect(r.ignored.map((i) => [i.reviewId, i.reason])).toEqual([[50, 'not-submitted']]);
  });
});

describe('evaluateSignoff: separation of duties as an assignment', () => {
  it('finds the assignment a greedy pass misses: B->data-science, A->clinical-safety', () => {
    // dual-member (A) approved first and is in both teams; ds-2 (B) is only in data-science. Giving the earliest
    // approval to the first role (A->data-science) would leave clinical-safety empty.
    const r = evaluateSignoff({
      ...baseInput(),
      reviews: [
        review('dual-member', 'APPROVED', '2026-03-02T09:00:00Z', HEAD, 60),
        review('ds-2', 'APPROVED', '2026-03-02T10:00:00Z', HEAD, 61),
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 62),
      ],
    });
    expect(r.conclusion).toBe('success');
    expect(Object.fromEntries(r.roles.map((x) => [x.role, x.filledBy?.login]))).toEqual({
      'data-science': 'ds-2',
      'clinical-safety': 'dual-member',
      compliance: 'compliance-1',
    });
    expect(r.ignored).toEqual([]);
  });

  it('is deterministic: the earliest approval is offered each role first', () => {
    const input = {
      ...baseInput(),
      reviews: [
        review('ds-2', 'APPROVED', '2026-03-02T10:00:00Z', HEAD, 71),
        review('ds-lead', 'APPROVED', '2026-03-02T09:00:00Z', HEAD, 70),
        review('cs-lead', 'APPROVED', '2026-03-02T11:00:00Z', HEAD, 72),
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z', HEAD, 73),
      ],
    };
    const r = evaluateSignoff(input);
    expect(r.roles[0]?.filledBy?.login).toBe('ds-lead');
    expect(r.ignored.map((i) => [i.login, i.reason])).toEqual([['ds-2', 'role-already-filled']]);
    // Same input in another order: same result.
    expect(evaluateSignoff({ ...input, reviews: [...input.reviews].reverse() })).toEqual(r);
  });

  it('with separationOfDuties off, one person may fill every role their teams allow', () => {
    const r = evaluateSignoff({
      ...baseInput({ policy: { ...policy, rules: { ...policy.rules, separationOfDuties: false } } }),
      reviews: [
        review('dual-member', 'APPROVED', '2026-03-02T10:00:00Z'),
        review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z'),
      ],
    });
    expect(r.conclusion).toBe('success');
    expect(r.roles.map((x) => x.filledBy?.login)).toEqual(['dual-member', 'dual-member', 'compliance-1']);
  });
});

describe('evaluateSignoff: who wrote the change, proven', () => {
  const withCommits = (commits: NonNullable<SignoffInput['pullRequest']>['commits'], extra = {}) =>
    evaluateSignoff(
      withCompliance([review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z')], extra, { commits }),
    );

  it('a person a Co-authored-by trailer names cannot approve', () => {
    const r = withCommits([
      {
        sha: HEAD,
        authorLogin: 'ml-engineer',
        committerLogin: 'ml-engineer',
        verified: true,
        message: 'Raise the threshold\n\nCo-authored-by: C One <4242+compliance-1@users.noreply.github.com>',
      },
    ]);
    expect(r.conclusion).toBe('failure');
    expect(r.ignored.find((i) => i.login === 'compliance-1')?.reason).toBe('committer');
  });

  it('a co-author whose address ties to no account blocks: nobody can be shown not to be them', () => {
    const r = withCommits([
      {
        sha: HEAD,
        authorLogin: 'ml-engineer',
        committerLogin: 'ml-engineer',
        verified: true,
        message: 'Edit\n\nco-authored-by: Someone <someone@example.org>',
      },
    ]);
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => b.code)).toEqual(['unidentified-co-author']);
  });

  it('whoever pushed a commit cannot approve, whatever its metadata says', () => {
    const r = withCommits([
      { sha: HEAD, authorLogin: 'ml-engineer', committerLogin: 'ml-engineer', pushers: ['compliance-1'] },
    ]);
    expect(r.conclusion).toBe('failure');
    expect(r.ignored.find((i) => i.login === 'compliance-1')?.reason).toBe('committer');
  });

  it('an unsigned commit nobody was seen pushing blocks a clinical change', () => {
    const r = withCommits([{ sha: HEAD, authorLogin: 'ml-engineer', committerLogin: 'ml-engineer' }]);
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => b.code)).toEqual(['unverified-commit']);
    expect(r.blockers[0]?.message).toContain('rules.requireVerifiedCommits');
  });

  it('an unsigned commit with a known pusher is proven enough', () => {
    const r = withCommits([
      { sha: HEAD, authorLogin: 'ml-engineer', committerLogin: 'ml-engineer', pushers: ['ml-engineer'] },
    ]);
    expect(r.conclusion).toBe('success');
  });

  it('verified commits are asked of clinical classes by default, not of operational ones, and a policy can say either', () => {
    const unsigned = [{ sha: HEAD, authorLogin: 'ml-engineer', committerLogin: 'ml-engineer' }];
    const operational = evaluateSignoff({
      ...withCompliance(
        [review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z')],
        {},
        { commits: unsigned },
      ),
      riskClass: 'operational',
    });
    expect(operational.conclusion).toBe('success');
    const strict = { ...policy, rules: { ...policy.rules, requireVerifiedCommits: true } };
    const operationalStrict = evaluateSignoff({
      ...withCompliance(
        [review('compliance-1', 'APPROVED', '2026-03-02T12:00:00Z')],
        { policy: strict },
        { commits: unsigned },
      ),
      riskClass: 'operational',
    });
    expect(operationalStrict.blockers.map((b) => b.code)).toEqual(['unverified-commit']);
    const lax = { ...policy, rules: { ...policy.rules, requireVerifiedCommits: false } };
    expect(withCommits(unsigned, { policy: lax }).conclusion).toBe('success');
  });

  it('blockers handed in by the caller block', () => {
    const r = evaluateSignoff(
      baseInput({ blockers: [{ code: 'claimed-file', message: 'a.yaml is claimed twice' }] }),
    );
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => b.code)).toEqual(['claimed-file']);
  });
});

describe('evaluateSignoff: each rule can be switched off by the policy', () => {
  const off = (rule: 'dismissOnPush' | 'authorCannotApprove' | 'committersCannotApprove') =>
    ({ ...policy, rules: { ...policy.rules, [rule]: false } }) as typeof policy;

  it.each([
    ['authorCannotApprove', 0],
    ['committersCannotApprove', 1],
    ['dismissOnPush', 4],
    ['dismissOnPush', 5],
  ] as const)('%s: false lets case %i count', (rule, index) => {
    const c = notCounting[index]!;
    const r = evaluateSignoff({ ...c.input, policy: off(rule) });
    expect(r.conclusion).toBe('success');
  });

  it('without approvalExpiry an old approval counts and nothing is due for re-evaluation', () => {
    const { approvalExpiry: _, ...rules } = policy.rules;
    const r = evaluateSignoff({ ...notCounting[6]!.input, policy: { ...policy, rules } });
    expect(r.conclusion).toBe('success');
    expect(r.reevaluateAt).toBeUndefined();
  });

  it('an approval one second short of the expiry still counts', () => {
    const r = evaluateSignoff({ ...notCounting[6]!.input, now: new Date('2026-03-08T09:29:59Z') });
    expect(r.conclusion).toBe('success');
  });
});

describe('evaluateSignoff: break-glass rollbacks', () => {
  const only = (login: string, at = '2026-03-02T11:00:00Z', commit = HEAD) => [
    review(login, 'APPROVED', at, commit, 80),
  ];

  it('a rollback merges on one valid approval from a break-glass role; the other roles are owed afterwards', () => {
    const r = evaluateSignoff(
      baseInput({ reviews: only('cs-lead'), breakGlass: { eligibleRollback: true } }),
    );
    expect(r.conclusion).toBe('success');
    expect(r.summary).toBe('1/3 roles signed off');
    expect(r.breakGlass).toEqual({
      role: 'clinical-safety',
      team: 'northwind-health/clinical-safety',
      by: { login: 'cs-lead', at: '2026-03-02T11:00:00Z', reviewId: 80, commit: HEAD },
      retrospectiveRoles: ['data-science', 'compliance'],
      retrospectiveDue: '2026-03-05T11:00:00.000Z',
    });
  });

  it('a break-glass role need not be one the risk class requires', () => {
    // Operational changes need data-science and compliance; clinical-safety may still break the glass.
    const r = evaluateSignoff(
      baseInput({
        riskClass: 'operational',
        reviews: only('cs-lead'),
        breakGlass: { eligibleRollback: true },
      }),
    );
    expect(r.conclusion).toBe('success');
    expect(r.breakGlass?.role).toBe('clinical-safety');
    expect(r.breakGlass?.retrospectiveRoles).toEqual(['data-science', 'compliance']);
    expect(r.ignored).toEqual([]);
    // Without break-glass, the same approval is from outside the required teams.
    const normal = evaluateSignoff(baseInput({ riskClass: 'operational', reviews: only('cs-lead') }));
    expect(normal.ignored.map((i) => i.reason)).toEqual(['not-a-member']);
  });

  it('does not apply to a pull request that is not an eligible rollback', () => {
    const r = evaluateSignoff(
      baseInput({ reviews: only('cs-lead'), breakGlass: { eligibleRollback: false } }),
    );
    expect(r.conclusion).toBe('failure');
    expect(r.breakGlass).toBeUndefined();
  });

  it('does not apply when the policy has no break-glass roles', () => {
    const { breakGlass: _, ...noBreakGlass } = policy;
    const r = evaluateSignoff(
      baseInput({ policy: noBreakGlass, reviews: only('cs-lead'), breakGlass: { eligibleRollback: true } }),
    );
    expect(r.conclusion).toBe('failure');
  });

  it('needs the approval to be valid: a stale break-glass approval does not count', () => {
    const r = evaluateSignoff(
      baseInput({
        reviews: only('cs-lead', '2026-03-01T08:00:00Z', OLD),
        breakGlass: { eligibleRollback: true },
      }),
    );
    expect(r.conclusion).toBe('failure');
    expect(r.notes).toEqual([
      'Break-glass is allowed for this rollback: one valid approval from clinical-safety lets it merge.',
    ]);
  });

  it('an approval from a role that is not a break-glass role is not enough', () => {
    const r = evaluateSignoff(
      baseInput({ reviews: only('ds-lead'), breakGlass: { eligibleRollback: true } }),
    );
    expect(r.conclusion).toBe('failure');
  });

  it('never overrides a change request', () => {
    const r = evaluateSignoff(
      baseInput({
        reviews: [...only('cs-lead'), review('compliance-2', 'CHANGES_REQUESTED', '2026-03-02T12:00:00Z')],
        breakGlass: { eligibleRollback: true },
      }),
    );
    expect(r.conclusion).toBe('failure');
    expect(r.notes).toEqual(['Break-glass was not used: a blocker stands (see above).']);
  });

  it('is not needed when the usual roles have signed off', () => {
    const r = evaluateSignoff(baseInput({ breakGlass: { eligibleRollback: true } }));
    expect(r.conclusion).toBe('success');
    expect(r.breakGlass).toBeUndefined();
  });

  it('is refused while a team it listens to cannot be read', () => {
    const r = evaluateSignoff(
      baseInput({
        reviews: only('cs-lead'),
        breakGlass: { eligibleRollback: true },
        teams: { ...teams, 'northwind-health/compliance': undefined },
      }),
    );
    expect(r.conclusion).toBe('failure');
    expect(r.notes[0]).toContain('northwind-health/compliance could not be read');
  });
});

describe('evaluateSignoff: fails closed', () => {
  const cases: [string, Partial<SignoffInput>, string][] = [
    ['the policy could not be read', { policy: undefined }, 'policy-unavailable'],
    ['the policy names no roles for the risk class', { riskClass: 'medical-device' }, 'no-requirement'],
    ['the use case has no risk class', { riskClass: undefined }, 'no-requirement'],
    ['the pull request could not be read', { pullRequest: undefined }, 'pull-request-unavailable'],
    ['the reviews could not be read', { reviews: undefined }, 'reviews-unavailable'],
    [
      'the expiry is not a duration',
      { policy: { ...policy, rules: { ...policy.rules, approvalExpiry: 'two weeks' } } },
      'invalid-policy',
    ],
    [
      'no commits were listed',
      { pullRequest: { author: 'ml-engineer', headSha: HEAD, commits: [] } },
      'commits-unavailable',
    ],
    [
      'a commit is linked to no account',
      {
        pullRequest: {
          author: 'ml-engineer',
          headSha: HEAD,
          commits: [{ sha: HEAD, authorLogin: null, committerLogin: 'ml-engineer' }],
        },
      },
      'unidentified-commit',
    ],
  ];

  it.each(cases)('%s -> failure with a reason', (_name, overrides, code) => {
    const r = evaluateSignoff(baseInput(overrides));
    expect(r.conclusion).toBe('failure');
    expect(r.blockers.map((b) => b.code)).toContain(code);
    expect(r.blockers.every((b) => b.message.length > 10)).toBe(true);
  });

  it('the membership of a required team is unknown -> that role is missing, the result a failure', () => {
    const r = evaluateSignoff(baseInput({ teams: { ...teams, 'northwind-health/compliance': undefined } }));
    expect(r.conclusion).toBe('failure');
    expect(r.roles[2]?.missing?.code).toBe('membership-unknown');
    expect(r.roles.filter((x) => x.filledBy).map((x) => x.role)).toEqual(['data-science', 'clinical-safety']);
  });

  it('a team with no active members cannot fill its role', () => {
    const r = evaluateSignoff(
      baseInput({
        teams: { ...teams, 'northwind-health/compliance': { active: [], pending: ['compliance-new'] } },
      }),
    );
    expect(r.roles[2]?.missing?.code).toBe('no-active-members');
  });

  it('no reviews at all -> every role waits for an approval', () => {
    const r = evaluateSignoff(baseInput({ reviews: [] }));
    expect(r.conclusion).toBe('failure');
    expect(r.roles.map((x) => x.missing?.code)).toEqual(['no-approval', 'no-approval', 'no-approval']);
    expect(r.summary).toBe('0/3 roles signed off');
  });

  it('a fail-closed result still names the roles required', () => {
    const r = evaluateSignoff(baseInput({ reviews: undefined }));
    expect(r.roles.map((x) => x.role)).toEqual(CDS);
    expect(r.roles.every((x) => x.missing?.code === 'not-evaluated')).toBe(true);
  });

  it('only ever concludes success or failure', () => {
    const inputs = [
      ...notCounting.map((c) => c.input),
      baseInput(),
      baseInput({ policy: undefined }),
      baseInput({ reviews: [] }),
    ];
    for (const input of inputs) expect(['success', 'failure']).toContain(evaluateSignoff(input).conclusion);
  });
});
