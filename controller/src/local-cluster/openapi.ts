// OpenAPI documents built from the served kinds: v3 (an index plus one document per group-version, which
// kubectl downloads before apply and for explain) and a v2 document for clients that still ask for one.
// kubectl reads two things from them beyond schemas: `x-kubernetes-group-version-kind` to find a kind, and
// the PATCH operation's parameters and media types to learn that the server takes `fieldValidation` and
// whether the kind accepts strategic merge patch.
import { createHash } from 'node:crypto';
import { OBJECT_META_SCHEMA } from './builtins.js';
import { encodeOpenApiV2 } from './openapi-v2-protobuf.js';
import type { ResourceCatalogue, ResourceType } from './resources.js';
import { PATCH_TYPES } from './rest.js';

type Json = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const REF_META = `#/components/schemas/${META}.ObjectMeta`;

/** The schema name a real server gives a kind: reversed group domain for CRDs, Go package path for built-ins. */
export function schemaName(t: ResourceType): string {
  if (!t.custom) {
    if (t.group === '') return `io.k8s.api.core.${t.version}.${t.kind}`;
    if (t.group === 'apiextensions.k8s.io')
      return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${t.version}.${t.kind}`;
    return `io.k8s.api.${t.group.replace(/\.k8s\.io$/, '')}.${t.version}.${t.kind}`;
  }
  return `${t.group.split('.').reverse().join('.')}.${t.version}.${t.kind}`;
}

function gvk(t: ResourceType): Json {
  return { group: t.group, version: t.version, kind: t.kind };
}

function queryParam(name: string, description: string, type = 'string'): Json {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const DRY_RUN = queryParam('dryRun', 'When present, modifications are not persisted. Valid value: All.');
const FIELD_MANAGER = queryParam('fieldManager', 'A name for the actor making these changes.');
const FIELD_VALIDATION = queryParam(
  'fieldValidation',
  'How to treat unknown or duplicate fields in the object: Ignore, Warn (the default without this parameter) or Strict.',
);
const LIST_PARAMS = [
  queryParam('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  queryParam('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  queryParam('limit', 'Maximum number of objects to return; use continue for the rest.', 'integer'),
  queryParam('continue', 'The continue token of a previous paged list.'),
  queryParam('resourceVersion', 'Where a list or watch starts.'),
  queryParam('watch', 'Watch for changes and stream them as events.', 'boolean'),
  queryParam('allowWatchBookmarks', 'Ask for BOOKMARK events.', 'boolean'),
  queryParam('timeoutSeconds', 'End the call after this many seconds.', 'integer'),
];

function json(ref: string): Json {
  return { 'application/json': { schema: { $ref: ref } }, 'application/yaml': { schema: { $ref: ref } } };
}

function op(t: ResourceType, action: string, description: string, extra: Json): Json {
  return {
    description,
    operationId: `${action}${t.kind}`,
    tags: [t.group === '' ? 'core_v1' : `${t.group}_${t.version}`],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(t),
    ...extra,
  };
}

function pathsFor(t: ResourceType, prefix: string): Json {
  const ref = `#/components/schemas/${schemaName(t)}`;
  const listRef = `#/components/schemas/${schemaName(t)}List`;
  const ok = (r: string) => ({ '200': { description: 'OK', content: json(r) } });
  const patchTypes = t.custom
    ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
    : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply];
  const patchBody = {
    required: true,
    content: Object.fromEntries(
      patchTypes.map((m) => [m, { schema: { $ref: `#/components/schemas/${META}.Patch` } }]),
    ),
  };
  const nsParam = {
    name: 'namespace',
    in: 'path',
    required: true,
    description: 'object name and auth scope',
    schema: { type: 'string', uniqueItems: true },
  };
  const nameParam = {
    name: 'name',
    in: 'path',
    required: true,
    description: `name of the ${t.kind}`,
    schema: { type: 'string', uniqueItems: true },
  };
  const collection = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
  const item = `${collection}/{name}`;
  const scopeParams = t.namespaced ? [nsParam] : [];
  const paths: Json = {
    [collection]: {
      get: op(t, 'list', `list or watch objects of kind ${t.kind}`, {
        parameters: LIST_PARAMS,
        responses: ok(listRef),
      }),
      post: op(t, 'post', `create a ${t.kind}`, {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        requestBody: { required: true, content: json(ref) },
        responses: { ...ok(ref), '201': { description: 'Created', content: json(ref) } },
      }),
      delete: op(t, 'deletecollection', `delete a collection of ${t.kind}`, {
        parameters: LIST_PARAMS,
        responses: ok(`#/components/schemas/${META}.Status`),
      }),
      parameters: scopeParams,
    },
    [item]: {
      get: op(t, 'get', `read the specified ${t.kind}`, { responses: ok(ref) }),
      put: op(t, 'put', `replace the specified ${t.kind}`, {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        requestBody: { required: true, content: json(ref) },
        responses: ok(ref),
      }),
      patch: op(t, 'patch', `partially update the specified ${t.kind}`, {
        parameters: [
          DRY_RUN,
          FIELD_MANAGER,
          FIELD_VALIDATION,
          queryParam('force', 'Force apply over conflicts.', 'boolean'),
        ],
        requestBody: patchBody,
        responses: ok(ref),
      }),
      delete: op(t, 'delete', `delete a ${t.kind}`, {
        parameters: [DRY_RUN, queryParam('propagationPolicy', 'Orphan, Background or Foreground.')],
        responses: ok(ref),
      }),
      parameters: [nameParam, ...scopeParams],
    },
  };
  if (t.namespaced) {
    paths[`${prefix}/${t.plural}`] = {
      get: op(t, 'list', `list or watch objects of kind ${t.kind} in all namespaces`, {
        parameters: LIST_PARAMS,
        responses: ok(listRef),
      }),
    };
  }
  if (t.statusSubresource) {
    paths[`${item}/status`] = {
      get: op(t, 'get', `read status of the specified ${t.kind}`, { responses: ok(ref) }),
      put: op(t, 'put', `replace status of the specified ${t.kind}`, {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        requestBody: { required: true, content: json(ref) },
        responses: ok(ref),
      }),
      patch: op(t, 'patch', `partially update status of the specified ${t.kind}`, {
        parameters: [
          DRY_RUN,
          FIELD_MANAGER,
          FIELD_VALIDATION,
          queryParam('force', 'Force apply over conflicts.', 'boolean'),
        ],
        requestBody: patchBody,
        responses: ok(ref),
      }),
      parameters: [nameParam, ...scopeParams],
    };
  }
  return paths;
}

