// What of a valid ODCS document the kind does not model: fields of servers or team members that ODCS 3.0 left
// open, nesting deeper than three levels, quality rules without a threshold. Each such part leaves the spec with a
// warning (Vigil reads less than was written); spec.odcsRestore keeps it for export.
import { DataContract, type DataContractSpec } from '../../../../specs/datacontract.js';
import { formatPath, type PathSegment } from '../../diagnostics.js';
import type { OdcsVersion } from './odcs-schema.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export type Warn = (
  path: PathSegment[],
  code: string,
  message: string,
  hint?: string,
  atKey?: boolean,
) => void;
/** Where a path of the spec lies in the ODCS document. */
export type WhereInDocument = (specPath: PathSegment[]) => PathSegment[];

// Fields that carry Vigil's own decisions: a problem there is the author's to fix, never something to set aside.
export const VIGIL_SPEC_FIELDS = new Set([
  'phi',
  'phiAssumed',
  'nullMarkers',
  'ownerTeam',
  'consumers',
  'previousVersion',
  'odcsRestore',
]);

// Lists whose items Vigil sets aside whole when it cannot act on one: a quality rule it cannot run, a server it
// cannot reach, a promise it cannot check. Anything else loses only the field in question.
const WHOLE_ITEMS: Record<string, string> = {
  quality: 'quality rule',
  servers: 'server',
  slaProperties: 'service-level promise',
  relationships: 'relationship',
  roles: 'role',
  support: 'support channel',
  members: 'team member',
  authoritativeDefinitions: 'authoritative definition',
  customProperties: 'custom property',
  examples: 'example',
  tags: 'tag',
};

/**
 * A document valid ODCS may still hold what the kind does not model (fields of servers or members ODCS 3.0 left
 * open, nesting deeper than three levels, rules without a threshold): each such part leaves the spec with a
 * warning, and odcsRestore keeps it for export. Vigil's own fields are never set aside: their problems stay errors.
 * Returns where in the document each part set aside lies.
 */
export function setAsideUnread(
  object: { spec: DataContractSpec },
  version: OdcsVersion,
  warn: Warn,
  whereInDocument: WhereInDocument,
): PathSegment[][] {
  const spec = object.spec as unknown as Json;
  const setAside: PathSegment[][] = [];
  for (let round = 0; round < 50; round++) {
    const parsed = DataContract.safeParse(object);
    if (parsed.success) return setAside;
    const targets = new Map<string, { path: PathSegment[]; warning: () => void }>();
    for (const i of parsed.error.issues) {
      const path = i.path.filter((s): s is PathSegment => typeof s !== 'symbol');
      if (path[0] !== 'spec' || path.length < 2) continue;
      const at = path.slice(1);
      if (at.some((s) => typeof s === 'string' && VIGIL_SPEC_FIELDS.has(s))) continue;
      if (at.length === 1 && ['id', 'version', 'status'].includes(String(at[0]))) continue;
      if (i.code === 'unrecognized_keys') {
        for (const key of i.keys) {
          const field = [...at, key];
          targets.set(JSON.stringify(field), {
            path: field,
            warning: () => warnUnread(field, version, warn, whereInDocument, spec),
          });
        }
        continue;
      }
      const item = wholeItem(at, spec);
      targets.set(JSON.stringify(item), {
        path: item,
        warning: () => {
          const list = item[item.length - 2];
          const what =
            typeof list === 'string' && WHOLE_ITEMS[list] ? `this ${WHOLE_ITEMS[list]}` : 'this field';
          warn(
            whereInDocument(item),
            'odcs.set-aside',
            `Vigil does not act on ${what} (${formatPath(at)}: ${i.message}); it is kept as written and exported again`,
            undefined,
            typeof item[item.length - 1] === 'string',
          );
        },
      });
    }
    // Deepest first, and later list items before earlier ones, so no removal shifts another's path.
    const chosen = [...targets.values()]
      .filter((t) => ![...targets.values()].some((o) => o !== t && isPrefix(o.path, t.path)))
      .sort((a, b) => comparePathsDescending(a.path, b.path));
    if (chosen.length === 0) return setAside;
    for (const t of chosen) {
      t.warning();
      setAside.push(whereInDocument(t.path));
      removeAt(spec, t.path);
    }
  }
  return setAside;
}

function warnUnread(
  field: PathSegment[],
  version: OdcsVersion,
  warn: Warn,
  whereInDocument: WhereInDocument,
  spec: Json,
): void {
  const key = String(field[field.length - 1]);
  const owner = getAt(spec, field.slice(0, -1));
  const at = whereInDocument(field);
  if ((key === 'properties' || key === 'items') && isRecord(owner) && owner.logicalType !== undefined) {
    warn(
      at,
      'odcs.nested-too-deep',
      `Vigil reads properties nested three levels deep; what lies below is kept as written and exported again, but not checked`,
      undefined,
      true,
    );
    return;
  }
  const where =
    field[0] === 'servers' && isRecord(owner) && typeof owner.type === 'string'
      ? ` of a ${owner.type} server`
      : '';
  warn(
    at,
    'odcs.not-read',
    `Vigil does not read "${key}"${where} (ODCS ${version} allows it here); it is kept as written and exported again`,
    undefined,
    true,
  );
}

/**
 * The item of a list named in WHOLE_ITEMS that holds `at`, else the field itself (or its owner, if it is missing).
 * A server keeps what Vigil can use of it: a connection field its type does not take is set aside alone.
 */
function wholeItem(at: PathSegment[], spec: Json): PathSegment[] {
  if (at[0] === 'servers' && at.length === 3 && typeof at[2] === 'string' && getAt(spec, at) !== undefined)
    return at;
  for (let n = at.length - 1; n >= 1; n--) {
    const list = at[n - 1];
    if (typeof at[n] === 'number' && typeof list === 'string' && WHOLE_ITEMS[list]) return at.slice(0, n + 1);
  }
  return getAt(spec, at) !== undefined || at.length === 1 ? at : at.slice(0, -1);
}

const isPrefix = (a: PathSegment[], b: PathSegment[]) => a.length < b.length && a.every((s, i) => s === b[i]);

function comparePathsDescending(a: PathSegment[], b: PathSegment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (typeof a[i] === 'number' && typeof b[i] === 'number') return (b[i] as number) - (a[i] as number);
    return String(b[i]).localeCompare(String(a[i]));
  }
  return b.length - a.length;
}

function getAt(root: unknown, path: PathSegment[]): unknown {
  let node = root;
  for (const seg of path) {
    if (!isRecord(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<PathSegment, unknown>)[seg];
  }
  return node;
}

function removeAt(root: Json, path: PathSegment[]): void {
  const owner = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(owner) && typeof last === 'number') owner.splice(last, 1);
  else if (isRecord(owner)) delete owner[last];
}

/**
 * The path in the ODCS document of a path in the spec: the same, except that Vigil's fields live in the element's
 * customProperties, an ODCS 3.0 team is the list of members itself, and lists ODCS allowed as a single string
 * point at that string.
 */
