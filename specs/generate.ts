// Generates the JSON Schemas (specs/json/) and the CustomResourceDefinitions (crd/) from the zod schemas.
// `npm run gen` writes them; specs/generate.test.ts fails when a committed file differs from what this produces.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { z } from 'zod';
import { API_GROUP, API_GROUP_VERSION, API_VERSION, type KindDefinition } from './common.js';
import { KINDS } from './kinds.js';

type JsonSchema = { [key: string]: unknown };

export const CATEGORY = 'vigil';
export const SCHEMA_BASE_URL = 'https://vigil.dev/schemas/v1alpha1';

/** Path (relative to the repository root) of a kind's JSON Schema. */
export const jsonSchemaPath = (k: KindDefinition) => `specs/json/${k.singular}.json`;
/** Path (relative to the repository root) of a kind's CRD. */
export const crdPath = (k: KindDefinition) => `crd/${k.plural}.${API_GROUP}.yaml`;

/** The JSON Schema editors use (through a yaml-language-server modeline): strict, so unknown fields are flagged. */
export function jsonSchemaFor(k: KindDefinition): JsonSchema {
  const schema = z.toJSONSchema(k.object, { target: 'draft-7', io: 'input' }) as JsonSchema;
  return {
    $schema: schema.$schema,
    $id: `${SCHEMA_BASE_URL}/${k.singular}.json`,
    title: k.kind,
    description: k.description,
    ...withoutKey(schema, '$schema'),
  };
}

/** The OpenAPI v3 schema of a CRD version: structural, with unknown fields pruned by the server instead of refused. */
export function crdSchemaFor(k: KindDefinition): JsonSchema {
  const part = (schema: z.ZodType) =>
    toStructural(
      withoutKey(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as JsonSchema, '$schema'),
    );
  return {
    type: 'object',
    description: k.description,
    properties: {
      apiVersion: { type: 'string', description: `Always ${API_GROUP_VERSION}.` },
      kind: { type: 'string', description: `Always ${k.kind}.` },
      metadata: { type: 'object' },
      spec: part(k.spec),
      status: part(k.status),
    },
    required: ['spec'],
  };
}

export function crdFor(k: KindDefinition): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${k.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'vigil', 'app.kubernetes.io/part-of': 'vigil' },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: k.kind,
        listKind: `${k.kind}List`,
        plural: k.plural,
        singular: k.singular,
        shortNames: k.shortNames,
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: k.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: crdSchemaFor(k) },
        },
      ],
    },
  };
}

/**
 * Kubernetes structural-schema rules: no `additionalProperties` beside `properties` (the server prunes unknown
 * fields instead; `vigil validate` still reports them), and no `pattern` beside a `format` (the server checks the
 * format; zod's date-time pattern is not RE2).
 */
function toStructural(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'pattern' && typeof node.format === 'string') continue;
    if (key === 'properties' && isRecord(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([p, s]) => [p, toStructural(s as JsonSchema)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && isRecord(value)) {
      out[key] = toStructural(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

const isRecord = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

function withoutKey(o: JsonSchema, key: string): JsonSchema {
  const { [key]: _, ...rest } = o;
  return rest;
}

const GENERATED = 'Generated from specs/ by `npm run gen`. Do not edit by hand.';

/** Every generated file: path relative to the repository root -> content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const k of KINDS) {
    files.set(jsonSchemaPath(k), `${JSON.stringify(jsonSchemaFor(k), null, 2)}\n`);
    files.set(crdPath(k), `# ${GENERATED}\n${stringify(crdFor(k), { lineWidth: 0 })}`);
  }
  return files;
}

/** The repository root: the nearest folder above this file (source or compiled) holding package.json. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found above specs/generate');
    dir = up;
  }
  return dir;
}

function main(): void {
  const root = repositoryRoot();
  for (const [path, content] of generatedFiles()) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
