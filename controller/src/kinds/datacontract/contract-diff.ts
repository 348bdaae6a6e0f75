// Every difference between two versions of a data contract, each classified breaking or not. The breaking ones
// are breakingChanges' (the single authority on what breaks); every other field that differs is listed beside
// them as a change that breaks nothing, so a reviewer sees the whole change, not only its dangerous part. Pure.
import type { BreakingChange, DataContractSpec } from '../../../../specs/datacontract.js';
import { formatPath, type PathSegment } from '../../diagnostics.js';
import { breakingChanges, isMajorBump } from './breaking-changes.js';

export interface ContractChange {
  /** Where, in the new version (a removed element: the list it was in), e.g. `schema[0].properties[3].phi`. */
  path: string;
  /** A breaking kind, or added / removed / changed for a change that breaks nothing. */
  kind: BreakingChange['kind'] | 'added' | 'removed' | 'changed';
  breaking: boolean;
  /** The value before and after, where one field holds the change. */
  from?: unknown;
  to?: unknown;
  message: string;
}

export interface ContractDiff {
  from: { version: string };
  to: { version: string };
  changes: ContractChange[];
  breaking: number;
  /** Whether the new version raises the major version (below 1.0.0, the minor): what a breaking change needs. */
  majorBump: boolean;
}

/** The diff from `previous` to `next`: breaking changes first, in breakingChanges' order, then the rest by path. */
export function diffContracts(previous: DataContractSpec, next: DataContractSpec): ContractDiff {
  const breaking = breakingChanges(previous, next);
  const leaves: Leaf[] = [];
  compare(previous, next, [], leaves);
  const changes: ContractChange[] = breaking.map((b) => {
    const same = leaves.filter((l) => l.path === b.path && l.kind === 'changed');
    const values = same.length === 1 ? { from: same[0]!.from, to: same[0]!.to } : {};
    return { path: b.path, kind: b.kind, breaking: true, ...values, message: b.message };
  });
  for (const leaf of leaves) {
    if (breaking.some((b) => covers(b, leaf))) continue;
    changes.push({
      path: leaf.path,
      kind: leaf.kind,
      breaking: false,
      ...(leaf.kind !== 'added' ? { from: leaf.from } : {}),
      ...(leaf.kind !== 'removed' ? { to: leaf.to } : {}),
      message: describeLeaf(leaf),
    });
  }
  return {
    from: { version: previous.version },
    to: { version: next.version },
    changes,
    breaking: breaking.length,
    majorBump: isMajorBump(previous.version, next.version),
  };
}

interface Leaf {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
  /** The key of a removed list element (its name). */
  label?: string;
}

// Breaking changes whose path is a list (the element is gone from it) explain only the removals at that path.
const LIST_KINDS = new Set<string>(['object-removed', 'property-removed', 'primary-key-changed']);

/** Whether breaking change `b` already tells what `leaf` shows. */
function covers(b: BreakingChange, leaf: Leaf): boolean {
  if (leaf.path === b.path) return true;
  const listLike = LIST_KINDS.has(b.kind) || (b.kind === 'sla-loosened' && b.path === 'slaProperties');
  if (!listLike && isUnder(leaf.path, b.path)) return true;
  // A new element whose breaking part lies inside it (a new required property).
  return leaf.kind === 'added' && isUnder(b.path, leaf.path);
}

const isUnder = (path: string, parent: string) =>
  path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`);

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How elements of a list are matched across versions: by what names them, else by position. */
function elementKey(list: unknown[]): ((e: unknown) => string) | undefined {
  if (list.length === 0 || !list.every(isRecord)) return undefined;
  const all = (field: string) => list.every((e) => typeof (e as Json)[field] === 'string');
  if (all('name')) return (e) => String((e as Json).name);
  if (all('server')) return (e) => String((e as Json).server);
  if (all('property'))
    return (e) => `${(e as Json).property}${(e as Json).element ? ` of ${(e as Json).element}` : ''}`;
  if (all('useCase'))
    return (e) => `${(e as Json).namespace ? `${(e as Json).namespace}/` : ''}${(e as Json).useCase}`;
  if (all('channel')) return (e) => String((e as Json).channel);
  return undefined;
}

function compare(a: unknown, b: unknown, at: PathSegment[], out: Leaf[]): void {
  if (canonical(a) === canonical(b)) return;
  const path = formatPath(at);
  if (a === undefined) {
    out.push({ path, kind: 'added', to: b });
    return;
  }
  if (b === undefined) {
    out.push({ path, kind: 'removed', from: a });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = elementKey([...a, ...b]);
    if (key) {
      b.forEach((y, i) => {
        const x = a.find((e) => key(e) === key(y));
        compare(x, y, [...at, i], out);
      });
      for (const x of a) {
        if (!b.some((y) => key(y) === key(x))) out.push({ path, kind: 'removed', from: x, label: key(x) });
      }
      return;
    }
    // Plain values (allowed values, null markers): the list is the value.
    if (![...a, ...b].some((e) => isRecord(e) || Array.isArray(e))) {
      out.push({ path, kind: 'changed', from: a, to: b });
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < b.length) compare(a[i], b[i], [...at, i], out);
      else out.push({ path, kind: 'removed', from: a[i], label: `element ${i}` });
    }
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      compare(a[k], b[k], [...at, k], out);
    }
    return;
  }
  out.push({ path, kind: 'changed', from: a, to: b });
}

function describeLeaf(leaf: Leaf): string {
  if (leaf.kind === 'added') return `${leaf.path} added: ${show(leaf.to)}`;
  if (leaf.kind === 'removed')
    return leaf.label !== undefined
      ? `${leaf.label} removed from ${leaf.path || 'the contract'}`
      : `${leaf.path} removed (was ${show(leaf.from)})`;
  return `${leaf.path} changed from ${show(leaf.from)} to ${show(leaf.to)}`;
}

/** A value in one line, cut short when long. */
export function show(v: unknown): string {
  const text = isRecord(v) && typeof v.name === 'string' ? `"${v.name}"` : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Deep equality of plain YAML values, key order aside. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
