import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { defineController, type KubeObject, type ReconcileContext, StalledError } from '../runtime/index.js';
import { PHI_DETECTED, phiIn, phiMessage, refusingPhi } from './phi-guard.js';

const KIND = { group: 'vigil.dev', version: 'v1alpha1', plural: 'usecases', kind: 'UseCase' };

function useCase(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'UseCase',
    metadata: { name: 'readmission-risk', namespace: 'care-management', generation: 1, ...metadata },
    spec,
  } as unknown as KubeObject;
}

function guarded() {
  const seen: string[] = [];
  const controller = refusingPhi(
    defineController({
      kind: KIND,
      async reconcile(_ctx, obj) {
        seen.push(obj.metadata.name);
        return { status: { conditions: [] } };
      },
    }),
  );
  const ctx = { log: pino({ level: 'silent' }) } as unknown as ReconcileContext;
  return { controller, seen, run: (obj: KubeObject) => controller.reconcile(ctx, obj) };
}

describe('refusingPhi', () => {
  it('lets a clean object through to the kind', async () => {
    const { run, seen, controller } = guarded();
    await run(useCase({ title: 'Readmission risk', knownLimitations: ['Not validated for pediatrics'] }));
    expect(seen).toEqual(['readmission-risk']);
    expect(controller.name).toBe('usecases.vigil.dev');
  });

  it('stops before any step, stalled with reason PHIDetected, naming the field and not the value', async () => {
    const { run, seen } = guarded();
    const error = await run(
      useCase({ knownLimitations: ['fine', 'Seen with patient 123-45-6789 during the pilot'] }),
    ).catch((e: unknown) => e);
    expect(seen).toEqual([]);
    expect(error).toBeInstanceOf(StalledError);
    expect((error as StalledError).reason).toBe(PHI_DETECTED);
    expect((error as StalledError).message).toBe(
      'holds a value that looks like PHI at spec.knownLimitations[1] (a US Social Security number); Vigil does not act on this object until it is removed',
    );
    expect((error as StalledError).message).not.toMatch(/6789/);
  });

  it('finds PHI in labels and annotations too, and never repeats a key that is PHI itself', () => {
    const findings = phiIn(
      useCase(
        { title: 't' },
        { annotations: { 'MRN 00123456': 'x', note: 'DOB 1984-03-02 for Jane Example' } },
      ),
    );
    const message = phiMessage(findings);
    expect(message).toContain('a key in metadata.annotations (a medical record number)');
    expect(message).toContain('metadata.annotations.note');
    expect(message).not.toContain('00123456');
    expect(message).not.toContain('1984');
  });

  it('ignores what the server writes and looks at kubectl last-applied copy only when the object is clean', () => {
    const clean = useCase({ title: 't' });
    const withStatus = { ...clean, status: { note: '123-45-6789' } } as unknown as KubeObject;
    expect(phiIn(withStatus)).toEqual([]);
    const copy = useCase(
      { title: 't' },
      {
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: { x: '123-45-6789' } }),
        },
      },
    );
    expect(phiIn(copy).map((f) => f.code)).toEqual(['phi.ssn']);
  });
});
