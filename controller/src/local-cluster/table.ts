// Server-side printing: `meta.k8s.io/v1` Tables for `kubectl get`, from a CRD's additionalPrinterColumns
// (JSONPath) or a built-in kind's own columns, with ages rendered as kubectl users expect ("5m", "3d4h").
import { JSONPath } from 'jsonpath-plus';
import type { BuiltinColumn, KubeObject, PrinterColumn, ResourceType } from './resources.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** How a table row carries its object: `includeObject=None|Metadata|Object` (Metadata by default). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

const NAME_COLUMN: TableColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  priority: 0,
};

export const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.',
};

/** Kubernetes' HumanDuration: the short, coarsening age format of `kubectl get`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const d = Math.floor(hours / 24);
    return h === 0 ? `${d}d` : `${d}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const y = Math.floor(hours / 24 / 365);
    return `${y}y${Math.floor(hours / 24) % 365}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** A date cell is shown as an age; a value that is not a time is left out, as the real converter does. */
export function ageCell(value: unknown, now: number): string | null {
  if (typeof value !== 'string') return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return null;
  return humanDuration(now - t);
}

type ColumnReader = (obj: KubeObject) => unknown;

const readers = new Map<string, ColumnReader>();

function walk(value: unknown, keys: readonly string[]): unknown {
  let cursor = value;
  for (const k of keys) {
    if (cursor === null || typeof cursor !== 'object' || Array.isArray(cursor)) return undefined;
    cursor = (cursor as Record<string, unknown>)[k];
  }
  return cursor;
}

const DOTTED = /^(?:\.[A-Za-z0-9_-]+)+$/;
const FILTERED =
  /^((?:\.[A-Za-z0-9_-]+)+)\[\?\(@\.([A-Za-z0-9_-]+)\s*==\s*["']([^"']*)["']\)\]((?:\.[A-Za-z0-9_-]+)*)$/;

/**
 * Compile a printer column's JSONPath once. The two shapes CRDs use almost always (`.spec.riskClass` and
 * `.status.conditions[?(@.type=="Ready")].status`) are read directly; anything else goes to jsonpath-plus.
 */
function readerFor(jsonPath: string): ColumnReader {
  let reader = readers.get(jsonPath);
  if (reader) return reader;
  const filtered = FILTERED.exec(jsonPath);
  if (DOTTED.test(jsonPath)) {
    const keys = jsonPath.slice(1).split('.');
    reader = (obj) => walk(obj, keys);
  } else if (filtered) {
    const listKeys = filtered[1]!.slice(1).split('.');
    const field = filtered[2]!;
    const expected = filtered[3]!;
    const restKeys = filtered[4] ? filtered[4].slice(1).split('.') : [];
    reader = (obj) => {
      const list = walk(obj, listKeys);
      if (!Array.isArray(list)) return undefined;
      const item = list.find(
        (e) => e && typeof e === 'object' && String((e as Record<string, unknown>)[field]) === expected,
      );
      return item === undefined ? undefined : walk(item, restKeys);
    };
  } else {
    const path = jsonPath.startsWith('$')
      ? jsonPath
      : `$${jsonPath.startsWith('.') || jsonPath.startsWith('[') ? '' : '.'}${jsonPath}`;
    reader = (obj) => {
      try {
        const results = JSONPath({ path, json: obj as object, wrap: true }) as unknown[];
        return results.length > 0 ? results[0] : undefined;
      } catch {
        return undefined;
      }
    };
  }
  readers.set(jsonPath, reader);
  return reader;
}

/** Evaluate a printer column's JSONPath (`.status.conditions[?(@.type=="Ready")].status`) on an object. */
export function evaluateColumn(obj: KubeObject, jsonPath: string): unknown {
  return readerFor(jsonPath)(obj);
}

function cellFor(type: string, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'date':
      return ageCell(value, now);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function definitionOf(c: PrinterColumn | BuiltinColumn): TableColumnDefinition {
  return {
    name: c.name,
    type: c.type === 'date' ? 'date' : c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  };
}

/** The columns a type prints: built-in ones as defined, custom ones as NAME plus the CRD's (or AGE if none). */
export function columnsOf(type: ResourceType): TableColumnDefinition[] {
  if (type.builtinColumns) return type.builtinColumns.map(definitionOf);
  const custom = type.printerColumns.length > 0 ? type.printerColumns : [AGE_COLUMN];
  return [NAME_COLUMN, ...custom.map(definitionOf)];
}

export function rowOf(type: ResourceType, obj: KubeObject, include: IncludeObject, now: number): TableRow {
  let cells: unknown[];
  if (type.builtinColumns) {
    cells = type.builtinColumns.map((c) => c.cell(obj, now));
  } else {
    const custom = type.printerColumns.length > 0 ? type.printerColumns : [AGE_COLUMN];
    cells = [
      obj.metadata?.name ?? '',
      ...custom.map((c) => cellFor(c.type, evaluateColumn(obj, c.jsonPath), now)),
    ];
  }
  const row: TableRow = { cells };
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata') row.object = partialObjectMetadata(obj);
  return row;
}

export function partialObjectMetadata(obj: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export function tableOf(
  type: ResourceType,
  objects: KubeObject[],
  include: IncludeObject,
  metadata: Table['metadata'],
  now: number = Date.now(),
): Table {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: columnsOf(type),
    rows: objects.map((o) => rowOf(type, o, include, now)),
  };
}
