import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { crdFor, crdPath, generatedFiles, jsonSchemaPath, repositoryRoot } from './generate.js';
import { KINDS } from './kinds.js';

type Node = { [key: string]: unknown };
const root = repositoryRoot();

describe('generated files', () => {
  it.each([...generatedFiles().entries()])(
    '%s matches what the schemas produce (run `npm run gen`)',
    (path, content) => {
      const committed = readFileSync(join(root, path), 'utf8');
      expect(committed).toBe(content);
    },
  );

  it('there is one JSON Schema and one CRD per kind', () => {
    const paths = [...generatedFiles().keys()];
    expect(paths).toHaveLength(KINDS.length * 2);
    for (const k of KINDS) expect(paths).toEqual(expect.arrayContaining([jsonSchemaPath(k), crdPath(k)]));
  });
});

/** Walk a schema, calling visit(node, path) on every schema node below properties/items/additionalProperties. */
function walk(node: Node, path: string, visit: (node: Node, path: string) => void): void {
  visit(node, path);
  const props = node.properties as Record<string, Node> | undefined;
  if (props) for (const [k, v] of Object.entries(props)) walk(v, `${path}.${k}`, visit);
  if (node.items && typeof node.items === 'object') walk(node.items as Node, `${path}[]`, visit);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    walk(node.additionalProperties as Node, `${path}{}`, visit);
  }
}

describe.each(KINDS.map((k) => [k.kind, k] as const))('CRD for %s', (_name, k) => {
  const crd = crdFor(k);
  const version = (crd.spec as Node & { versions: Node[] }).versions[0]!;
  const schema = (version.schema as Node).openAPIV3Schema as Node;

  it('validates as a Kubernetes CustomResourceDefinition', () => {
    expect(() => new CustomResourceDefinition(crd as never).validate()).not.toThrow();
  });

  it('is structural: every node typed, no properties beside additionalProperties, no union types', () => {
    const problems: string[] = [];
    walk(schema, '', (node, path) => {
      const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
      const intOrString = node['x-kubernetes-int-or-string'] === true;
      if (typeof node.type !== 'string' && !preserve && !intOrString) problems.push(`${path}: no type`);
      if (node.properties && node.additionalProperties !== undefined)
        problems.push(`${path}: properties and additionalProperties`);
      for (const union of ['anyOf', 'oneOf', 'allOf', 'not'])
        if (union in node) problems.push(`${path}: ${union}`);
      if ('$ref' in node || '$defs' in node || 'definitions' in node) problems.push(`${path}: reference`);
      if ('nullable' in node) problems.push(`${path}: nullable`);
    });
    expect(problems).toEqual([]);
  });

  it('preserves unknown fields only where a field is meant to carry free-form data', () => {
    const preserved: string[] = [];
    walk(schema, '', (node, path) => {
      if (node['x-kubernetes-preserve-unknown-fields'] === true) preserved.push(path);
    });
    // Only DataContract carries ODCS extension values whose shape the standard leaves open.
    if (k.kind !== 'DataContract') expect(preserved).toEqual([]);
    for (const p of preserved) expect(p).not.toMatch(/^\.(spec|status)$/);
  });

  it('describes every field', () => {
    const missing: string[] = [];
    for (const part of ['spec', 'status'] as const) {
      walk((schema.properties as Record<string, Node>)[part]!, `.${part}`, (node, path) => {
        if (
          path !== `.${part}` &&
          !path.endsWith('[]') &&
          !path.endsWith('{}') &&
          typeof node.description !== 'string'
        ) {
          missing.push(path);
        }
      });
    }
    expect(missing).toEqual([]);
  });

  it('names the kind, short names, category vigil and a status subresource', () => {
    const names = (crd.spec as Node).names as Node;
    expect(names.kind).toBe(k.kind);
    expect(names.shortNames).toEqual(k.shortNames);
    expect(names.categories).toEqual(['vigil']);
    expect(version.subresources).toEqual({ status: {} });
  });

  it('has printer columns that lead with what a person asks first, with Age last', () => {
    const cols = version.additionalPrinterColumns as { name: string }[];
    expect(cols.length).toBeGreaterThanOrEqual(3);
    expect(cols.at(-1)?.name).toBe('Age');
  });
});

describe('committed CRDs parse as YAML with the generated header', () => {
  it.each(KINDS.map((k) => crdPath(k)))('%s', (path) => {
    const text = readFileSync(join(root, path), 'utf8');
    expect(text.startsWith('# Generated from specs/')).toBe(true);
    expect(parse(text).kind).toBe('CustomResourceDefinition');
  });
});
