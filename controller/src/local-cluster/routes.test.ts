import { describe, expect, it } from 'vitest';
import { parsePath } from './routes.js';

describe('request paths', () => {
  it.each([
    ['/api', { kind: 'api' }],
    ['/apis/vigil.dev/v1alpha1', { kind: 'groupVersion', group: 'vigil.dev', version: 'v1alpha1' }],
    [
      '/api/v1/namespaces/default',
      { kind: 'resource', group: '', version: 'v1', plural: 'namespaces', name: 'default', watchPath: false },
    ],
    [
      '/api/v1/namespaces/team/status',
      {
        kind: 'resource',
        group: '',
        version: 'v1',
        plural: 'namespaces',
        name: 'team',
        subresource: 'status',
        watchPath: false,
      },
    ],
    [
      '/api/v1/namespaces/team/configmaps',
      {
        kind: 'resource',
        group: '',
        version: 'v1',
        namespace: 'team',
        plural: 'configmaps',
        watchPath: false,
      },
    ],
    [
      '/apis/vigil.dev/v1alpha1/namespaces/team/usecases/triage/status',
      {
        kind: 'resource',
        group: 'vigil.dev',
        version: 'v1alpha1',
        namespace: 'team',
        plural: 'usecases',
        name: 'triage',
        subresource: 'status',
        watchPath: false,
      },
    ],
    [
      '/apis/vigil.dev/v1alpha1/watch/usecases',
      { kind: 'resource', group: 'vigil.dev', version: 'v1alpha1', plural: 'usecases', watchPath: true },
    ],
    ['/openapi/v3/apis/vigil.dev/v1alpha1', { kind: 'openapiV3', key: 'apis/vigil.dev/v1alpha1' }],
    ['/readyz', { kind: 'health', check: 'readyz' }],
    ['/nonsense', { kind: 'notFound' }],
  ])('%s', (path, route) => {
    expect(parsePath(path)).toEqual(route);
  });
});
