// Label and field selectors as the API server parses them from `labelSelector` and `fieldSelector`.
import { badRequest } from './errors.js';

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

export type LabelSelector = LabelRequirement[];

/** Parse `app=web,tier!=db,env in (a,b),!legacy,release`. An empty string selects everything. */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  const out: LabelSelector = [];
  if (!text || text.trim() === '') return out;
  for (const part of splitTopLevel(text)) {
    const s = part.trim();
    if (s === '') continue;
    let m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(s);
    if (m) {
      const values = m[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
      continue;
    }
    m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(s);
    if (m) {
      out.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
      continue;
    }
    m = /^!\s*([^\s!=(),]+)$/.exec(s);
    if (m) {
      out.push({ key: m[1]!, op: '!exists' });
      continue;
    }
    m = /^([^\s!=(),]+)$/.exec(s);
    if (m) {
      out.push({ key: m[1]!, op: 'exists' });
      continue;
    }
    throw badRequest(`unable to parse requirement: found '${s}', expected: in, notin, =, ==, !=, gt, lt`);
  }
  return out;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const req of selector) {
    const value = labels?.[req.key];
    switch (req.op) {
      case 'exists':
        if (value === undefined) return false;
        break;
      case '!exists':
        if (value !== undefined) return false;
        break;
      case 'in':
        if (value === undefined || !req.values.includes(value)) return false;
        break;
      case 'notin':
        if (value !== undefined && req.values.includes(value)) return false;
        break;
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

/** Parse `metadata.name=foo,status.phase!=Active`; refuse fields the resource does not index, like a real server. */
export function parseFieldSelector(
  text: string | null | undefined,
  allowed: readonly string[],
): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (!text || text.trim() === '') return out;
  for (const part of text.split(',')) {
    const s = part.trim();
    if (s === '') continue;
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(s);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${s}'`);
    const field = m[1]!.trim();
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
    out.push({ field, value: unescapeFieldValue(m[3]!.trim()), negate: m[2] === '!=' });
  }
  return out;
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\([,=\\])/g, '$1');
}

/** Read a dotted field (`involvedObject.name`) from an object; absent fields read as the empty string. */
export function readField(obj: unknown, field: string): string {
  let cursor: unknown = obj;
  for (const seg of field.split('.')) {
    if (cursor === null || typeof cursor !== 'object') return '';
    cursor = (cursor as Record<string, unknown>)[seg];
  }
  if (cursor === undefined || cursor === null) return '';
  return typeof cursor === 'object' ? JSON.stringify(cursor) : String(cursor);
}

export function matchesFields(
  requirements: readonly FieldRequirement[],
  read: (field: string) => string,
): boolean {
  for (const r of requirements) {
    const equal = read(r.field) === r.value;
    if (equal === r.negate) return false;
  }
  return true;
}
