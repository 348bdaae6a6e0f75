// Object metadata rules the API server owns: names, uid, timestamps, generation, and what a client may not set.
import { randomUUID } from 'node:crypto';
import { fieldError, type StatusCause } from './errors.js';
import type { KubeObject, ObjectMeta } from './resources.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Annotations beyond this total size are refused, as kubectl users learn with very large CRDs. */
export const MAX_ANNOTATIONS_BYTES = 262144;

export function validateSubdomainName(name: string, field = 'metadata.name'): StatusCause[] {
  if (name.length > 253) return [fieldError.invalid(field, name, 'must be no more than 253 characters')];
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return [
      fieldError.invalid(
        field,
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    ];
  }
  return [];
}

export function validateLabelName(name: string, field = 'metadata.name'): StatusCause[] {
  if (name.length > 63 || !DNS1123_LABEL.test(name)) {
    return [
      fieldError.invalid(
        field,
        name,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ),
    ];
  }
  return [];
}

function validQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefix = slash === -1 ? '' : key.slice(0, slash);
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) return false;
  if (slash !== -1 && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))
    return false;
  return true;
}

/** The checks a real server makes on any object's metadata (names, labels, annotations). */
export function validateObjectMeta(
  meta: ObjectMeta,
  namespaced: boolean,
  nameIsLabel: boolean,
): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!meta.name) {
    causes.push(fieldError.required('metadata.name', 'name or generateName is required'));
  } else {
    causes.push(...(nameIsLabel ? validateLabelName(meta.name) : validateSubdomainName(meta.name)));
  }
  if (namespaced && !meta.namespace) causes.push(fieldError.required('metadata.namespace'));
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    if (!validQualifiedName(key)) {
      causes.push(
        fieldError.invalid(
          'metadata.labels',
          key,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
      );
    }
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push(
        fieldError.invalid(
          'metadata.labels',
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    if (!validQualifiedName(key)) {
      causes.push(
        fieldError.invalid('metadata.annotations', key, 'name part must consist of alphanumeric characters'),
      );
    }
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (annotationBytes > MAX_ANNOTATIONS_BYTES)
    causes.push(fieldError.tooLong('metadata.annotations', MAX_ANNOTATIONS_BYTES));
  return causes;
}

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` plus five characters from the alphabet the real server uses (no vowels, no look-alikes). */
export function generatedName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)];
  return `${prefix.slice(0, 58)}${suffix}`;
}

export function newUid(): string {
  return randomUUID();
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function timestamp(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Metadata fields only the server sets: on create they are replaced, on update carried over from the old object. */
export function resetServerFields(meta: ObjectMeta, old: ObjectMeta | undefined): void {
  if (old) {
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    meta.generation = old.generation;
    if (old.deletionTimestamp) {
      meta.deletionTimestamp = old.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (meta.namespace === undefined && old.namespace !== undefined) meta.namespace = old.namespace;
  } else {
    meta.uid = newUid();
    meta.creationTimestamp = timestamp();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
  }
  // Field ownership is not tracked; clients must not see stale entries they sent.
  delete meta.managedFields;
  delete meta.selfLink;
}

/** Whether a change counts as a new generation: anything outside metadata (and outside status when it has its own subresource). */
export function specChanged(next: KubeObject, prev: KubeObject, statusSubresource: boolean): boolean {
  return !sameContent(strip(next, statusSubresource), strip(prev, statusSubresource));
}

function strip(obj: KubeObject, statusSubresource: boolean): Record<string, unknown> {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj;
  if (statusSubresource) delete (rest as Record<string, unknown>).status;
  return rest;
}

/** Deep equality of JSON values, key order ignored. */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameContent(v, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a as object);
  const bk = Object.keys(b as object);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => sameContent((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** metav1.Time: UTC, second precision, as a real server re-serialises whatever precision a client sent. */
export function canonicalTime(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : timestamp(t);
}

/** metav1.MicroTime: UTC with exactly six fractional digits, which Go clients require when decoding. */
export function canonicalMicroTime(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  const t = Date.parse(value);
  if (!m || Number.isNaN(t)) return value;
  const micros = ((m[2] ?? '') + '000000').slice(0, 6);
  return `${new Date(Math.floor(t / 1000) * 1000).toISOString().slice(0, 19)}.${micros}Z`;
}

/** Rewrite the time fields at these dotted paths in place. */
export function normaliseTimes(
  obj: Record<string, unknown>,
  times: readonly string[],
  microTimes: readonly string[],
): void {
  const visit = (paths: readonly string[], fn: (v: unknown) => unknown) => {
    for (const path of paths) {
      const segs = path.split('.');
      let cursor: unknown = obj;
      for (const seg of segs.slice(0, -1))
        cursor = cursor && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[seg] : undefined;
      const last = segs[segs.length - 1]!;
      if (cursor && typeof cursor === 'object' && last in cursor) {
        const holder = cursor as Record<string, unknown>;
        holder[last] = fn(holder[last]);
      }
    }
  };
  visit(times, canonicalTime);
  visit(microTimes, canonicalMicroTime);
}
