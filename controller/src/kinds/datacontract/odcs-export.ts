// A DataContract as an ODCS document: the one it was imported from, with the edits made since (spec.odcsRestore),
// or plain ODCS v3.1.0 for a contract that came from nowhere else. Vigil's additions travel in ODCS
// customProperties, so an export stays valid ODCS and a re-import restores them.
import type {
  AnyProperty,
  DataContractObject,
  DataContractSpec,
  SchemaObject,
} from '../../../../specs/datacontract.js';
import { applyRestoreSteps, type RestoreStep } from './odcs-restore.js';
import { isOdcsVersion, LATEST_ODCS_VERSION, type OdcsVersion } from './odcs-schema.js';

type Json = Record<string, unknown>;

/** The ODCS version of a contract that came from nowhere else. */
export const ODCS_API_VERSION = LATEST_ODCS_VERSION;

/** Names of the customProperties that carry Vigil's additions inside an ODCS document. */
export const VIGIL_PROPERTIES = {
  phi: 'vigilPhi',
  nullMarkers: 'vigilNullMarkers',
  ownerTeam: 'vigilOwnerTeam',
  consumers: 'vigilConsumers',
  previousVersion: 'vigilPreviousVersion',
} as const;
export type VigilField = keyof typeof VIGIL_PROPERTIES;

/**
 * A DataContract (or its spec) as an ODCS document: the one it was imported from, with the edits made since, or
 * plain ODCS v3.1.0 for a contract that came from nowhere else.
 */
export function exportOdcs(dc: DataContractObject | DataContractSpec): Json {
  const spec: DataContractSpec = 'spec' in dc && 'apiVersion' in dc ? dc.spec : (dc as DataContractSpec);
  const steps = spec.odcsRestore ?? [];
  const declared = steps.find((s) => s.at === '/apiVersion')?.write;
  // A copy: the steps write into it, and the plain document shares its parts with the spec.
  const doc = structuredClone(plainOdcs(spec, isOdcsVersion(declared) ? declared : LATEST_ODCS_VERSION));
  applyRestoreSteps(doc, steps as RestoreStep[]);
  return doc;
}

/**
 * What Vigil writes for a spec, leaving odcsRestore aside: apiVersion is always the latest, and the rest is shaped
 * as `version` expects it where versions differ (a team of members only is a list before 3.1).
 */
export function plainOdcs(spec: DataContractSpec, version: OdcsVersion): Json {
  const {
    ownerTeam,
    consumers,
    previousVersion,
    odcsRestore: _restore,
    schema,
    id,
    name,
    version: contractVersion,
    status,
    ...rest
  } = spec;
  const doc: Json = {
    apiVersion: ODCS_API_VERSION,
    kind: 'DataContract',
    id,
    ...(name !== undefined ? { name } : {}),
    version: contractVersion,
    status,
    ...rest,
  };
  if (schema !== undefined) doc.schema = schema.map(fromSchemaObject);
  if (version < 'v3.1.0' && rest.team !== undefined && Object.keys(rest.team).every((k) => k === 'members')) {
    doc.team = rest.team.members ?? [];
  }
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
  const { phi, phiAssumed, nullMarkers, properties, items, relationships, ...rest } = p;
  const out: Json = { ...rest };
  if (properties !== undefined) out.properties = properties.map(fromProperty);
  if (items !== undefined) out.items = fromProperty(items);
  if (relationships !== undefined)
    out.relationships = relationships.map(({ to, ...r }) => ({ ...r, to: oneOrMany(to) }));
  // An assumed class is Vigil's default, not a statement about the data: the document stays unclassified.
  return withVigil(out, { phi: phiAssumed ? undefined : phi, nullMarkers });
}
