// One guard for every kind: an object that holds a value that looks like protected health information is not
// acted on. It can reach the cluster without the admission webhook (installed without it, or written while
// the webhook was set to Ignore); then its reconcile stops before any step, with Ready=False reason PHIDetected
// (stalled until the object changes) and one Warning Event, naming the fields and never the values.
import type { Diagnostic } from '../diagnostics.js';
import { type PhiScanOptions, scanObjectForPhi } from '../phi/index.js';
import { type Controller, defineController, type KubeObject, StalledError } from '../runtime/index.js';

export const PHI_DETECTED = 'PHIDetected';

const WHAT: Record<string, string> = {
  'phi.ssn': 'a US Social Security number',
  'phi.mrn': 'a medical record number',
  'phi.dob-with-name': "a date of birth next to a person's name",
};

/** Pure: where PHI was found and what it looks like, never the value, nor a key that looks like PHI itself. */
export function phiMessage(findings: readonly Diagnostic[]): string {
  const places = findings.map((f) => {
    // A key is part of its own path: name the mapping it is in instead.
    const parent = f.path.split('.').slice(0, -1).join('.');
    const path = f.message.startsWith('key ') ? `a key in ${parent || 'the object'}` : f.path;
    return `${path || 'the object'} (${WHAT[f.code] ?? 'PHI'})`;
  });
  const unique = [...new Set(places)];
  return `holds a value that looks like PHI at ${unique.join(', ')}; Vigil does not act on this object until it is removed`;
}

/** The PHI findings in an object, or none. */
export function phiIn(obj: KubeObject, options: PhiScanOptions = {}): Diagnostic[] {
  return scanObjectForPhi(obj as unknown as Record<string, unknown>, options);
}

/** `controller`, refusing to reconcile an object that holds PHI (deletion still runs its course). */
export function refusingPhi<T extends KubeObject>(
  controller: Controller<T>,
  options: PhiScanOptions = {},
): Controller<T> {
  const { name: _name, ...definition } = controller;
  return defineController<T>({
    ...definition,
    async reconcile(ctx, obj) {
      const findings = phiIn(obj, options);
      if (findings.length > 0) {
        ctx.log.warn(
          { fields: findings.map((f) => f.path), codes: findings.map((f) => f.code) },
          'PHI found; not acting on the object',
        );
        throw new StalledError(PHI_DETECTED, phiMessage(findings));
      }
      return controller.reconcile(ctx, obj);
    },
  });
}
