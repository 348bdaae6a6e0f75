import { describe, expect, it } from 'vitest';
import { validatingWebhookConfigurationType as vwcType } from './admission.js';
import { configMapType, namespaceType } from './builtins.js';
import { ClusterState } from './cluster.js';
import { ApiError } from './errors.js';
import type { KubeObject } from './resources.js';

function configuration(webhook: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'test' },
    webhooks: [
      {
        name: 'validate.example.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        clientConfig: { url: 'https://127.0.0.1:9443/validate' },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
        ...webhook,
      },
    ],
  } as unknown as KubeObject;
}

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('not refused');
}

const cm = (labels: Record<string, string> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'default', labels },
  }) as KubeObject;

describe('ValidatingWebhookConfiguration', () => {
  it('is stored with the real server defaults', () => {
    const state = new ClusterState();
    const { object } = state.rest.create(vwcType, undefined, configuration({}), {});
    expect((object as unknown as { webhooks: unknown[] }).webhooks[0]).toMatchObject({
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      timeoutSeconds: 10,
      namespaceSelector: {},
      objectSelector: {},
      rules: [{ scope: '*' }],
    });
  });

  it.each([
    [{ sideEffects: 'Some' }, 'webhooks[0].sideEffects', 'Unsupported value: "Some"'],
    [
      { admissionReviewVersions: ['v2'] },
      'webhooks[0].admissionReviewVersions',
      'must include at least one of v1, v1beta1',
    ],
    [
      { clientConfig: { url: 'http://127.0.0.1/validate' } },
      'webhooks[0].clientConfig.url',
      "'https' is the only allowed URL scheme",
    ],
    [{ clientConfig: {} }, 'webhooks[0].clientConfig', 'exactly one of url or service is required'],
    [{ timeoutSeconds: 31 }, 'webhooks[0].timeoutSeconds', 'between 1 and 30 seconds'],
    [{ name: 'validate' }, 'webhooks[0].name', 'at least three segments'],
  ])('refuses %j', (webhook, field, message) => {
    const state = new ClusterState();
    const e = refusal(() => state.rest.create(vwcType, undefined, configuration(webhook), {}));
    expect(e.code).toBe(422);
    const cause = e.details?.causes?.find((c) => c.field === field);
    expect(cause?.message).toContain(message);
  });
});

describe('which writes a webhook is asked about', () => {
  const matching = (
    state: ClusterState,
    operation: 'CREATE' | 'UPDATE',
    object: KubeObject,
    subresource?: string,
  ) =>
    state.admission.matching(
      { type: configMapType, operation, namespace: 'default', ...(subresource ? { subresource } : {}) },
      { object },
    ).length;

  it('by operation, group, version, resource and subresource', () => {
    const state = new ClusterState();
    state.rest.create(vwcType, undefined, configuration({}), {});
    expect(matching(state, 'CREATE', cm())).toBe(1);
    expect(matching(state, 'UPDATE', cm())).toBe(0);
    expect(matching(state, 'CREATE', cm(), 'status')).toBe(0);
    expect(state.admission.mayApply(namespaceType, undefined)).toBe(false);
  });

  it('by object and namespace labels', () => {
    const state = new ClusterState();
    state.rest.create(
      vwcType,
      undefined,
      configuration({
        objectSelector: { matchLabels: { governed: 'yes' } },
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['default'] }],
        },
      }),
      {},
    );
    expect(matching(state, 'CREATE', cm({ governed: 'yes' }))).toBe(1);
    expect(matching(state, 'CREATE', cm({ governed: 'no' }))).toBe(0);
    const elsewhere = state.admission.matching(
      { type: configMapType, operation: 'CREATE', namespace: 'kube-system' },
      { object: cm({ governed: 'yes' }) },
    );
    expect(elsewhere).toHaveLength(0);
  });

  it('never for the configurations themselves', () => {
    const state = new ClusterState();
    state.rest.create(
      vwcType,
      undefined,
      configuration({
        rules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'] }],
      }),
      {},
    );
    expect(state.admission.mayApply(vwcType, undefined)).toBe(false);
    expect(state.admission.mayApply(configMapType, undefined)).toBe(true);
  });
});
