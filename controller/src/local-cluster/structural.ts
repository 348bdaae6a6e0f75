// Walks over an object guided by a CRD's structural schema: defaulting, pruning and unknown-field detection,
// the three things a real API server does to a custom resource before it validates it.

export interface StructuralSchema {
  type?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema | boolean;
  items?: StructuralSchema;
  required?: string[];
  default?: unknown;
  nullable?: boolean;
  enum?: unknown[];
  description?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: unknown[];
  [keyword: string]: unknown;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fields every object keeps at its root (and embedded resources keep at theirs), whatever the schema says. */
const ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Remove fields the schema does not declare and return their paths (`spec.foo`, `spec.items[0].bar`).
 * Pass `remove: false` to only find them, as `fieldValidation=Strict` and `Warn` need.
 */
export function pruneUnknownFields(obj: Json, schema: StructuralSchema, remove = true): string[] {
  const unknown: string[] = [];
  walkObject(obj, schema, '', true, remove, unknown);
  return unknown;
}

function walkObject(
  value: Json,
  schema: StructuralSchema,
  path: string,
  isRoot: boolean,
  remove: boolean,
  unknown: string[],
): void {
  if (
    schema['x-kubernetes-preserve-unknown-fields'] === true &&
    !schema.properties &&
    !schema.additionalProperties
  ) {
    return;
  }
  const embedded = isRoot || schema['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(value)) {
    const child = value[key];
    if (embedded && ROOT_FIELDS.has(key)) {
      if (key === 'metadata' && isObject(child) && !isRoot) pruneEmbeddedMetadata(child);
      continue;
    }
    const propSchema = schema.properties?.[key];
    if (propSchema) {
      walkValue(child, propSchema, childPath(path, key), remove, unknown);
      continue;
    }
    if (isObject(schema.additionalProperties)) {
      walkValue(child, schema.additionalProperties, childPath(path, key), remove, unknown);
      continue;
    }
    if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields'] === true)
      continue;
    unknown.push(childPath(path, key));
    if (remove) delete value[key];
  }
}

function walkValue(
  value: unknown,
  schema: StructuralSchema,
  path: string,
  remove: boolean,
  unknown: string[],
): void {
  if (isObject(value)) {
    walkObject(value, schema, path, false, remove, unknown);
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      walkValue(item, schema.items as StructuralSchema, `${path}[${i}]`, remove, unknown);
    });
  }
}

const EMBEDDED_METADATA_FIELDS = new Set([
  'name',
  'namespace',
  'labels',
  'annotations',
  'generateName',
  'finalizers',
]);

function pruneEmbeddedMetadata(meta: Json): void {
  for (const key of Object.keys(meta)) if (!EMBEDDED_METADATA_FIELDS.has(key)) delete meta[key];
}

/** Fill `default` values the object leaves out; nulls where the schema is not nullable count as left out. */
export function applyDefaults(value: unknown, schema: StructuralSchema): void {
  if (isObject(value)) {
    if (schema.properties) {
      for (const [key, propSchema] of Object.entries(schema.properties)) {
        if (value[key] === null && propSchema.nullable !== true) delete value[key];
        if (value[key] === undefined && propSchema.default !== undefined) {
          value[key] = structuredClone(propSchema.default);
        }
        if (value[key] !== undefined) applyDefaults(value[key], propSchema);
      }
    }
    if (isObject(schema.additionalProperties)) {
      const valueSchema = schema.additionalProperties;
      for (const key of Object.keys(value)) {
        if (schema.properties?.[key]) continue;
        applyDefaults(value[key], valueSchema);
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    for (const item of value) applyDefaults(item, schema.items);
  }
}

/** Every place in a schema that uses a keyword, as a dotted path; used to refuse what is not implemented. */
export function findKeyword(schema: unknown, keyword: string, path = ''): string[] {
  if (!isObject(schema)) return [];
  const found: string[] = [];
  if (keyword in schema) found.push(path === '' ? '<root>' : path);
  for (const [key, child] of Object.entries(schema)) {
    if (key === 'properties' && isObject(child)) {
      for (const [prop, propSchema] of Object.entries(child)) {
        found.push(
          ...findKeyword(
            propSchema,
            keyword,
            path === '' ? `properties[${prop}]` : `${path}.properties[${prop}]`,
          ),
        );
      }
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      found.push(...findKeyword(child, keyword, path === '' ? key : `${path}.${key}`));
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(child)) {
      child.forEach((s, i) => {
        found.push(...findKeyword(s, keyword, path === '' ? `${key}[${i}]` : `${path}.${key}[${i}]`));
      });
    }
  }
  return found;
}
