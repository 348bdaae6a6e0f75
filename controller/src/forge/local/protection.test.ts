import { describe, expect, it } from 'vitest';
import {
  type ActorFacts,
  branchUpdateRefusals,
  bypassesRules,
  mayDismiss,
  pushRefusal,
} from './protection.js';
import type { ProtectionSeed } from './seed.js';

const none = { users: [], teams: [], apps: [] };
const classic: ProtectionSeed = {
  enforcedBy: 'branch-protection',
  branch: 'main',
  requiredChecks: [{ context: 'vigil/sign-off', appId: 1043 }],
  dismissStaleReviews: false,
  requiredApprovingReviewCount: 0,
  enforceAdmins: true,
  allowForcePushes: false,
  requirePullRequest: true,
  bypassActors: none,
};
const admin: ActorFacts = { login: 'platform-eng', role: 'admin', teams: ['platform'] };
const writer: ActorFacts = { login: 'ds-2', role: 'write', teams: ['data-science'] };
const release: ActorFacts = { login: 'rel-1', role: 'write', teams: ['release'] };
const vigil: ActorFacts = { login: 'vigil[bot]', app: 'vigil', teams: [] };
const update = (protection: ProtectionSeed, who: ActorFacts, fastForward = true) =>
  branchUpdateRefusals({ protection, who, fastForward, checks: [], statuses: [] });

describe('branchUpdateRefusals', () => {
  it('refuses a direct push without a pull request, and names the missing check', () => {
    expect(update(classic, writer)).toEqual([
      'Changes must be made through a pull request.',
      'Required status check "vigil/sign-off" is expected.',
    ]);
  });

  it('holds admins where enforce_admins is on, and lets them through (but not force-push) where it is off', () => {
    expect(update(classic, admin)).toHaveLength(2);
    expect(update({ ...classic, enforceAdmins: false }, admin)).toEqual([]);
    expect(update({ ...classic, enforceAdmins: false }, admin, false)).toEqual([
      'Cannot force-push to this branch',
    ]);
  });

  it('lets a classic bypass allowance skip the pull request only; a ruleset bypass actor skips every rule', () => {
    const allowance = { ...classic, bypassActors: { ...none, teams: ['release'] } };
    expect(update(allowance, release)).toEqual(['Required status check "vigil/sign-off" is expected.']);
    expect(update({ ...allowance, enforcedBy: 'ruleset' }, release, false)).toEqual([]);
    expect(bypassesRules({ ...allowance, enforcedBy: 'ruleset' }, writer)).toBe(false);
  });

  it('refuses a push by anyone outside the push restrictions', () => {
    const restricted = { ...classic, pushRestrictions: { ...none, apps: ['vigil'] } };
    expect(pushRefusal(restricted, writer)).toMatch(/^You're not authorized to push to this branch\./);
    expect(pushRefusal(restricted, vigil)).toBeUndefined();
    expect(pushRefusal({ ...restricted, enforceAdmins: false }, admin)).toBeUndefined();
  });
});

describe('mayDismiss', () => {
  it('lets admins, maintainers and the named teams dismiss where dismissals are restricted', () => {
    const restricted = { ...classic, dismissalRestrictions: { ...none, teams: ['compliance'] } };
    expect(mayDismiss(restricted, admin)).toBe(true);
    expect(mayDismiss(restricted, { login: 'm', role: 'maintain', teams: [] })).toBe(true);
    expect(mayDismiss(restricted, { login: 'c', role: 'triage', teams: ['compliance'] })).toBe(true);
    expect(mayDismiss(restricted, writer)).toBe(false);
    expect(mayDismiss(restricted, vigil)).toBe(false);
  });

  it('lets anyone with write access dismiss where they are not', () => {
    expect(mayDismiss(classic, writer)).toBe(true);
    expect(mayDismiss(undefined, { login: 't', role: 'triage', teams: [] })).toBe(false);
  });
});
