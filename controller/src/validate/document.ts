// Validates one YAML document against its kind's schema, turning each schema issue into a located Diagnostic
// that names the field, what was expected and what was found.
import type { z } from 'zod';
import { API_GROUP, API_GROUP_VERSION } from '../../../specs/common.js';
import { jsonSchemaFor } from '../../../specs/generate.js';
import { KINDS, kindByName } from '../../../specs/kinds.js';
import { type Diagnostic, formatPath, type PathSegment } from '../diagnostics.js';
import { describeFound, numberWhereStringHint, type SourceDocument, valueAt } from '../yaml/index.js';
import { checkSemantics } from './semantics.js';
import { closest } from './suggest.js';
import { suggestTimeZone } from './time-zones.js';

/** A document that passed its kind's schema, with the values the schema normalised (defaults filled). */
export interface ValidObject {
  kind: string;
  namespace: string;
  name: string;
  /** The parsed object, defaults applied. */
  object: { metadata: { name: string; namespace?: string }; spec: Record<string, unknown> };
  source: SourceDocument;
}

export interface ObjectIdentity {
  kind: string;
  namespace: string;
  name: string;
}

export type DocumentResult =
  /**
   * Passed its kind's schema. `diagnostics` holds what the checks beyond the schema found (checkSemantics): errors
   * where the object cannot work (a cron that never fires), warnings where it probably does not mean what it says.
   * An object with an error here must not be applied, though it can still be referred to.
   */
  | { outcome: 'valid'; object: ValidObject; diagnostics: Diagnostic[] }
  /** `identity` when the document names its kind and name, so references to it are not also reported missing. */
  | { outcome: 'invalid'; diagnostics: Diagnostic[]; identity?: ObjectIdentity }
  /** Not a Vigil kind (a Namespace, a ConfigMap): left to other tools. */
  | { outcome: 'foreign'; diagnostics: Diagnostic[] };

export const DEFAULT_NAMESPACE = 'default';

const KIND_NAMES = KINDS.map((k) => k.kind);

export function validateDocument(doc: SourceDocument): DocumentResult {
  const value = doc.value;
  const at = (path: PathSegment[], code: string, message: string, hint?: string): Diagnostic => {
    const pos = doc.locateValue(path);
    return {
      file: doc.file,
      ...pos,
      path: formatPath(path),
      code,
      message,
      severity: 'error',
      ...(hint ? { hint } : {}),
    };
  };

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      outcome: 'invalid',
      diagnostics: [
        at(
          [],
          'schema.not-an-object',
          `expected an object with apiVersion and kind, found ${describeFound(doc, [])}`,
        ),
      ],
    };
  }
  const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    const missing = typeof apiVersion !== 'string' ? 'apiVersion' : 'kind';
    return {
      outcome: 'invalid',
      diagnostics: [
        at(
          [missing],
          'schema.no-kind',
          `every document needs apiVersion and kind; ${missing} is missing or not a string`,
        ),
      ],
    };
  }
  if (!apiVersion.startsWith(`${API_GROUP}/`)) return { outcome: 'foreign', diagnostics: [] };
  if (apiVersion !== API_GROUP_VERSION) {
    return {
      outcome: 'invalid',
      diagnostics: [
        at(
          ['apiVersion'],
          'schema.api-version',
          `expected apiVersion "${API_GROUP_VERSION}", found "${apiVersion}"`,
        ),
      ],
    };
  }
  const definition = kindByName(kind);
  if (!definition) {
    const guess = closest(kind, KIND_NAMES);
    return {
      outcome: 'invalid',
      diagnostics: [
        at(
          ['kind'],
          'schema.unknown-kind',
          `unknown kind "${kind}"; ${API_GROUP_VERSION} defines ${KIND_NAMES.join(', ')}`,
          guess ? `did you mean "${guess}"?` : undefined,
        ),
      ],
    };
  }

  const parsed = definition.object.safeParse(value);
  if (!parsed.success) {
    const metadata = (value as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    const identity =
      typeof metadata?.name === 'string'
        ? {
            kind,
            name: metadata.name,
            namespace: typeof metadata.namespace === 'string' ? metadata.namespace : DEFAULT_NAMESPACE,
          }
        : undefined;
    return {
      outcome: 'invalid',
      diagnostics: parsed.error.issues.flatMap((issue) => describeIssue(doc, issue, definition.kind)),
      ...(identity ? { identity } : {}),
    };
  }
  const object = parsed.data as ValidObject['object'];
  return {
    outcome: 'valid',
    diagnostics: checkSemantics(kind, object.spec, doc),
    object: {
      kind,
      name: object.metadata.name,
      namespace: object.metadata.namespace ?? DEFAULT_NAMESPACE,
      object,
      source: doc,
    },
  };
}

