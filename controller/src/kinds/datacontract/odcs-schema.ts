// The Open Data Contract Standard's own JSON Schemas, one per published v3 version, and their errors as a person
// reads them. A document is checked against the schema of the version it declares, never a later one: ODCS v3.0
// allowed shapes (team lists, `rule`, open servers) that v3.1 no longer does, and v3.1 added fields v3.0 lacked.
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { formatPath, type PathSegment } from '../../diagnostics.js';
import { addFormats } from '../../json-schema.js';
// The standard's JSON Schemas as published by the Bitol project (Apache License 2.0, LICENSE beside each);
// content unmodified. v3.1.0 is the copy republished on 2026-05-05, which only marks dataProduct deprecated.
import v300 from './odcs-json-schema-v3.0.0.json' with { type: 'json' };
import v301 from './odcs-json-schema-v3.0.1.json' with { type: 'json' };
import v302 from './odcs-json-schema-v3.0.2.json' with { type: 'json' };
import v310 from './odcs-json-schema-v3.1.0.json' with { type: 'json' };

const SCHEMAS = { 'v3.0.0': v300, 'v3.0.1': v301, 'v3.0.2': v302, 'v3.1.0': v310 } as const;
export type OdcsVersion = keyof typeof SCHEMAS;
export const ODCS_VERSIONS = Object.keys(SCHEMAS) as OdcsVersion[];
/** The version Vigil writes when a contract came from nowhere else. */
export const LATEST_ODCS_VERSION: OdcsVersion = 'v3.1.0';

export const isOdcsVersion = (v: unknown): v is OdcsVersion =>
  typeof v === 'string' && (ODCS_VERSIONS as string[]).includes(v);

const compiled = new Map<OdcsVersion, ValidateFunction>();

/** The validator of one ODCS version, compiled on first use (compiling takes longer than validating many documents). */
function odcsValidator(version: OdcsVersion): ValidateFunction {
  let validate = compiled.get(version);
  if (!validate) {
    // strict: false because the standard's schemas use annotations ajv's strict mode rejects (e.g. `examples` in if/then).
    const ajv = new Ajv2019({ allErrors: true, strict: false, verbose: true });
    addFormats(ajv);
    validate = ajv.compile(SCHEMAS[version]);
    compiled.set(version, validate);
  }
  return validate;
}

/** A problem in a document, before it is located in a file. */
export interface OdcsProblem {
  /** Path inside the document. */
  path: PathSegment[];
  /** Whether the path names a field that should not be there (point at its key rather than its value). */
  atKey: boolean;
  code: string;
  message: string;
  hint?: string;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check a document against the ODCS JSON Schema of the version it declares in apiVersion; each problem with its
 * path and a readable message. A document that declares no version Vigil knows gets that one problem.
 */
export function validateOdcs(doc: unknown): OdcsProblem[] {
  const version = isRecord(doc) ? doc.apiVersion : undefined;
  if (!isOdcsVersion(version)) {
    const known = ODCS_VERSIONS.join(', ');
    return [
      isRecord(doc) && version !== undefined
        ? {
            path: ['apiVersion'],
            atKey: false,
            code: 'odcs.api-version',
            message: `must be an ODCS version Vigil reads (${known}); found ${shown(version)}`,
          }
        : {
            path: [],
            atKey: false,
            code: 'odcs.required',
            message: `missing required field "apiVersion" (one of ${known})`,
          },
    ];
  }
  const validate = odcsValidator(version);
  if (validate(doc)) return [];
  return readableErrors(validate.errors ?? [], version);
}

const pointerToPath = (pointer: string): PathSegment[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

export const shown = (v: unknown): string => {
  const text = JSON.stringify(v);
  if (text === undefined) return String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};
export const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : isRecord(v) ? 'a mapping' : typeof v;
/** `number 1.1`, `a list ["a"]`, `null`. */
export const found = (v: unknown): string => (v === null ? 'null' : `${typeOf(v)} ${shown(v)}`);

// Keywords whose errors only say "some branch failed"; the branch's own errors say what is wrong.
const WRAPPERS = new Set(['if', 'oneOf', 'anyOf', 'allOf', 'then', 'else']);

const definedFields = new Map<OdcsVersion, Set<string>>();

/** Every field name the version's schema defines somewhere. */
function fieldsOf(version: OdcsVersion): Set<string> {
  let names = definedFields.get(version);
  if (!names) {
    const found = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) for (const n of node) walk(n);
      else if (isRecord(node)) {
        if (isRecord(node.properties)) for (const k of Object.keys(node.properties)) found.add(k);
        for (const v of Object.values(node)) walk(v);
      }
    };
    walk(SCHEMAS[version]);
    names = found;
    definedFields.set(version, names);
  }
  return names;
}

