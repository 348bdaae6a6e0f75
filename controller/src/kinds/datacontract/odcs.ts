// ODCS v3 documents in and out of Vigil's DataContract. Import checks the document against the JSON Schema of the
// ODCS version it declares (v3.0.0 to v3.1.0), reads it into the kind, and keeps what Vigil reads differently or
// not at all (spec.odcsRestore), so that export gives the document back as it came in. A contract that came from
// nowhere else exports as plain ODCS v3.1.0. Vigil's additions travel in ODCS customProperties (vigilPhi,
// vigilNullMarkers, vigilOwnerTeam, vigilConsumers, vigilPreviousVersion), so an export stays valid ODCS and a
// re-import restores them.
import type { z } from 'zod';
import { API_GROUP_VERSION, objectName, TEAM_PATTERN } from '../../../../specs/common.js';
import {
  DataContract,
  type DataContractObject,
  type DataContractSpec,
  type PhiClass,
  phiClass,
  QUALITY_METRICS,
} from '../../../../specs/datacontract.js';
import { compareDiagnostics, type Diagnostic, formatPath, type PathSegment } from '../../diagnostics.js';
import { plainOdcs, VIGIL_PROPERTIES, type VigilField } from './odcs-export.js';
import { restoreSteps } from './odcs-restore.js';
import {
  found,
  isOdcsVersion,
  ODCS_VERSIONS,
  type OdcsProblem,
  type OdcsVersion,
  shown,
  typeOf,
  validateOdcs,
} from './odcs-schema.js';
import { setAsideUnread } from './odcs-set-aside.js';
import { readDuration, readStatus, readVersion } from './odcs-variants.js';
import { type Locator, NOWHERE, parseYamlWithPositions } from './yaml-positions.js';

export { exportOdcs, ODCS_API_VERSION, VIGIL_PROPERTIES } from './odcs-export.js';
export { type OdcsProblem, validateOdcs } from './odcs-schema.js';

