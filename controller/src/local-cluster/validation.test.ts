import { describe, expect, it } from 'vitest';
import { applyDefaults, findKeyword, pruneUnknownFields, type StructuralSchema } from './structural.js';
import { compileValidator, fieldPath } from './validation.js';

const schema: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1 },
        riskClass: { type: 'string', enum: ['administrative', 'operational'] },
        replicas: { type: 'integer', minimum: 0, default: 1 },
        items: {
          type: 'array',
          items: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z]+$' } } },
        },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

describe('validation messages', () => {
  const validate = compileValidator(schema);
  it.each([
    [{ spec: {} }, 'spec.name', 'Required value'],
    [
      { spec: { name: 'a', riskClass: 'x' } },
      'spec.riskClass',
      'Unsupported value: "x": supported values: "administrative", "operational"',
    ],
    [
      { spec: { name: 'a', replicas: 'many' } },
      'spec.replicas',
      'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    ],
    [
      { spec: { name: 'a', replicas: -1 } },
      'spec.replicas',
      'Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
    ],
    [
      { spec: { name: 'a', items: [{ id: 'A1' }] } },
      'spec.items[0].id',
      `Invalid value: "A1": spec.items[0].id in body should match '^[a-z]+$'`,
    ],
    [
      { spec: { name: '' } },
      'spec.name',
      'Invalid value: "": spec.name in body should be at least 1 chars long',
    ],
  ])('%j -> %s: %s', (obj, field, message) => {
    expect(validate(obj)).toContainEqual(expect.objectContaining({ field, message }));
  });

  it('accepts a valid object', () => {
    expect(validate({ spec: { name: 'a', riskClass: 'operational', replicas: 2 } })).toEqual([]);
  });
});

describe('pruning and defaulting', () => {
  it('finds and removes undeclared fields but keeps those under preserve-unknown-fields', () => {
    const obj = {
      apiVersion: 'v',
      kind: 'K',
      metadata: {},
      spec: { name: 'a', colour: 'blue', items: [{ id: 'a', x: 1 }], extra: { any: 1 } },
      junk: 1,
    };
    expect(pruneUnknownFields(obj, schema, false)).toEqual(['spec.colour', 'spec.items[0].x', 'junk']);
    expect(obj.spec.colour).toBe('blue');
    pruneUnknownFields(obj, schema, true);
    expect(obj).toEqual({
      apiVersion: 'v',
      kind: 'K',
      metadata: {},
      spec: { name: 'a', items: [{ id: 'a' }], extra: { any: 1 } },
    });
  });

  it('fills defaults, treating a null as absent', () => {
    const obj = { spec: { name: 'a', replicas: null } };
    applyDefaults(obj, schema);
    expect(obj.spec.replicas).toBe(1);
  });

  it('finds x-kubernetes-validations anywhere in a schema', () => {
    expect(
      findKeyword({ properties: { spec: { 'x-kubernetes-validations': [] } } }, 'x-kubernetes-validations'),
    ).toEqual(['properties[spec]']);
  });

  it('turns ajv instance paths into Kubernetes field paths', () => {
    expect(fieldPath('/spec/items/0/id', { spec: { items: [{ id: 1 }] } })).toBe('spec.items[0].id');
    expect(fieldPath('/spec/labels/0', { spec: { labels: { '0': 'x' } } })).toBe('spec.labels.0');
  });
});
