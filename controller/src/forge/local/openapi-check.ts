// Every request the forge receives and every response it sends, checked against the operation in GitHub's
// published OpenAPI description (@octokit/openapi): path and query parameters, the request body, and the
// response body against the schema for its status. Schemas are compiled lazily, one operation at a time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { compileTemplate } from './routes.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;

export interface Violation {
  /** operationId, e.g. pulls/get. */
  operation: string;
  method: string;
  path: string;
  where:
    | 'route'
    | 'request.path'
    | 'request.query'
    | 'request.body'
    | 'response.status'
    | 'response.body'
    | 'webhook.payload';
  message: string;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Json>>;
  components: {
    schemas: Record<string, Json>;
    parameters: Record<string, Json>;
    responses: Record<string, Json>;
  };
}

let cachedDocument: OpenApiDocument | undefined;

/** GitHub's description of api.github.com, parsed once per process (13 MB). */
export function githubOpenApi(): OpenApiDocument {
  if (!cachedDocument) {
    const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
    cachedDocument = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
  }
  return cachedDocument;
}

const SCHEMA_PREFIX = '#/components/schemas/';
// Keywords OpenAPI 3.0 adds to JSON Schema that ajv should not see (nullable is rewritten, the rest is prose).
const DROPPED = new Set([
  'nullable',
  'example',
  'examples',
  'discriminator',
  'xml',
  'externalDocs',
  'deprecated',
]);

/**
 * OpenAPI 3.0 schema -> JSON Schema (draft 7) for ajv: `nullable: true` becomes "or null" (ajv's own
 * `nullable` support requires a sibling `type`, which GitHub's description often leaves out), component
 * references point into `definitions`, and `oneOf` is read as `anyOf`: GitHub's alternatives overlap (a 409
 * is "basic-error or repository-rule-violation-error", and a body can be both), so "exactly one" would
 * reject answers GitHub itself gives.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED.has(key) || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith(SCHEMA_PREFIX)
        ? `#/definitions/${value.slice(SCHEMA_PREFIX.length)}`
        : value;
    } else if (key === 'oneOf') {
      out.anyOf = toJsonSchema(value);
    } else if ((key === 'properties' || key === 'patternProperties') && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toJsonSchema(v)]));
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  return source.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

/** The component schemas a schema reaches, transitively. */
function referencedComponents(root: unknown, components: Record<string, Json>): Set<string> {
  const seen = new Set<string>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMA_PREFIX)) {
          const name = value.slice(SCHEMA_PREFIX.length);
          if (!seen.has(name)) {
            seen.add(name);
            stack.push(components[name]);
          }
        } else {
          stack.push(value);
        }
      }
    }
  }
  return seen;
}

export class OpenApiCheck {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private allTemplates?: { method: string; template: string; regex: RegExp; literals: number }[];

