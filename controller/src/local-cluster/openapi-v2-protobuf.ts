// The OpenAPI v2 document in the protobuf form of gnostic's openapi.v2.Document, which is what a real API
// server sends for `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`. kubectl up to 1.26
// asks for nothing else before `apply`, `explain` and client-side validation: its fallback path is protobuf
// too. Field numbers follow gnostic's openapiv2/OpenAPIv2.proto; values that are free JSON (defaults, enums,
// examples, `x-` extensions) travel as YAML text in an `Any`, as gnostic writes them.
import { ProtoWriter } from './protobuf.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** gnostic's `Any`: the value as YAML text (JSON is YAML, and kubectl reads it with a YAML parser). */
function anyOf(value: unknown): ProtoWriter {
  return new ProtoWriter().string(2, JSON.stringify(value));
}

function named(name: string, value: ProtoWriter): ProtoWriter {
  return new ProtoWriter().string(1, name).message(2, value);
}

function vendorExtensions(w: ProtoWriter, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (k.startsWith('x-') && v !== undefined) w.message(field, named(k, anyOf(v)));
  }
}

function optString(w: ProtoWriter, field: number, value: unknown): void {
  if (typeof value === 'string' && value !== '') w.string(field, value);
}

function optBool(w: ProtoWriter, field: number, value: unknown): void {
  if (value === true) w.bool(field, true);
}

function optInt(w: ProtoWriter, field: number, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) w.int(field, value);
}

function optDouble(w: ProtoWriter, field: number, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) w.double(field, value);
}

export function encodeSchema(s: Json): ProtoWriter {
  const w = new ProtoWriter();
  optString(w, 1, s.$ref);
  optString(w, 2, s.format);
  optString(w, 3, s.title);
  optString(w, 4, s.description);
  if (s.default !== undefined) w.message(5, anyOf(s.default));
  optDouble(w, 6, s.multipleOf);
  optDouble(w, 7, s.maximum);
  optBool(w, 8, s.exclusiveMaximum);
  optDouble(w, 9, s.minimum);
  optBool(w, 10, s.exclusiveMinimum);
  optInt(w, 11, s.maxLength);
  optInt(w, 12, s.minLength);
  optString(w, 13, s.pattern);
  optInt(w, 14, s.maxItems);
  optInt(w, 15, s.minItems);
  optBool(w, 16, s.uniqueItems);
  optInt(w, 17, s.maxProperties);
  optInt(w, 18, s.minProperties);
  for (const r of strings(s.required)) w.string(19, r);
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, anyOf(e));
  if (typeof s.additionalProperties === 'boolean')
    w.message(21, new ProtoWriter().bool(2, s.additionalProperties));
  else if (isObject(s.additionalProperties))
    w.message(21, new ProtoWriter().message(1, encodeSchema(s.additionalProperties)));
  const types = strings(s.type);
  if (types.length > 0) {
    const t = new ProtoWriter();
    for (const v of types) t.string(1, v);
    w.message(22, t);
  }
  const items = Array.isArray(s.items) ? s.items : isObject(s.items) ? [s.items] : [];
  if (items.length > 0) {
    const i = new ProtoWriter();
    for (const item of items) if (isObject(item)) i.message(1, encodeSchema(item));
    w.message(23, i);
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) if (isObject(a)) w.message(24, encodeSchema(a));
  if (isObject(s.properties)) {
    const p = new ProtoWriter();
    for (const [name, sub] of Object.entries(s.properties))
      if (isObject(sub)) p.message(1, named(name, encodeSchema(sub)));
    w.message(25, p);
  }
  optString(w, 26, s.discriminator);
  optBool(w, 27, s.readOnly);
  if (s.example !== undefined) w.message(30, anyOf(s.example));
  vendorExtensions(w, 31, s);
  return w;
}

/** Field numbers of the non-body parameter messages, which differ only in where `type` starts. */
const NON_BODY: Record<string, { oneof: number; type: number; format: number; unique: number; ext: number }> =
  {
    header: { oneof: 1, type: 5, format: 6, unique: 19, ext: 22 },
    formData: { oneof: 2, type: 6, format: 7, unique: 20, ext: 23 },
    query: { oneof: 3, type: 6, format: 7, unique: 20, ext: 23 },
    path: { oneof: 4, type: 5, format: 6, unique: 19, ext: 22 },
  };

