// ODCS v3 documents in and out of Vigil's DataContract: import checks the document against the standard's own
// JSON Schema, then against the kind; export writes a plain ODCS v3.1.0 document that any ODCS tool reads.
// Vigil's additions travel in ODCS customProperties (vigilPhi, vigilNullMarkers, vigilOwnerTeam, vigilConsumers,
// vigilPreviousVersion), so an exported contract stays valid ODCS and a re-import restores them.
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import type { z } from 'zod';
import { API_GROUP_VERSION, objectName, TEAM_PATTERN } from '../../../../specs/common.js';
import {
  type AnyProperty,
  DataContract,
  type DataContractObject,
  type DataContractSpec,
  type PhiClass,
  phiClass,
  type SchemaObject,
} from '../../../../specs/datacontract.js';
import { compareDiagnostics, type Diagnostic, formatPath, type PathSegment } from '../../diagnostics.js';
import { addFormats } from '../../json-schema.js';
// The standard's JSON Schema as published by the Bitol project (Apache License 2.0); content unmodified.
import odcsJsonSchema from './odcs-json-schema-v3.1.0.json' with { type: 'json' };
import { type Locator, NOWHERE, parseYamlWithPositions } from './yaml-positions.js';

export const ODCS_API_VERSION = 'v3.1.0';

/** Names of the customProperties that carry Vigil's additions inside an ODCS document. */
export const VIGIL_PROPERTIES = {
  phi: 'vigilPhi',
  nullMarkers: 'vigilNullMarkers',
  ownerTeam: 'vigilOwnerTeam',
  consumers: 'vigilConsumers',
  previousVersion: 'vigilPreviousVersion',
} as const;
type VigilField = keyof typeof VIGIL_PROPERTIES;

/**
 * PHI classification given to a property the ODCS document does not classify. `sensitive`, not `none`: an
 * unclassified column in a clinical feed must never read as "no PHI" to a compliance reviewer, so the safe default
 * restricts handling until a person classifies it; each such property also gets a warning naming it. A feed known
 * to carry no patient data can say so explicitly with defaultPhi `none`.
 */
export const DEFAULT_PHI: PhiClass = 'sensitive';

export interface ImportOptions {
  /** metadata.name; derived from the ODCS name (or id) when omitted. */
  name?: string;
  namespace?: string;
  /** The accountable GitHub team (org/team); overrides the document's vigilOwnerTeam. */
  ownerTeam?: string;
  /** PHI class for properties the document does not classify (default: sensitive, with a warning each). */
  defaultPhi?: PhiClass;
  /** File name used in diagnostics. */
  file?: string;
  /** Finds positions in the source text; see importOdcsText. */
  locate?: Locator;
}