  constructor(private readonly doc: OpenApiDocument = githubOpenApi()) {
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: true });
    addFormats(this.ajv);
    // Formats GitHub names that JSON Schema does not define: accepted as documentation.
    for (const f of ['int32', 'int64', 'repo.nwo', 'ssh-key', 'ssh-key fingerprint', 'binary', 'uuid4']) {
      this.ajv.addFormat(f, true);
    }
  }

  operation(method: string, template: string): Json | undefined {
    return this.doc.paths[template]?.[method.toLowerCase()];
  }

  /** The documented operation a path would be, for requests the forge does not serve. */
  findTemplate(method: string, path: string): string | undefined {
    this.allTemplates ??= Object.entries(this.doc.paths).flatMap(([template, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase(), template, ...compileTemplate(template) })),
    );
    const hits = this.allTemplates.filter((t) => t.method === method && t.regex.test(path));
    hits.sort((a, b) => b.literals - a.literals);
    return hits[0]?.template;
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      const names = referencedComponents(schema, this.doc.components.schemas);
      const definitions = Object.fromEntries(
        [...names].map((n) => [n, toJsonSchema(this.doc.components.schemas[n])]),
      );
      v = this.ajv.compile({ ...(toJsonSchema(schema) as Json), definitions });
      this.validators.set(key, v);
    }
    return v;
  }

  private check(key: string, schema: unknown, value: unknown): string[] {
    const v = this.validator(key, schema);
    if (v(value)) return [];
    return (v.errors ?? []).slice(0, 8).map((e) => {
      const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
      return `${e.instancePath || '(root)'} ${e.message ?? e.keyword}${extra}`;
    });
  }

  private resolve<T extends Json>(value: Json, section: 'parameters' | 'responses'): T {
    const ref = value.$ref;
    if (typeof ref === 'string') {
      const name = ref.split('/').pop() ?? '';
      return this.doc.components[section][name] as T;
    }
    return value as T;
  }

  checkRequest(req: {
    method: string;
    template: string;
    path: string;
    params: Record<string, string>;
    query: URLSearchParams;
    body: unknown;
  }): Violation[] {
    const op = this.operation(req.method, req.template);
    const base = { method: req.method, path: req.path };
    if (!op)
      return [
        {
          ...base,
          operation: '?',
          where: 'route',
          message: `${req.method} ${req.template} is not a GitHub operation`,
        },
      ];
    const operation = String(op.operationId);
    const violations: Violation[] = [];
    const parameters = [
      ...((this.doc.paths[req.template]?.parameters as unknown as Json[] | undefined) ?? []),
      ...((op.parameters as Json[] | undefined) ?? []),
    ].map((p) => this.resolve<Json>(p, 'parameters'));
    for (const p of parameters) {
      const where = p.in === 'path' ? 'request.path' : p.in === 'query' ? 'request.query' : undefined;
      if (!where) continue;
      const name = String(p.name);
      const raw = where === 'request.path' ? req.params[name] : (req.query.get(name) ?? undefined);
      if (raw === undefined) {
        if (p.required)
          violations.push({ ...base, operation, where, message: `required parameter "${name}" is missing` });
        continue;
      }
      const schema = (p.schema ?? {}) as Json;
      const value = coerce(raw, schema);
      for (const message of this.check(`${operation}:param:${name}`, schema, value)) {
        violations.push({
          ...base,
          operation,
          where,
          message: `parameter "${name}"=${JSON.stringify(raw)}: ${message}`,
        });
      }
    }
    const requestBody = op.requestBody as Json | undefined;
    const bodySchema = (requestBody?.content as Record<string, Json> | undefined)?.['application/json']
      ?.schema;
    if (bodySchema && req.body !== undefined) {
      for (const message of this.check(`${operation}:request`, bodySchema, req.body)) {
        violations.push({ ...base, operation, where: 'request.body', message });
      }
    } else if (requestBody?.required && req.body === undefined) {
      violations.push({
        ...base,
        operation,
        where: 'request.body',
        message: 'the operation requires a body and none was sent',
      });
    }
    return violations;
  }

  /**
   * A webhook payload against GitHub's schema for its event and action (components `webhook-<event>-<action>`,
   * or `webhook-<event>` for events without actions, such as push). An event GitHub does not describe is one.
   */
  checkWebhook(event: string, payload: Json): Violation[] {
    const action = typeof payload.action === 'string' ? payload.action : undefined;
    const slug = (s: string) => s.replace(/_/g, '-');
    const names = [...(action ? [`webhook-${slug(event)}-${slug(action)}`] : []), `webhook-${slug(event)}`];
    const name = names.find((n) => this.doc.components.schemas[n]);
    const base = { operation: action ? `${event}.${action}` : event, method: 'POST', path: '(webhook)' };
    if (!name) {
      return [
        { ...base, where: 'webhook.payload', message: `${base.operation} is not a GitHub webhook event` },
      ];
    }
    return this.check(`webhook:${name}`, this.doc.components.schemas[name], payload).map((message) => ({
      ...base,
      where: 'webhook.payload' as const,
      message,
    }));
  }

  checkResponse(res: {
    method: string;
    template: string;
    path: string;
    status: number;
    body: unknown;
  }): Violation[] {
    const op = this.operation(res.method, res.template);
    if (!op) return [];
    const operation = String(op.operationId);
    const base = { operation, method: res.method, path: res.path };
    // A 304 answers a conditional request; it has no body and GitHub sends it for any GET.
    if (res.status === 304) return [];
    const responses = op.responses as Record<string, Json>;
    const documented = responses[String(res.status)];
    if (!documented) {
      if (res.status >= 400) {
        // Error statuses GitHub's description does not list for an operation (401, 403 rate limits, 5xx)
        // still come with its basic error body.
        const body = res.body as Json | undefined;
        if (!body || typeof body.message !== 'string') {
          return [{ ...base, where: 'response.body', message: `error ${res.status} without a "message"` }];
        }
        return [];
      }
      return [
        {
          ...base,
          where: 'response.status',
          message: `status ${res.status} is not documented for ${operation}`,
        },
      ];
    }
    const response = this.resolve<Json>(documented, 'responses');
    const schema = (response.content as Record<string, Json> | undefined)?.['application/json']?.schema;
    if (!schema) return [];
    return this.check(`${operation}:${res.status}`, schema, res.body).map((message) => ({
      ...base,
      where: 'response.body' as const,
      message,
    }));
  }
}

function coerce(raw: string, schema: Json): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw))
    return Number(raw);
  if (schema.type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}