/**
 * PHI classification given to a property the ODCS document does not classify. `sensitive`, not `none`: an
 * unclassified column in a clinical feed must never read as "no PHI" to a compliance reviewer, so the safe default
 * restricts handling until a person classifies it; each such property also gets a warning naming it, and is marked
 * phiAssumed so that an export leaves it unclassified. A feed known to carry no patient data can say so explicitly
 * with defaultPhi `none`.
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
  if (problems.length > 0 || !isOdcsVersion(doc.apiVersion)) {
    const diagnostics = problems.map((p) =>
      diag(p.path, p.code, p.message, 'error', { atKey: p.atKey, ...(p.hint ? { hint: p.hint } : {}) }),
    );
    // Published contracts sometimes take up a later version's shapes but keep the old apiVersion.
    const declared = doc.apiVersion;
    const fits = isOdcsVersion(declared)
      ? ODCS_VERSIONS.filter((v) => v !== declared && validateOdcs({ ...doc, apiVersion: v }).length === 0)
      : [];
    if (fits.length > 0) {
      diagnostics.push(
        diag(
          ['apiVersion'],
          'odcs.api-version-mismatch',
          `the document declares ODCS ${String(declared)} but is written as ODCS ${fits.join(', ')} expects`,
          'warning',
          { hint: `if it follows ODCS ${fits[fits.length - 1]}, say apiVersion: ${fits[fits.length - 1]}` },
        ),
      );
    }
    return { diagnostics: diagnostics.sort(compareDiagnostics) };
  }
  const version = doc.apiVersion;

  const diagnostics: Diagnostic[] = [];
  const defaultPhi = opts.defaultPhi ?? DEFAULT_PHI;
  const warn = (path: PathSegment[], code: string, message: string, hint?: string, atKey?: boolean) =>
    diagnostics.push(diag(path, code, message, 'warning', { hint, atKey }));
  const spec = toSpec(structuredClone(doc), { ownerTeam: opts.ownerTeam, defaultPhi, version, warn });
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
  const setAside = setAsideUnread(object, version, warn, (specPath) => odcsPathOf(specPath, doc)).map(
    formatPath,
  );
  // A property Vigil does not read needs no PHI class from it.
  const inSetAside = (d: Diagnostic) =>
    setAside.some((p) => d.path.startsWith(p) && /^[.[]/.test(d.path.slice(p.length)));
  for (let k = diagnostics.length - 1; k >= 0; k--) {
    if (diagnostics[k]!.code === 'phi.unclassified' && inSetAside(diagnostics[k]!)) diagnostics.splice(k, 1);
  }
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
  if (failed || !parsed.success) return { diagnostics };
  const value = parsed.data;
  // Whatever Vigil would write differently from the document is kept, so export gives the document back.
  const steps = restoreSteps(plainOdcs(value.spec, version), doc);
  if (steps.length > 0) value.spec.odcsRestore = steps;
  return { value, diagnostics };
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
  version: OdcsVersion;
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

const DURATION_PROPERTIES = new Set(['latency', 'frequency', 'retention', 'freshness']);

function toSpec(doc: Json, cx: ConvertContext): DataContractSpec {
  const { apiVersion: _a, kind: _k, ...fields } = doc;
  const { vigil, rest } = takeVigil(fields, VIGIL_FIELDS_AT.contract);
  const out: Json = { ...rest };
  if (typeof out.status === 'string') {
    const read = readStatus(out.status);
    if (!read.exact) {
      cx.warn(
        ['status'],
        'odcs.status',
        read.guessed
          ? `status "${out.status}" is not a lifecycle Vigil knows; read as "draft" until it says proposed, draft, active, deprecated or retired`
          : `status "${out.status}" read as "${read.status}" (Vigil's lifecycle: proposed, draft, active, deprecated, retired)`,
      );
    }
    out.status = read.status;
  }
  if (typeof out.version === 'string') {
    const read = readVersion(out.version);
    if (read !== out.version) {
      cx.warn(
        ['version'],
        'odcs.version',
        read === undefined
          ? `version "${out.version}" is not a semantic version; read as "0.0.0", so Vigil cannot tell a major change by it`
          : `version "${out.version}" read as the semantic version "${read}"`,
      );
    }
    out.version = read ?? '0.0.0';
  }
  if (Array.isArray(out.schema)) out.schema = out.schema.map((o, i) => toSchemaObject(o, ['schema', i], cx));
  // ODCS before 3.1 wrote the team as a list of members.
  if (Array.isArray(out.team)) out.team = { members: out.team };
  if (Array.isArray(out.slaProperties)) {
    out.slaProperties = out.slaProperties.map((p, i) => toSlaProperty(p, ['slaProperties', i], cx));
  }
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

function toSlaProperty(p: unknown, at: PathSegment[], cx: ConvertContext): unknown {
  if (!isRecord(p)) return p;
  const out: Json = { ...p };
  // ODCS 3.0 named the element `column`.
  if (out.column !== undefined && out.element === undefined) {
    out.element = out.column;
    delete out.column;
  }
  if (
    typeof out.value === 'string' &&
    DURATION_PROPERTIES.has(String(out.property)) &&
    out.unit === undefined
  ) {
    const d = readDuration(out.value);
    if (d) {
      if (d.approximate) {
        cx.warn(
          [...at, 'value'],
          'odcs.duration',
          `${String(out.property)} "${out.value}" read as ${d.value} ${d.unit}, counting a year as 365 days and a month as 30`,
        );
      }
      out.value = d.value;
      out.unit = d.unit;
    }
  }
  return out;
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
    out.phiAssumed = true;
    cx.warn(
      [...at, 'name'],
      'phi.unclassified',
      `property "${String(p.name)}" has no PHI classification; classified as "${cx.defaultPhi}" until a person classifies it`,
      `add customProperties: [{property: ${VIGIL_PROPERTIES.phi}, value: ${phiClass.options.join('|')}}]`,
    );
  }
  if (vigil.nullMarkers !== undefined) out.nullMarkers = vigil.nullMarkers;
  if (isRecord(out.logicalTypeOptions)) out.logicalTypeOptions = toBounds(out.logicalTypeOptions);
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

/**
 * ODCS 3.0 wrote an exclusive bound JSON Schema draft 4's way, as `exclusiveMaximum: true` beside `maximum`;
 * ODCS 3.1 writes the bound itself as `exclusiveMaximum`. Both say the same.
 */
function toBounds(o: Json): Json {
  const out = { ...o };
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] === true && out[bound] !== undefined) {
      out[flag] = out[bound];
      delete out[bound];
    } else delete out[flag];
  }
  return out;
}

function toQualityRule(q: unknown, at: PathSegment[], cx: ConvertContext): unknown {
  if (!isRecord(q) || q.rule === undefined) return q;
  // `rule` is the deprecated name of `metric` (ODCS 3.0); ODCS 3.0's own rule names are not metrics Vigil runs.
  if (!(QUALITY_METRICS as readonly unknown[]).includes(q.rule) || q.metric !== undefined) return q;
  const { rule, ...rest } = q;
  cx.warn(
    [...at, 'rule'],
    'odcs.deprecated',
    `"rule" is deprecated in ODCS 3.1; read as metric "${String(rule)}"`,
    'rename rule to metric',
  );
  return { ...rest, metric: rule };
}
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
    if (seg === 'members' && Array.isArray(node)) continue;
    if (typeof seg === 'number' && !Array.isArray(node)) return out;
    out.push(seg);
    node = isRecord(node) || Array.isArray(node) ? (node as Record<PathSegment, unknown>)[seg] : undefined;
  }
  return out;
}
