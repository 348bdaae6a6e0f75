// Validation of custom resources against a CRD's openAPIV3Schema, compiled once per CRD version with ajv,
// with each failure worded as the real API server words it so users see the same text either way.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { addFormats } from '../json-schema.js';
import { fieldError, type StatusCause } from './errors.js';
import type { StructuralSchema } from './structural.js';

export type SchemaValidator = (obj: unknown) => StatusCause[];

let shared: Ajv | undefined;

function ajv(): Ajv {
  if (shared) return shared;
  shared = new Ajv({ allErrors: true, strict: false, verbose: true, logger: false, validateFormats: true });
  addFormats(shared);
  // Kubernetes formats that constrain nothing beyond the type.
  for (const f of ['int32', 'int64', 'float', 'double', 'byte', 'password', 'binary', 'quantity']) {
    shared.addFormat(f, true);
  }
  return shared;
}

/** Translate a CRD schema (OpenAPI 3.0 flavour with x-kubernetes extensions) into plain JSON Schema for ajv. */
export function toJsonSchema(schema: StructuralSchema, isRoot = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'default' || key === 'description' || key === 'example')
      continue;
    if (key === 'nullable' || key === 'externalDocs') continue;
    if (key === 'properties' && value && typeof value === 'object') {
      const props: Record<string, unknown> = {};
      for (const [name, s] of Object.entries(value as Record<string, StructuralSchema>)) {
        props[name] = toJsonSchema(s, false);
      }
      out.properties = props;
    } else if (
      (key === 'items' || key === 'additionalProperties' || key === 'not') &&
      typeof value === 'object'
    ) {
      out[key] = toJsonSchema(value as StructuralSchema, false);
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map((s) => toJsonSchema(s as StructuralSchema, false));
    } else {
      out[key] = value;
    }
  }
  // OpenAPI 3.0 spells exclusive bounds as booleans beside minimum/maximum.
  if (schema.exclusiveMinimum === true && typeof schema.minimum === 'number') {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  } else if (typeof schema.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
  if (schema.exclusiveMaximum === true && typeof schema.maximum === 'number') {
    out.exclusiveMaximum = schema.maximum;
    delete out.maximum;
  } else if (typeof schema.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum;
  if (schema['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }, ...((out.anyOf as unknown[]) ?? [])];
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (isRoot) {
    // metadata is validated by the server's own rules, not the CRD's schema.
    const props = out.properties as Record<string, unknown> | undefined;
    if (props?.metadata) props.metadata = { type: 'object' };
  }
  return out;
}

/** Compile a schema once; the returned function gives field errors in the real server's wording. */
export function compileValidator(schema: StructuralSchema): SchemaValidator {
  const validate: ValidateFunction = ajv().compile(toJsonSchema(schema));
  return (obj: unknown) => {
    if (validate(obj)) return [];
    return describeErrors(validate.errors ?? [], obj);
  };
}

function describeErrors(errors: ErrorObject[], root: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  // anyOf/oneOf report their branches' failures too; the branch noise is what a real server also omits.
  const branchPaths = new Set(
    errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath),
  );
  for (const e of errors) {
    if ([...branchPaths].some((p) => e.schemaPath !== p && e.schemaPath.startsWith(`${p}/`))) continue;
    const cause = describeError(e, root);
    if (!cause) continue;
    const key = `${cause.field}|${cause.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    causes.push(cause);
  }
  return causes;
}

/** `/spec/items/0/name` -> `spec.items[0].name`, looking at the data to tell list indexes from map keys. */
export function fieldPath(instancePath: string, root: unknown): string {
  if (instancePath === '') return '';
  let out = '';
  let cursor: unknown = root;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cursor)) {
      out += `[${seg}]`;
      cursor = cursor[Number(seg)];
    } else {
      out += out === '' ? seg : `.${seg}`;
      cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function describeError(e: ErrorObject, root: unknown): StatusCause | undefined {
  const field = fieldPath(e.instancePath, root);
  const inBody = field === '' ? 'body' : `${field} in body`;
  const p = e.params as Record<string, unknown>;
  const value = e.data;
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return fieldError.required(field === '' ? missing : `${field}.${missing}`);
    }
    case 'type': {
      const expected = Array.isArray(p.type) ? p.type.filter((t) => t !== 'null').join(',') : String(p.type);
      const actual = jsonTypeName(value);
      return fieldError.typeInvalid(
        field,
        actual,
        `${inBody} must be of type ${expected}: ${JSON.stringify(actual)}`,
      );
    }
    case 'enum':
      return fieldError.notSupported(field, value, (p.allowedValues as unknown[]) ?? []);
    case 'const':
      return fieldError.notSupported(field, value, [p.allowedValue]);
    case 'minimum':
      return fieldError.invalid(field, value, `${inBody} should be greater than or equal to ${p.limit}`);
    case 'exclusiveMinimum':
      return fieldError.invalid(field, value, `${inBody} should be greater than ${p.limit}`);
    case 'maximum':
      return fieldError.invalid(field, value, `${inBody} should be less than or equal to ${p.limit}`);
    case 'exclusiveMaximum':
      return fieldError.invalid(field, value, `${inBody} should be less than ${p.limit}`);
    case 'multipleOf':
      return fieldError.invalid(field, value, `${inBody} should be a multiple of ${p.multipleOf}`);
    case 'minLength':
      return fieldError.invalid(field, value, `${inBody} should be at least ${p.limit} chars long`);
    case 'maxLength':
      return fieldError.invalid(field, value, `${inBody} should be at most ${p.limit} chars long`);
    case 'pattern':
      return fieldError.invalid(field, value, `${inBody} should match '${p.pattern}'`);
    case 'format':
      return fieldError.invalid(
        field,
        value,
        `${inBody} must be of type ${p.format}: ${JSON.stringify(value)}`,
      );
    case 'minItems':
      return fieldError.invalid(field, value, `${inBody} should have at least ${p.limit} items`);
    case 'maxItems':
      return fieldError.invalid(field, value, `${inBody} should have at most ${p.limit} items`);
    case 'uniqueItems':
      return fieldError.duplicate(`${field}[${p.i}]`, Array.isArray(value) ? value[Number(p.i)] : value);
    case 'minProperties':
      return fieldError.invalid(field, value, `${inBody} should have at least ${p.limit} properties`);
    case 'maxProperties':
      return fieldError.invalid(field, value, `${inBody} should have at most ${p.limit} properties`);
    case 'oneOf':
      return fieldError.invalid(field, value, `"${field}" must validate one and only one schema (oneOf)`);
    case 'anyOf':
      return fieldError.invalid(field, value, `"${field}" must validate at least one schema (anyOf)`);
    case 'not':
      return fieldError.invalid(field, value, `"${field}" must not validate the schema (not)`);
    case 'additionalProperties':
      return fieldError.forbidden(
        field === '' ? String(p.additionalProperty) : `${field}.${String(p.additionalProperty)}`,
        'field not allowed',
      );
    default:
      return fieldError.invalid(field, value, e.message ?? 'invalid');
  }
}
