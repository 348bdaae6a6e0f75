// The decisions of leader election, apart from the I/O: given the Lease as read and when this replica first saw
// it in that state, should it create the Lease, take it, renew it, or wait? Expiry is measured on this
// replica's own clock from when it observed the last change (as client-go does), never from the renewTime
// written by another machine, so clock skew between replicas cannot make two of them lead.

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type LeaseDecision =
  | { action: 'create' }
  | { action: 'take' }
  | { action: 'renew' }
  | { action: 'wait'; holder: string; expiresAt: number };

/**
 * @param record the Lease's spec, or undefined when there is no Lease
 * @param observedAt when this replica first saw the Lease in its current state (local clock, ms)
 */
export function decideLease(
  record: LeaseRecord | undefined,
  observedAt: number,
  identity: string,
  now: number,
): LeaseDecision {
  if (!record) return { action: 'create' };
  const holder = record.holderIdentity ?? '';
  if (holder === identity) return { action: 'renew' };
  if (holder === '') return { action: 'take' };
  const expiresAt = observedAt + (record.leaseDurationSeconds ?? 0) * 1000;
  if (now >= expiresAt) return { action: 'take' };
  return { action: 'wait', holder, expiresAt };
}

/** MicroTime as the API server writes it: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The Lease spec after this replica takes or renews it. */
export function heldRecord(
  current: LeaseRecord | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: number,
): LeaseRecord {
  const previousHolder = current?.holderIdentity ?? '';
  const renewing = previousHolder === identity;
  const transitions = current?.leaseTransitions ?? 0;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing && current?.acquireTime ? current.acquireTime : microTime(now),
    renewTime: microTime(now),
    // A transition is a change of holder, not the first holder and not a renewal.
    leaseTransitions: renewing || previousHolder === '' ? transitions : transitions + 1,
  };
}

/** The Lease spec a leader leaves behind on a graceful exit: no holder, expiring in a second. */
export function releasedRecord(current: LeaseRecord, now: number): LeaseRecord {
  return {
    leaseDurationSeconds: 1,
    acquireTime: microTime(now),
    renewTime: microTime(now),
    leaseTransitions: current.leaseTransitions ?? 0,
  };
}