function kindSchema(t: ResourceType): Json {
  const schema: Json = structuredClone(t.openapiSchema);
  const props = (schema.properties ?? {}) as Json;
  props.apiVersion ??= {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  props.kind ??= {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  props.metadata = { $ref: REF_META };
  schema.properties = props;
  schema['x-kubernetes-group-version-kind'] = [gvk(t)];
  return schema;
}

function listSchema(t: ResourceType): Json {
  return {
    description: `${t.listKind} is a list of ${t.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: `#/components/schemas/${META}.ListMeta` },
      items: { type: 'array', items: { $ref: `#/components/schemas/${schemaName(t)}` } },
    },
    'x-kubernetes-group-version-kind': [{ ...gvk(t), kind: t.listKind }],
  };
}

const META_SCHEMAS: Json = {
  [`${META}.ObjectMeta`]: OBJECT_META_SCHEMA,
  [`${META}.ListMeta`]: {
    description: 'ListMeta describes metadata that synthetic resources must have.',
    type: 'object',
    properties: {
      resourceVersion: { type: 'string' },
      continue: { type: 'string' },
      remainingItemCount: { type: 'integer', format: 'int64' },
    },
  },
  [`${META}.Patch`]: {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  },
  [`${META}.Status`]: {
    description: 'Status is a return value for calls that do not return other objects.',
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      code: { type: 'integer', format: 'int32' },
      message: { type: 'string' },
      reason: { type: 'string' },
      status: { type: 'string' },
      details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  },
};

/** The v3 document for one group-version, or undefined when nothing is served there. */
export function openapiV3Document(
  catalogue: ResourceCatalogue,
  group: string,
  version: string,
): Json | undefined {
  const types = catalogue.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const paths: Json = {};
  const schemas: Json = { ...META_SCHEMAS };
  for (const t of types) {
    Object.assign(paths, pathsFor(t, prefix));
    schemas[schemaName(t)] = kindSchema(t);
    schemas[`${schemaName(t)}List`] = listSchema(t);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

/** `api/v1` and `apis/G/V` keys of the v3 index. */
export function openapiV3Paths(
  catalogue: ResourceCatalogue,
): Array<{ key: string; group: string; version: string }> {
  const out: Array<{ key: string; group: string; version: string }> = [];
  for (const [group, versions] of catalogue.groups()) {
    for (const version of versions) {
      out.push({ key: group === '' ? `api/${version}` : `apis/${group}/${version}`, group, version });
    }
  }
  return out;
}

/** Built documents, rebuilt only when the catalogue changes (a CRD was added, changed or removed). */
export class OpenApiCache {
  private generation = -1;
  private docs = new Map<string, { text: string; hash: string }>();
  private v2: Json | undefined;
  private v2Text: string | undefined;
  private v2Protobuf: Buffer | undefined;

  constructor(private readonly catalogue: ResourceCatalogue) {}

  private refresh(): void {
    if (this.generation === this.catalogue.generation) return;
    this.generation = this.catalogue.generation;
    this.docs = new Map();
    this.v2 = undefined;
    this.v2Text = undefined;
    this.v2Protobuf = undefined;
    for (const p of openapiV3Paths(this.catalogue)) {
      const doc = openapiV3Document(this.catalogue, p.group, p.version);
      if (!doc) continue;
      const text = JSON.stringify(doc);
      const hash = createHash('sha512').update(text).digest('hex').slice(0, 128).toUpperCase();
      this.docs.set(p.key, { text, hash });
    }
  }

  index(): Json {
    this.refresh();
    const paths: Json = {};
    for (const [key, doc] of this.docs)
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
    return { paths };
  }

  document(key: string): { text: string; hash: string } | undefined {
    this.refresh();
    return this.docs.get(key);
  }

  /** The v2 document as JSON text. */
  swagger(): string {
    this.refresh();
    this.v2Text ??= JSON.stringify(this.swaggerDocument());
    return this.v2Text;
  }

  /** The v2 document as gnostic protobuf, the form kubectl up to 1.26 asks for. */
  swaggerProtobuf(): Buffer {
    this.refresh();
    this.v2Protobuf ??= encodeOpenApiV2(this.swaggerDocument());
    return this.v2Protobuf;
  }

  private swaggerDocument(): Json {
    this.refresh();
    if (this.v2) return this.v2;
    const definitions: Json = {};
    const paths: Json = {};
    for (const p of openapiV3Paths(this.catalogue)) {
      const doc = openapiV3Document(this.catalogue, p.group, p.version) as Json;
      const schemas = (doc.components as Json).schemas as Json;
      for (const [name, schema] of Object.entries(schemas)) definitions[name] = v2Schema(schema);
      for (const [path, item] of Object.entries(doc.paths as Json))
        paths[path] = swaggerPathItem(item as Json);
    }
    this.v2 = {
      swagger: '2.0',
      info: { title: 'Kubernetes', version: 'v1.32.0' },
      paths,
      definitions,
    };
    return this.v2;
  }
}

/**
 * A v3 schema as the API server publishes it in v2, which has no nullable, oneOf, anyOf or not: the same
 * reductions as apiextensions-apiserver's ToStructuralOpenAPIV2, so kubectl's client-side validation
 * accepts what the server accepts (a nullable or free-form field loses the type or fields it cannot check).
 */
export function v2Schema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(v2Schema);
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string') out[k] = v.replace('#/components/schemas/', '#/definitions/');
    else if (k === 'oneOf' || k === 'anyOf' || k === 'not' || k === 'nullable') continue;
    else if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, v2Schema(sub)]));
    } else if (k === 'enum' || k === 'default' || k === 'example' || k.startsWith('x-')) out[k] = v;
    else out[k] = v2Schema(v);
  }
  const source = value as Json;
  if (source.nullable === true || source['x-kubernetes-int-or-string'] === true) delete out.type;
  if (source.nullable === true || source['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out.items;
    delete out.properties;
  }
  if (out.type === 'array' && out.items === undefined) delete out.type;
  if (Array.isArray(out.required) && source.properties && typeof source.properties === 'object') {
    const props = source.properties as Record<string, Json>;
    out.required = out.required.filter((name) => props[name as string]?.nullable !== true);
    if ((out.required as unknown[]).length === 0) delete out.required;
  }
  return out;
}

function swaggerPathItem(item: Json): Json {
  const out: Json = {};
  for (const [method, operation] of Object.entries(item)) {
    if (method === 'parameters') {
      out.parameters = (operation as Json[]).map((p) => ({
        name: p.name,
        in: p.in,
        required: p.required,
        type: 'string',
      }));
      continue;
    }
    const o = operation as Json;
    const consumes = o.requestBody ? Object.keys(((o.requestBody as Json).content ?? {}) as Json) : undefined;
    out[method] = {
      description: o.description,
      operationId: o.operationId,
      consumes,
      produces: ['application/json', 'application/yaml'],
      parameters: ((o.parameters as Json[] | undefined) ?? []).map((p) => ({
        name: p.name,
        in: p.in,
        type: ((p.schema as Json | undefined)?.type as string) ?? 'string',
        uniqueItems: true,
      })),
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': o['x-kubernetes-action'],
      'x-kubernetes-group-version-kind': o['x-kubernetes-group-version-kind'],
    };
  }
  return out;
}