export interface ImportResult {
  value?: DataContractObject;
  diagnostics: Diagnostic[];
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// --- the ODCS schema --------------------------------------------------------------------------------------------

let compiled: ValidateFunction | undefined;

/** The ODCS v3.1.0 validator, compiled on first use (compiling takes longer than validating many documents). */
function odcsValidator(): ValidateFunction {
  if (!compiled) {
    // strict: false because the standard's schema uses annotations ajv's strict mode rejects (e.g. `examples` in if/then).
    const ajv = new Ajv2019({ allErrors: true, strict: false, verbose: true });
    addFormats(ajv);
    compiled = ajv.compile(odcsJsonSchema);
  }
  return compiled;
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

/** Check a document against the ODCS v3.1.0 JSON Schema; each problem with its path and a readable message. */
export function validateOdcs(doc: unknown): OdcsProblem[] {
  const validate = odcsValidator();
  if (validate(doc)) return [];
  return readableErrors(validate.errors ?? []);
}

const pointerToPath = (pointer: string): PathSegment[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

const shown = (v: unknown): string => {
  const text = JSON.stringify(v);
  if (text === undefined) return String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};
const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : isRecord(v) ? 'a mapping' : typeof v;
/** `number 1.1`, `a list ["a"]`, `null`. */
const found = (v: unknown): string => (v === null ? 'null' : `${typeOf(v)} ${shown(v)}`);

// Keywords whose errors only say "some branch failed"; the branch's own errors say what is wrong.
const WRAPPERS = new Set(['if', 'oneOf', 'anyOf', 'allOf', 'then', 'else']);

function readableErrors(all: ErrorObject[]): OdcsProblem[] {
  // A failed if/then branch leaves the fields it would have evaluated "unevaluated": such unknown-field errors are
  // echoes of the real problem at the same place, and vanish once it is fixed.
  const placesWithOtherErrors = new Set(
    all
      .filter((e) => e.keyword !== 'unevaluatedProperties' && !WRAPPERS.has(e.keyword))
      .map((e) => e.instancePath),
  );
  const errors = all.filter(
    (e) => e.keyword !== 'unevaluatedProperties' || !placesWithOtherErrors.has(e.instancePath),
  );
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
    push(describeError(e, pointerToPath(e.instancePath)));
  }
  return problems;
}

function describeError(e: ErrorObject, path: PathSegment[]): OdcsProblem {
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
        message: `unknown field "${field}" (not defined by ODCS v3.1.0 here; Vigil's additions go in customProperties)`,
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

// --- import -----------------------------------------------------------------------------------------------------

/** Import an ODCS YAML (or JSON) text, with each problem located as file:line:col. */
export function importOdcsText(
  text: string,
  file: string,
  opts: Omit<ImportOptions, 'file' | 'locate'> = {},
): ImportResult {
  const parsed = parseYamlWithPositions(text, file);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: parsed.diagnostics };
  const result = importOdcs(parsed.value, { ...opts, file, locate: parsed.locate });
  return { ...result, diagnostics: [...parsed.diagnostics, ...result.diagnostics] };
}

/** Import a parsed ODCS v3 document as a DataContract. */
export function importOdcs(doc: unknown, opts: ImportOptions = {}): ImportResult {
  const file = opts.file ?? '<odcs>';
  const locate = opts.locate ?? NOWHERE;
  const diag = (
    path: PathSegment[],
    code: string,
    message: string,
    severity: Diagnostic['severity'] = 'error',
    extra: { atKey?: boolean; hint?: string } = {},
  ): Diagnostic => ({
    file,
    ...locate(path, extra.atKey ? 'key' : 'value'),
    path: formatPath(path),
    code,
    message,
    ...(extra.hint ? { hint: extra.hint } : {}),
    severity,
  });

  if (!isRecord(doc)) {
    return {
      diagnostics: [
        diag([], 'odcs.not-a-contract', `an ODCS contract is a mapping of fields; found ${typeOf(doc)}`),
      ],
    };
  }
  const problems = validateOdcs(doc);
  if (problems.length > 0) {
    return {
      diagnostics: problems
        .map((p) =>
          diag(p.path, p.code, p.message, 'error', { atKey: p.atKey, ...(p.hint ? { hint: p.hint } : {}) }),
        )
        .sort(compareDiagnostics),
    };
  }

  const diagnostics: Diagnostic[] = [];
  const defaultPhi = opts.defaultPhi ?? DEFAULT_PHI;
  const spec = toSpec(doc, {
    ownerTeam: opts.ownerTeam,
    defaultPhi,
    warn: (path, code, message, hint) => diagnostics.push(diag(path, code, message, 'warning', { hint })),
  });
  if (spec.ownerTeam === undefined) {
    diagnostics.push(
      diag(
        [],
        'odcs.owner-team',
        'the contract names no owner team: Vigil needs the accountable GitHub team (org/team)',
        'error',
        {
          hint: `add customProperties: [{property: ${VIGIL_PROPERTIES.ownerTeam}, value: org/team}] or pass --owner-team org/team`,
        },
      ),
    );
  }

  const name = opts.name ?? objectNameFor(doc);
  const object = {
    apiVersion: API_GROUP_VERSION,
    kind: 'DataContract',
    metadata: { name: name ?? '', ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    spec,
  };
  const parsed = DataContract.safeParse(object, { reportInput: true });
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      if (i.path[0] === 'metadata') {
        const what = i.path[1] === 'namespace' ? 'namespace' : 'name';
        const given = what === 'namespace' ? opts.namespace : name;
        diagnostics.push({
          ...diag(
            [],
            `schema.metadata-${what}`,
            `metadata.${what} ${given ? `"${given}" ` : ''}${i.message}`,
          ),
          hint: `pass --${what} with a lowercase name such as "inpatient-encounters"`,
        });
        continue;
      }
      if (i.path[0] === 'spec' && i.path[1] === 'ownerTeam') {
        if (spec.ownerTeam === undefined) continue;
        if (opts.ownerTeam !== undefined) {
          diagnostics.push(diag([], 'schema.owner-team', `--owner-team "${opts.ownerTeam}" ${i.message}`));
          continue;
        }
      }
      for (const p of readableIssues(i)) {
        diagnostics.push(
          diag(odcsPathOf(p.path.slice(1), doc), p.code, p.message, 'error', { atKey: p.atKey }),
        );
      }
    }
  }
  const failed = diagnostics.some((d) => d.severity === 'error');
  diagnostics.sort(compareDiagnostics);
  return { ...(failed || !parsed.success ? {} : { value: parsed.data }), diagnostics };
}

/** A zod issue as a person reads it: one per unknown field (at its key), what was expected and what was found. */
export function readableIssues(i: z.core.$ZodIssue): OdcsProblem[] {
  const path = i.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const base = { path, atKey: false, code: `schema.${i.code}` };
  switch (i.code) {
    case 'unrecognized_keys':
      return i.keys.map((k) => ({
        ...base,
        path: [...path, k],
        atKey: true,
        code: 'schema.unknown-field',
        message: `unknown field "${k}"`,
      }));
    case 'invalid_type':
      // Issues carry their input when parsed with reportInput.
      if (i.input === undefined)
        return [
          {
            ...base,
            atKey: true,
            code: 'schema.required',
            message: `missing required field (expected ${i.expected})`,
          },
        ];
      return [{ ...base, message: `must be ${i.expected}; found ${found(i.input)}` }];
    case 'invalid_value':
      return [
        { ...base, message: `must be one of ${i.values.map(String).join(', ')}; found ${shown(i.input)}` },
      ];
    default:
      return [{ ...base, message: i.message }];
  }
}

/** A Kubernetes name from the contract's ODCS name, else its id: lowercase, "-" for anything else, at most 63. */
function objectNameFor(doc: Json): string | undefined {
  for (const source of [doc.name, doc.id]) {
    if (typeof source !== 'string') continue;
    const name = source
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .slice(0, 63)
      .replace(/^-+|-+$/g, '');
    if (objectName.safeParse(name).success) return name;
  }
  return undefined;
}

interface ConvertContext {
  ownerTeam: string | undefined;
  defaultPhi: PhiClass;
  warn: (path: PathSegment[], code: string, message: string, hint?: string) => void;
}

/** Which of Vigil's additions each kind of element carries; any other stays an ordinary custom property. */
const VIGIL_FIELDS_AT = {
  contract: ['ownerTeam', 'consumers', 'previousVersion'],
  object: ['nullMarkers'],
  property: ['phi', 'nullMarkers'],
} as const satisfies Record<string, readonly VigilField[]>;

/** Split an element's customProperties into Vigil's additions and the rest. */
function takeVigil(
  element: Json,
  fields: readonly VigilField[],
): { vigil: Partial<Record<VigilField, unknown>>; rest: Json } {
  const { customProperties, ...rest } = element;
  const vigil: Partial<Record<VigilField, unknown>> = {};
  if (!Array.isArray(customProperties)) return { vigil, rest: element };
  const others: unknown[] = [];
  for (const cp of customProperties) {
    const field = isRecord(cp) ? fields.find((f) => VIGIL_PROPERTIES[f] === cp.property) : undefined;
    if (field && isRecord(cp)) vigil[field] = cp.value;
    else others.push(cp);
  }
  // An empty list says nothing; dropping it keeps import -> export -> import stable.
  return { vigil, rest: others.length > 0 ? { ...rest, customProperties: others } : rest };
}

const asList = (v: unknown): unknown => (typeof v === 'string' ? [v] : v);

function toSpec(doc: Json, cx: ConvertContext): DataContractSpec {
  const { apiVersion: _a, kind: _k, ...fields } = doc;
  const { vigil, rest } = takeVigil(fields, VIGIL_FIELDS_AT.contract);
  const out: Json = { ...rest };
  if (Array.isArray(out.schema)) out.schema = out.schema.map((o, i) => toSchemaObject(o, ['schema', i], cx));
  // ODCS before 3.1 wrote the team as a list of members.
  if (Array.isArray(out.team)) out.team = { members: out.team };
  const ownerTeam =
    cx.ownerTeam ??
    vigil.ownerTeam ??
    (isRecord(doc.team) && typeof doc.team.name === 'string' && TEAM_PATTERN.test(doc.team.name)
      ? doc.team.name
      : undefined);
  return {
    ...out,
    ...(ownerTeam !== undefined ? { ownerTeam } : {}),
    ...(vigil.consumers !== undefined ? { consumers: vigil.consumers } : {}),
    ...(vigil.previousVersion !== undefined ? { previousVersion: vigil.previousVersion } : {}),
  } as DataContractSpec;
}

function toSchemaObject(o: unknown, at: PathSegment[], cx: ConvertContext): unknown {
  if (!isRecord(o)) return o;
  const { vigil, rest } = takeVigil(o, VIGIL_FIELDS_AT.object);
  const out: Json = { ...rest };
  if (vigil.nullMarkers !== undefined) out.nullMarkers = vigil.nullMarkers;
  if (Array.isArray(out.properties))
    out.properties = out.properties.map((p, i) => toProperty(p, [...at, 'properties', i], cx, false));
  if (Array.isArray(out.relationships)) {
    out.relationships = out.relationships.map((r) =>
      isRecord(r) ? { ...r, from: asList(r.from), to: asList(r.to) } : r,
    );
  }
  if (Array.isArray(out.quality))
    out.quality = out.quality.map((q, i) => toQualityRule(q, [...at, 'quality', i], cx));
  return out;
}

function toProperty(p: unknown, at: PathSegment[], cx: ConvertContext, isItems: boolean): unknown {
  if (!isRecord(p)) return p;
  const { vigil, rest } = takeVigil(p, VIGIL_FIELDS_AT.property);
  const out: Json = { ...rest };
  if (vigil.phi !== undefined) out.phi = vigil.phi;
  else if (!isItems) {
    out.phi = cx.defaultPhi;
    cx.warn(
      [...at, 'name'],
      'phi.unclassified',
      `property "${String(p.name)}" has no PHI classification; classified as "${cx.defaultPhi}" until a person classifies it`,
      `add customProperties: [{property: ${VIGIL_PROPERTIES.phi}, value: ${phiClass.options.join('|')}}]`,
    );
  }
  if (vigil.nullMarkers !== undefined) out.nullMarkers = vigil.nullMarkers;
  if (Array.isArray(out.properties))
    out.properties = out.properties.map((c, i) => toProperty(c, [...at, 'properties', i], cx, false));
  if (isRecord(out.items)) out.items = toProperty(out.items, [...at, 'items'], cx, true);
  if (Array.isArray(out.relationships)) {
    out.relationships = out.relationships.map((r) => (isRecord(r) ? { ...r, to: asList(r.to) } : r));
  }
  if (Array.isArray(out.quality))
    out.quality = out.quality.map((q, i) => toQualityRule(q, [...at, 'quality', i], cx));
  return out;
}

function toQualityRule(q: unknown, at: PathSegment[], cx: ConvertContext): unknown {
  if (!isRecord(q) || q.rule === undefined) return q;
  // `rule` is the deprecated name of `metric` (ODCS 3.0).
  const { rule, ...rest } = q;
  cx.warn(
    [...at, 'rule'],
    'odcs.deprecated',
    `"rule" is deprecated in ODCS 3.1; read as metric "${String(rule)}"`,
    'rename rule to metric',
  );
  return rest.metric === undefined ? { ...rest, metric: rule } : rest;
}

/**
 * The path in the ODCS document of a path in the spec: the same, except that Vigil's fields live in the element's
 * customProperties (and lists ODCS allowed as a single string point at that string).
 */
function odcsPathOf(specPath: PathSegment[], doc: Json): PathSegment[] {
  const out: PathSegment[] = [];
  let node: unknown = doc;
  for (let i = 0; i < specPath.length; i++) {
    const seg = specPath[i]!;
    if (typeof seg === 'string' && seg in VIGIL_PROPERTIES && isRecord(node)) {
      const cps = Array.isArray(node.customProperties) ? node.customProperties : [];
      const k = cps.findIndex((cp) => isRecord(cp) && cp.property === VIGIL_PROPERTIES[seg as VigilField]);
      return k >= 0 ? [...out, 'customProperties', k, 'value', ...specPath.slice(i + 1)] : out;
    }
    if (typeof seg === 'number' && !Array.isArray(node)) return out;
    out.push(seg);
    node = isRecord(node) || Array.isArray(node) ? (node as Record<PathSegment, unknown>)[seg] : undefined;
  }
  return out;
}

// --- export -----------------------------------------------------------------------------------------------------

/** A DataContract (or its spec) as a plain ODCS v3.1.0 document. */
export function exportOdcs(dc: DataContractObject | DataContractSpec): Json {
  const spec: DataContractSpec = 'spec' in dc && 'apiVersion' in dc ? dc.spec : (dc as DataContractSpec);
  const { ownerTeam, consumers, previousVersion, schema, id, name, version, status, ...rest } = spec;
  const doc: Json = {
    apiVersion: ODCS_API_VERSION,
    kind: 'DataContract',
    id,
    ...(name !== undefined ? { name } : {}),
    version,
    status,
    ...rest,
  };
  if (schema !== undefined) doc.schema = schema.map(fromSchemaObject);
  withVigil(doc, { ownerTeam, consumers, previousVersion });
  return orderKeys(doc, TOP_LEVEL_ORDER);
}

// The order ODCS documents are usually written in, so an export reads like a hand-written contract.
const TOP_LEVEL_ORDER = [
  'apiVersion',
  'kind',
  'id',
  'name',
  'version',
  'status',
  'domain',
  'dataProduct',
  'tenant',
  'tags',
  'description',
  'schema',
  'servers',
  'slaDefaultElement',
  'slaProperties',
  'team',
  'roles',
  'support',
  'price',
  'authoritativeDefinitions',
  'customProperties',
  'contractCreatedTs',
];

function orderKeys(o: Json, order: string[]): Json {
  const out: Json = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  for (const [k, v] of Object.entries(o)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

/** Append Vigil's additions to an element's customProperties. */
function withVigil(element: Json, fields: Partial<Record<VigilField, unknown>>): Json {
  const added = (Object.keys(fields) as VigilField[])
    .filter((f) => fields[f] !== undefined)
    .map((f) => ({ property: VIGIL_PROPERTIES[f], value: fields[f] }));
  if (added.length > 0) {
    const existing = Array.isArray(element.customProperties) ? element.customProperties : [];
    element.customProperties = [...existing, ...added];
  }
  return element;
}

const oneOrMany = (refs: string[]): string | string[] => (refs.length === 1 ? refs[0]! : refs);

function fromSchemaObject(o: SchemaObject): Json {
  const { nullMarkers, properties, relationships, ...rest } = o;
  const out: Json = { ...rest };
  if (properties !== undefined) out.properties = properties.map(fromProperty);
  if (relationships !== undefined) {
    // ODCS: a schema-level foreign key is either one property to one property, or lists on both sides.
    out.relationships = relationships.map(({ from, to, ...r }) =>
      from.length === 1 && to.length === 1 ? { ...r, from: from[0], to: to[0] } : { ...r, from, to },
    );
  }
  return withVigil(out, { nullMarkers });
}

function fromProperty(p: AnyProperty): Json {
  const { phi, nullMarkers, properties, items, relationships, ...rest } = p;
  const out: Json = { ...rest };
  if (properties !== undefined) out.properties = properties.map(fromProperty);
  if (items !== undefined) out.items = fromProperty(items);
  if (relationships !== undefined)
    out.relationships = relationships.map(({ to, ...r }) => ({ ...r, to: oneOrMany(to) }));
  return withVigil(out, { phi, nullMarkers });
}
