import { describe, expect, it } from 'vitest';
import { decideLease, heldRecord, type LeaseRecord, microTime, releasedRecord } from './lease-decision.js';

const NOW = Date.UTC(2026, 2, 1, 9, 0, 0);

describe('decideLease', () => {
  it.each<[string, LeaseRecord | undefined, number, string]>([
    ['no Lease: create it', undefined, NOW, 'create'],
    ['held by me: renew', { holderIdentity: 'me', leaseDurationSeconds: 15 }, NOW, 'renew'],
    ['released (no holder): take', { leaseDurationSeconds: 1 }, NOW, 'take'],
    [
      'held by another, seen changing 14 s ago: wait',
      { holderIdentity: 'other', leaseDurationSeconds: 15 },
      NOW - 14_000,
      'wait',
    ],
    [
      'held by another, unchanged for 15 s: take',
      { holderIdentity: 'other', leaseDurationSeconds: 15 },
      NOW - 15_000,
      'take',
    ],
  ])('%s', (_, record, observedAt, action) => {
    expect(decideLease(record, observedAt, 'me', NOW).action).toBe(action);
  });

  it('measures expiry from the local observation, not the renewTime another machine wrote', () => {
    // The holder's clock runs an hour behind: its renewTime looks stale, but it renewed just now.
    const record = {
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      renewTime: microTime(NOW - 3_600_000),
    };
    expect(decideLease(record, NOW - 1_000, 'me', NOW)).toEqual({
      action: 'wait',
      holder: 'other',
      expiresAt: NOW + 14_000,
    });
  });
});

describe('lease records', () => {
  it('taking from another counts a transition and sets the times', () => {
    expect(heldRecord({ holderIdentity: 'other', leaseTransitions: 2 }, 'me', 15, NOW)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2026-03-01T09:00:00.000000Z',
      renewTime: '2026-03-01T09:00:00.000000Z',
      leaseTransitions: 3,
    });
  });

  it('renewing keeps the acquire time and the transition count', () => {
    const held = heldRecord(undefined, 'me', 15, NOW);
    const renewed = heldRecord(held, 'me', 15, NOW + 2_000);
    expect(renewed.acquireTime).toBe(held.acquireTime);
    expect(renewed.renewTime).toBe('2026-03-01T09:00:02.000000Z');
    expect(renewed.leaseTransitions).toBe(0);
  });

  it('releasing clears the holder and shortens the lease to a second', () => {
    const released = releasedRecord(
      { holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 4 },
      NOW,
    );
    expect(released.holderIdentity).toBeUndefined();
    expect(released.leaseDurationSeconds).toBe(1);
    expect(released.leaseTransitions).toBe(4);
    expect(decideLease(released, NOW, 'next', NOW).action).toBe('take');
  });
});