/** One schema issue -> one or more diagnostics (an unknown-keys issue names each key). */
function describeIssue(doc: SourceDocument, issue: z.core.$ZodIssue, kind: string): Diagnostic[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const make = (
    p: PathSegment[],
    code: string,
    message: string,
    hint?: string,
    onKey = false,
  ): Diagnostic => {
    const pos = onKey ? doc.locateKey(p) : doc.locateValue(p);
    return {
      file: doc.file,
      ...pos,
      path: formatPath(p),
      code,
      message,
      severity: 'error',
      ...(hint ? { hint } : {}),
    };
  };

  if (issue.code !== 'unrecognized_keys' && path.length > 0 && valueAt(doc.value, path) === undefined) {
    // Missing: point at the parent's key, where the field should be written.
    const parent = doc.locateKey(path.slice(0, -1));
    return [
      {
        file: doc.file,
        ...parent,
        path: formatPath(path),
        code: 'schema.required',
        message: `required field "${String(path.at(-1))}" is missing`,
        severity: 'error',
      },
    ];
  }

  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const known = knownFields(kind, path);
        const guess = closest(key, known);
        return make(
          [...path, key],
          'schema.unknown-field',
          `unknown field "${key}"${known.length ? `; expected one of ${known.join(', ')}` : ''}`,
          guess ? `did you mean "${guess}"?` : undefined,
          true,
        );
      });
    case 'invalid_type': {
      const found = describeFound(doc, path);
      const expected = issue.expected === 'string' ? 'a string' : article(issue.expected);
      return [
        make(
          path,
          'schema.invalid-type',
          `must be ${expected}; found ${found}`,
          numberWhereStringHint(doc, path),
        ),
      ];
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const found = describeFound(doc, path);
      const guess =
        typeof valueAt(doc.value, path) === 'string'
          ? closest(String(valueAt(doc.value, path)), issue.values.map(String))
          : undefined;
      return [
        make(
          path,
          'schema.invalid-value',
          options.length === 1
            ? `must be ${options[0]}; found ${found}`
            : `must be one of ${options.join(', ')}; found ${found}`,
          guess ? `did you mean "${guess}"?` : undefined,
        ),
      ];
    }
    case 'too_small':
    case 'too_big': {
      const found = describeFound(doc, path);
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      const word =
        issue.code === 'too_small'
          ? inclusive
            ? 'at least'
            : 'more than'
          : inclusive
            ? 'at most'
            : 'less than';
      const what =
        issue.origin === 'array'
          ? `must have ${word} ${bound} item${bound === 1 ? '' : 's'}`
          : issue.origin === 'string'
            ? `must be ${word} ${bound} character${bound === 1 ? '' : 's'} long`
            : `must be ${word} ${bound}`;
      return [
        make(
          path,
          issue.code === 'too_small' ? 'schema.too-small' : 'schema.too-big',
          `${what}; found ${found}`,
        ),
      ];
    }
    case 'invalid_format': {
      const found = describeFound(doc, path);
      const expected =
        FORMATS[issue.format] ?? (issue.format === 'regex' ? issue.message : `a valid ${issue.format}`);
      return [make(path, 'schema.invalid-format', `${expected}; found ${found}`)];
    }
    default: {
      // A refinement of one scalar says what it must be; add what was found. Cross-field rules name their values.
      const value = valueAt(doc.value, path);
      const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
      const found = scalar && issue.message.startsWith('must ') ? `; found ${describeFound(doc, path)}` : '';
      const zone =
        path.at(-1) === 'timeZone' && typeof value === 'string' ? suggestTimeZone(value) : undefined;
      return [
        make(path, 'schema.rule', `${issue.message}${found}`, zone ? `did you mean "${zone}"?` : undefined),
      ];
    }
  }
}

const FORMATS: Record<string, string> = {
  datetime: 'must be an RFC 3339 timestamp such as "2026-03-01T09:00:00Z"',
  date: 'must be a date such as "2026-03-01"',
};

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

type JsonNode = {
  properties?: Record<string, JsonNode>;
  items?: JsonNode;
  additionalProperties?: JsonNode | boolean;
};
const schemaCache = new Map<string, JsonNode>();

/** Field names the schema allows at a path, for "did you mean" and for listing what is expected. */
function knownFields(kind: string, path: readonly PathSegment[]): string[] {
  let node = schemaCache.get(kind);
  if (!node) {
    const def = kindByName(kind);
    if (!def) return [];
    node = jsonSchemaFor(def) as JsonNode;
    schemaCache.set(kind, node);
  }
  let cur: JsonNode | undefined = node;
  for (const seg of path) {
    if (!cur) return [];
    cur = typeof seg === 'number' ? cur.items : cur.properties?.[seg];
  }
  return cur?.properties ? Object.keys(cur.properties) : [];
}
