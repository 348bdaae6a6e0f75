import { describe, expect, it } from 'vitest';
import { resourceOfPath, statusCodeOf, WriteCounter } from './cluster-client.js';

describe('resourceOfPath', () => {
  it.each([
    ['/apis/vigil.dev/v1alpha1/namespaces/rc/usecases/denials-triage/status', 'usecases.vigil.dev'],
    ['/apis/vigil.dev/v1alpha1/namespaces/rc/usecases', 'usecases.vigil.dev'],
    ['/apis/vigil.dev/v1alpha1/usecases', 'usecases.vigil.dev'],
    ['/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/vigil', 'leases.coordination.k8s.io'],
    ['/api/v1/namespaces/rc/events/uc.1', 'events'],
    ['/api/v1/namespaces/rc', 'namespaces'],
    ['/api/v1/namespaces', 'namespaces'],
    ['/version', undefined],
  ])('%s -> %s', (path, resource) => {
    expect(resourceOfPath(path)).toBe(resource);
  });
});

describe('WriteCounter', () => {
  it('counts by resource and verb', () => {
    const w = new WriteCounter();
    const heard: string[] = [];
    w.onWrite((r, v) => heard.push(`${v} ${r}`));
    w.record('usecases.vigil.dev', 'patch');
    w.record('usecases.vigil.dev', 'patch');
    w.record('events', 'create');
    expect(w.count()).toBe(3);
    expect(w.count('usecases.vigil.dev')).toBe(2);
    expect(w.count('usecases.vigil.dev', 'create')).toBe(0);
    expect(w.snapshot()).toEqual({ 'usecases.vigil.dev patch': 2, 'events create': 1 });
    expect(heard).toHaveLength(3);
  });

  it('counts refused writes apart, by resource and verb, and tells listeners the code', () => {
    const w = new WriteCounter();
    const heard: string[] = [];
    w.onRefused((r, v, code) => heard.push(`${code} ${v} ${r}`));
    w.record('usecases.vigil.dev', 'patch');
    w.recordRefused('usecases.vigil.dev', 'patch', 409);
    expect(w.count('usecases.vigil.dev')).toBe(1);
    expect(w.refused('usecases.vigil.dev')).toBe(1);
    expect(w.refused('usecases.vigil.dev', 'create')).toBe(0);
    expect(w.refused('events')).toBe(0);
    expect(heard).toEqual(['409 patch usecases.vigil.dev']);
  });
});

describe('statusCodeOf', () => {
  it.each([
    [{ code: 409 }, 409],
    [{ statusCode: 410 }, 410],
    [new Error('x'), undefined],
    [null, undefined],
  ])('%j -> %s', (error, code) => {
    expect(statusCodeOf(error)).toBe(code);
  });
});