function encodeParameter(p: Json): ProtoWriter {
  if (typeof p.$ref === 'string') {
    const ref = new ProtoWriter().string(1, p.$ref);
    optString(ref, 2, p.description);
    return new ProtoWriter().message(2, ref);
  }
  const parameter = new ProtoWriter();
  if (p.in === 'body') {
    const body = new ProtoWriter();
    optString(body, 1, p.description);
    optString(body, 2, p.name);
    optString(body, 3, p.in);
    optBool(body, 4, p.required);
    if (isObject(p.schema)) body.message(5, encodeSchema(p.schema));
    vendorExtensions(body, 6, p);
    parameter.message(1, body);
  } else {
    const at = NON_BODY[String(p.in)] ?? NON_BODY.query!;
    const sub = new ProtoWriter();
    optBool(sub, 1, p.required);
    optString(sub, 2, p.in);
    optString(sub, 3, p.description);
    optString(sub, 4, p.name);
    optString(sub, at.type, p.type);
    optString(sub, at.format, p.format);
    optBool(sub, at.unique, p.uniqueItems);
    vendorExtensions(sub, at.ext, p);
    parameter.message(2, new ProtoWriter().message(at.oneof, sub));
  }
  return new ProtoWriter().message(1, parameter);
}

function encodeResponses(responses: Json): ProtoWriter {
  const w = new ProtoWriter();
  for (const [code, r] of Object.entries(responses)) {
    if (code.startsWith('x-') || !isObject(r)) continue;
    const value = new ProtoWriter();
    if (typeof r.$ref === 'string') value.message(2, new ProtoWriter().string(1, r.$ref));
    else {
      const response = new ProtoWriter();
      optString(response, 1, r.description);
      if (isObject(r.schema)) response.message(2, new ProtoWriter().message(1, encodeSchema(r.schema)));
      vendorExtensions(response, 5, r);
      value.message(1, response);
    }
    w.message(1, named(code, value));
  }
  vendorExtensions(w, 2, responses);
  return w;
}

function encodeOperation(o: Json): ProtoWriter {
  const w = new ProtoWriter();
  for (const t of strings(o.tags)) w.string(1, t);
  optString(w, 2, o.summary);
  optString(w, 3, o.description);
  optString(w, 5, o.operationId);
  for (const m of strings(o.produces)) w.string(6, m);
  for (const m of strings(o.consumes)) w.string(7, m);
  if (Array.isArray(o.parameters))
    for (const p of o.parameters) if (isObject(p)) w.message(8, encodeParameter(p));
  if (isObject(o.responses)) w.message(9, encodeResponses(o.responses));
  for (const s of strings(o.schemes)) w.string(10, s);
  optBool(w, 11, o.deprecated);
  vendorExtensions(w, 13, o);
  return w;
}

const METHOD_FIELDS: Record<string, number> = {
  get: 2,
  put: 3,
  post: 4,
  delete: 5,
  options: 6,
  head: 7,
  patch: 8,
};

function encodePathItem(item: Json): ProtoWriter {
  const w = new ProtoWriter();
  optString(w, 1, item.$ref);
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    const o = item[method];
    if (isObject(o)) w.message(field, encodeOperation(o));
  }
  if (Array.isArray(item.parameters))
    for (const p of item.parameters) if (isObject(p)) w.message(9, encodeParameter(p));
  vendorExtensions(w, 10, item);
  return w;
}

/** The whole Swagger 2.0 document as gnostic's openapi.v2.Document. */
export function encodeOpenApiV2(doc: Json): Buffer {
  const w = new ProtoWriter();
  optString(w, 1, doc.swagger);
  if (isObject(doc.info)) {
    const info = new ProtoWriter();
    optString(info, 1, doc.info.title);
    optString(info, 2, doc.info.version);
    optString(info, 3, doc.info.description);
    w.message(2, info);
  }
  optString(w, 3, doc.host);
  optString(w, 4, doc.basePath);
  for (const s of strings(doc.schemes)) w.string(5, s);
  for (const m of strings(doc.consumes)) w.string(6, m);
  for (const m of strings(doc.produces)) w.string(7, m);
  if (isObject(doc.paths)) {
    const paths = new ProtoWriter();
    vendorExtensions(paths, 1, doc.paths);
    for (const [path, item] of Object.entries(doc.paths))
      if (!path.startsWith('x-') && isObject(item)) paths.message(2, named(path, encodePathItem(item)));
    w.message(8, paths);
  }
  if (isObject(doc.definitions)) {
    const definitions = new ProtoWriter();
    for (const [name, schema] of Object.entries(doc.definitions))
      if (isObject(schema)) definitions.message(1, named(name, encodeSchema(schema)));
    w.message(9, definitions);
  }
  vendorExtensions(w, 16, doc);
  return w.finish();
}
