import { describe, expect, it } from 'vitest';
import { aggregatedVersionAccepted, compareKubeVersions } from './discovery.js';

describe('discovery', () => {
  it('orders versions by Kubernetes priority', () => {
    expect(['v1alpha1', 'v1beta2', 'v2', 'v1', 'v1beta1', 'foo'].sort(compareKubeVersions)).toEqual([
      'v2',
      'v1',
      'v1beta2',
      'v1beta1',
      'v1alpha1',
      'foo',
    ]);
  });

  it('reads which aggregated discovery version kubectl asks for', () => {
    const kubectl =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    expect(aggregatedVersionAccepted(kubectl)).toBe('v2');
    expect(
      aggregatedVersionAccepted('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'),
    ).toBe('v2beta1');
    expect(aggregatedVersionAccepted('application/json')).toBeUndefined();
  });
});
