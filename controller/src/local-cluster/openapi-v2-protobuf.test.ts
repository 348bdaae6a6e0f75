import { describe, expect, it } from 'vitest';
import { v2Schema } from './openapi.js';
import { encodeOpenApiV2 } from './openapi-v2-protobuf.js';
import { decodeMessage, type MessageSpec } from './protobuf.js';
import { openapiV2Format } from './server.js';

// Enough of gnostic's openapi.v2 messages to read back what kubectl reads: definitions, their types,
// properties, required fields and the group-version-kind extension, and the PATCH operation's parameters.
const NAMED_ANY: MessageSpec = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'value', kind: 'message', message: { 2: { name: 'yaml', kind: 'string' } } },
};
const SCHEMA: MessageSpec = {
  1: { name: '$ref', kind: 'string' },
  4: { name: 'description', kind: 'string' },
  19: { name: 'required', kind: 'repeated-string' },
  22: { name: 'type', kind: 'message', message: { 1: { name: 'value', kind: 'repeated-string' } } },
  31: { name: 'extensions', kind: 'repeated-message', message: NAMED_ANY },
};
SCHEMA[25] = {
  name: 'properties',
  kind: 'message',
  message: {
    1: {
      name: 'entries',
      kind: 'repeated-message',
      message: {
        1: { name: 'name', kind: 'string' },
        2: { name: 'value', kind: 'message', message: SCHEMA },
      },
    },
  },
};
const QUERY_PARAMETER: MessageSpec = {
  2: { name: 'in', kind: 'string' },
  4: { name: 'name', kind: 'string' },
  6: { name: 'type', kind: 'string' },
};
const PARAMETERS_ITEM: MessageSpec = {
  1: {
    name: 'parameter',
    kind: 'message',
    message: {
      2: {
        name: 'nonBody',
        kind: 'message',
        message: { 3: { name: 'query', kind: 'message', message: QUERY_PARAMETER } },
      },
    },
  },
};
const DOCUMENT: MessageSpec = {
  1: { name: 'swagger', kind: 'string' },
  2: { name: 'info', kind: 'message', message: { 1: { name: 'title', kind: 'string' } } },
  8: {
    name: 'paths',
    kind: 'message',
    message: {
      2: {
        name: 'items',
        kind: 'repeated-message',
        message: {
          1: { name: 'name', kind: 'string' },
          2: {
            name: 'value',
            kind: 'message',
            message: {
              8: {
                name: 'patch',
                kind: 'message',
                message: {
                  5: { name: 'operationId', kind: 'string' },
                  7: { name: 'consumes', kind: 'repeated-string' },
                  8: { name: 'parameters', kind: 'repeated-message', message: PARAMETERS_ITEM },
                },
              },
            },
          },
        },
      },
    },
  },
  9: {
    name: 'definitions',
    kind: 'message',
    message: {
      1: {
        name: 'entries',
        kind: 'repeated-message',
        message: {
          1: { name: 'name', kind: 'string' },
          2: { name: 'value', kind: 'message', message: SCHEMA },
        },
      },
    },
  },
};

type Json = Record<string, unknown>;

describe('the OpenAPI v2 document as protobuf', () => {
  const doc = {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: {
      '/apis/vigil.dev/v1alpha1/namespaces/{namespace}/usecases/{name}': {
        patch: {
          operationId: 'patchUseCase',
          consumes: ['application/merge-patch+json', 'application/apply-patch+yaml'],
          parameters: [{ name: 'fieldValidation', in: 'query', type: 'string', uniqueItems: true }],
        },
      },
    },
    definitions: {
      'dev.vigil.v1alpha1.UseCase': {
        description: 'An AI use case.',
        type: 'object',
        required: ['spec'],
        properties: {
          metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
          spec: { type: 'object', properties: { title: { type: 'string' } } },
        },
        'x-kubernetes-group-version-kind': [{ group: 'vigil.dev', version: 'v1alpha1', kind: 'UseCase' }],
      },
    },
  };
  const decoded = decodeMessage(encodeOpenApiV2(doc), DOCUMENT);

  it('carries each definition with its type, required fields, properties and references', () => {
    const entries = (decoded.definitions as Json).entries as Json[];
    expect(entries.map((e) => e.name)).toEqual(['dev.vigil.v1alpha1.UseCase']);
    const useCase = entries[0]!.value as Json;
    expect(useCase.description).toBe('An AI use case.');
    expect(useCase.type).toEqual({ value: ['object'] });
    expect(useCase.required).toEqual(['spec']);
    const props = (useCase.properties as Json).entries as Json[];
    expect(props.map((p) => p.name)).toEqual(['metadata', 'spec']);
    expect((props[0]!.value as Json).$ref).toBe(
      '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    );
  });

  it('carries the group-version-kind extension as YAML that names the kind', () => {
    const useCase = ((decoded.definitions as Json).entries as Json[])[0]?.value as Json;
    const [ext] = useCase.extensions as Json[];
    expect(ext?.name).toBe('x-kubernetes-group-version-kind');
    expect(JSON.parse(String((ext!.value as Json).yaml))).toEqual([
      { group: 'vigil.dev', version: 'v1alpha1', kind: 'UseCase' },
    ]);
  });

  it('carries the PATCH operation with its media types and query parameters', () => {
    expect(decoded.swagger).toBe('2.0');
    expect(decoded.info).toEqual({ title: 'Kubernetes' });
    const [item] = (decoded.paths as Json).items as Json[];
    const patch = (item!.value as Json).patch as Json;
    expect(patch.operationId).toBe('patchUseCase');
    expect(patch.consumes).toEqual(['application/merge-patch+json', 'application/apply-patch+yaml']);
    const [param] = patch.parameters as Json[];
    expect(((param!.parameter as Json).nonBody as Json).query).toEqual({
      in: 'query',
      name: 'fieldValidation',
      type: 'string',
    });
  });
});

describe('v2 schemas', () => {
  it.each([
    ['a nullable field loses its type and fields', { type: 'object', nullable: true, properties: {} }, {}],
    [
      'a free-form field loses the fields it cannot check',
      { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
      { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    ],
    [
      'an int-or-string loses its alternatives and type',
      { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      { 'x-kubernetes-int-or-string': true },
    ],
    [
      'a nullable field is no longer required',
      {
        type: 'object',
        required: ['a', 'b'],
        properties: { a: { type: 'string', nullable: true }, b: { type: 'string' } },
      },
      { type: 'object', required: ['b'], properties: { a: {}, b: { type: 'string' } } },
    ],
    [
      'references point at definitions',
      { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(v2Schema(input)).toEqual(expected);
  });
});

describe('which form of the v2 document a client gets', () => {
  it.each([
    [undefined, 'json'],
    ['application/json, */*', 'json'],
    ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'protobuf'],
    ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf, application/json', 'protobuf'],
    ['application/json, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'json'],
  ])('Accept: %s gives %s', (accept, format) => {
    expect(openapiV2Format(accept)).toBe(format);
  });

  it('refuses a media type it cannot produce with 406', () => {
    expect(() => openapiV2Format('application/xml')).toThrow(/only the following media types/);
  });
});