function readableErrors(all: ErrorObject[], version: OdcsVersion): OdcsProblem[] {
  // A failed if/then branch leaves the fields it would have evaluated "unevaluated": such unknown-field errors are
  // echoes of the real problem at or below the same place, and vanish once it is fixed. A field the standard
  // defines nowhere is unknown whatever else is wrong, and is always reported.
  const placesWithOtherErrors = new Set(
    all
      .filter((e) => e.keyword !== 'unevaluatedProperties' && !WRAPPERS.has(e.keyword))
      .map((e) => e.instancePath),
  );
  const failedPlaces = all.filter((e) => e.keyword !== 'unevaluatedProperties').map((e) => e.instancePath);
  const echo = (e: ErrorObject) => {
    if (placesWithOtherErrors.has(e.instancePath)) return true;
    const field = String((e.params as { unevaluatedProperty?: unknown }).unevaluatedProperty);
    const below = failedPlaces.some((p) => p === e.instancePath || p.startsWith(`${e.instancePath}/`));
    return below && fieldsOf(version).has(field);
  };
  const errors = all.filter((e) => e.keyword !== 'unevaluatedProperties' || !echo(e));
  const specific = errors.filter((e) => !WRAPPERS.has(e.keyword));
  const problems: OdcsProblem[] = [];
  const seen = new Set<string>();
  const push = (p: OdcsProblem) => {
    const key = `${formatPath(p.path)}|${p.message}`;
    if (!seen.has(key)) problems.push(p);
    seen.add(key);
  };
  // "needs one of": every branch of a oneOf/anyOf failed only for want of its one field (the quality operators).
  const alternatives = new Map<string, ErrorObject[]>();
  for (const e of specific) {
    const branch = /^(.*\/(?:oneOf|anyOf))\/\d+\/required$/.exec(e.schemaPath);
    if (branch)
      alternatives.set(`${e.instancePath}|${branch[1]}`, [
        ...(alternatives.get(`${e.instancePath}|${branch[1]}`) ?? []),
        e,
      ]);
  }
  const folded = new Set<ErrorObject>();
  for (const group of alternatives.values()) {
    if (group.length < 2) continue;
    for (const e of group) folded.add(e);
    const fields = group.map((e) => String((e.params as { missingProperty: unknown }).missingProperty));
    push({
      path: pointerToPath(group[0]!.instancePath),
      atKey: false,
      code: 'odcs.required',
      message: `needs one of ${fields.join(', ')}; found none`,
    });
  }
  for (const e of errors) {
    if (folded.has(e)) continue;
    if (WRAPPERS.has(e.keyword)) {
      // Keep a wrapper only when nothing more specific was said at or below its path.
      const covered = specific.some(
        (s) => s.instancePath === e.instancePath || s.instancePath.startsWith(`${e.instancePath}/`),
      );
      if (covered || e.keyword === 'if') continue;
    }
    push(describeError(e, pointerToPath(e.instancePath), version));
  }
  return problems;
}

function describeError(e: ErrorObject, path: PathSegment[], version: OdcsVersion): OdcsProblem {
  const params = e.params as Record<string, unknown>;
  const base = { path, atKey: false, code: `odcs.${e.keyword}` };
  switch (e.keyword) {
    case 'required':
      return { ...base, message: `missing required field "${params.missingProperty}"` };
    case 'unevaluatedProperties':
    case 'additionalProperties': {
      const field = String(params.unevaluatedProperty ?? params.additionalProperty);
      return {
        ...base,
        path: [...path, field],
        atKey: true,
        code: 'odcs.unknown-field',
        message: `unknown field "${field}" (not defined by ODCS ${version} here; Vigil's additions go in customProperties)`,
      };
    }
    case 'type': {
      const hint =
        params.type === 'string' && typeof e.data === 'number'
          ? `quote it, e.g. "${String(e.data)}"`
          : undefined;
      return {
        ...base,
        message: `must be ${params.type}; found ${found(e.data)}`,
        ...(hint ? { hint } : {}),
      };
    }
    case 'enum':
      return {
        ...base,
        message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}; found ${shown(e.data)}`,
      };
    case 'const':
      return { ...base, message: `must be ${shown(params.allowedValue)}; found ${shown(e.data)}` };
    case 'format':
      return { ...base, message: `must be a ${params.format} value; found ${shown(e.data)}` };
    case 'pattern':
      return { ...base, message: `must match ${params.pattern}; found ${shown(e.data)}` };
    case 'oneOf':
    case 'anyOf':
      return { ...base, message: `matches none of the forms ODCS allows here; found ${shown(e.data)}` };
    default:
      return { ...base, message: `${e.message ?? 'is invalid'}; found ${shown(e.data)}` };
  }
}
