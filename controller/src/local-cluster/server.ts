// The HTTP face of the local cluster: routing, content negotiation (JSON, YAML, Tables, partial metadata,
// aggregated discovery), request bodies, watch streams, and every failure answered as a Status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { ClusterState } from './cluster.js';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  aggregatedVersionAccepted,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.js';
import {
  ApiError,
  badRequest,
  conflict,
  internalError,
  methodNotAllowed,
  notAcceptable,
  pathNotFound,
  unsupportedMediaType,
} from './errors.js';
import { decodeKubernetesProtobuf } from './protobuf.js';
import { apiVersionOf, type KubeObject, type ResourceType } from './resources.js';
import {
  type DeleteOptions,
  type FieldValidation,
  objectFilter,
  parseJson,
  type WriteOptions,
  type WriteResult,
} from './rest.js';
import { parsePath, type Route } from './routes.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { StoredObject } from './store.js';
import { type IncludeObject, partialObjectMetadata, rowOf, tableOf } from './table.js';

type Json = Record<string, unknown>;

const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-vigil-local',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** What the client accepts, reduced to the representations this server can produce. */
export interface Negotiated {
  as: 'object' | 'table' | 'metadata';
  yaml: boolean;
}

export function negotiate(accept: string | undefined): Negotiated {
  if (!accept || accept.trim() === '') return { as: 'object', yaml: false };
  let acceptable = false;
  for (const raw of accept.split(',')) {
    const params = raw.split(';').map((p) => p.trim());
    const media = params[0] ?? '';
    const as = params.find((p) => p.startsWith('as='))?.slice(3);
    const group = params.find((p) => p.startsWith('g='))?.slice(2);
    if (as === 'Table' && group === 'meta.k8s.io') return { as: 'table', yaml: false };
    if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && group === 'meta.k8s.io') {
      return { as: 'metadata', yaml: false };
    }
    if (as !== undefined) continue;
    if (media === 'application/yaml') return { as: 'object', yaml: true };
    if (media === 'application/json' || media === '*/*' || media === 'application/*') acceptable = true;
  }
  if (!acceptable) throw notAcceptable(['application/json', 'application/yaml']);
  return { as: 'object', yaml: false };
}

/** The media type kubectl up to 1.26 asks for, and the spelling without `@` that later clients use. */
const OPENAPI_V2_PROTOBUF: readonly [string, string] = [
  'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
  'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
];

/** The first representation of the v2 document the client accepts, in the order it lists them. */
export function openapiV2Format(accept: string | undefined): 'json' | 'protobuf' {
  if (!accept || accept.trim() === '') return 'json';
  for (const part of accept.split(',')) {
    const media = (part.split(';')[0] ?? '').trim();
    if (OPENAPI_V2_PROTOBUF.includes(media)) return 'protobuf';
    if (media === 'application/json' || media === 'application/*' || media === '*/*') return 'json';
  }
  throw notAcceptable(['application/json', OPENAPI_V2_PROTOBUF[0]]);
}

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  accept: Negotiated;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  logger?: Logger;
}

export class ApiHttpServer {
  private readonly server: Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  private address = '';

  constructor(
    private readonly cluster: ClusterState,
    private readonly options: HttpServerOptions,
  ) {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // Watches stay open for as long as clients want them.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    this.address = `${this.options.host}:${addr.port}`;
    return `http://${this.address}`;
  }

  async close(): Promise<void> {
    this.cluster.watches.closeAll();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://local');
    try {
      const route = parsePath(url.pathname);
      // The OpenAPI v2 document negotiates its own media types, protobuf among them.
      const accept =
        route.kind === 'openapiV2' ? { as: 'object' as const, yaml: false } : negotiate(req.headers.accept);
      await this.dispatch({ req, res, url, accept }, route);
    } catch (e) {
      const err = e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e));
      if (!(e instanceof ApiError))
        this.options.logger?.error({ err: e, path: url.pathname }, 'local cluster: request failed');
      if (!res.headersSent) sendJson(res, err.code, err.toStatus());
      else res.end();
    } finally {
      this.options.logger?.debug(
        {
          method: req.method,
          path: url.pathname,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'local cluster request',
      );
    }
  }

  private async dispatch(ctx: RequestContext, route: Route): Promise<void> {
    const { res } = ctx;
    const c = this.cluster;
    const method = ctx.req.method ?? 'GET';
    if (route.kind !== 'resource' && method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    switch (route.kind) {
      case 'root':
        return sendJson(res, 200, {
          paths: [
            '/api',
            '/api/v1',
            '/apis',
            '/healthz',
            '/livez',
            '/openapi/v2',
            '/openapi/v3',
            '/readyz',
            '/version',
          ],
        });
      case 'version':
        return sendJson(res, 200, SERVER_VERSION);
      case 'health':
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(ctx.url.searchParams.has('verbose') ? `[+]ping ok\n${route.check} check passed\n` : 'ok');
        return;
      case 'api':
      case 'apis': {
        const version = aggregatedVersionAccepted(ctx.req.headers.accept);
        if (version) {
          return sendJson(
            res,
            200,
            aggregatedDiscovery(c.catalogue, route.kind === 'api', version),
            aggregatedContentType(version),
          );
        }
        return sendJson(
          res,
          200,
          route.kind === 'api' ? apiVersions(this.address) : apiGroupList(c.catalogue),
        );
      }
      case 'group': {
        const doc = apiGroup(c.catalogue, route.group);
        if (!doc) throw pathNotFound();
        return sendJson(res, 200, doc);
      }
      case 'groupVersion': {
        const doc = apiResourceList(c.catalogue, route.group, route.version);
        if (!doc) throw pathNotFound();
        return sendJson(res, 200, doc);
      }
      case 'openapiV3Index':
        return sendJson(res, 200, c.openapi.index(), 'application/json', {
          'Cache-Control': 'no-cache, private',
        });
      case 'openapiV3': {
        const doc = c.openapi.document(route.key);
        if (!doc) throw pathNotFound();
        const hash = ctx.url.searchParams.get('hash');
        const headers: Record<string, string> = { ETag: `"${doc.hash}"` };
        // A hashed URL names one version of the document forever, so clients may cache it.
        headers['Cache-Control'] =
          hash === doc.hash ? 'public, immutable, max-age=31536000' : 'no-cache, private';
        return sendText(res, 200, doc.text, 'application/json', headers);
      }
      case 'openapiV2': {
        const headers = { Vary: 'Accept' };
        if (openapiV2Format(ctx.req.headers.accept) === 'protobuf') {
          const body = c.openapi.swaggerProtobuf();
          res.writeHead(200, {
            // The spelling without `@`: Go's mime parser, which kubectl runs on every reply, refuses the other.
            'Content-Type': OPENAPI_V2_PROTOBUF[1],
            'Content-Length': body.length,
            ...headers,
          });
          res.end(body);
          return;
        }
        return sendText(res, 200, c.openapi.swagger(), 'application/json', headers);
      }
      case 'notFound':
        throw pathNotFound();
      case 'resource':
        return this.resource(ctx, route, method);
    }
  }

  /**
   * A write, passed through the validating webhooks that match it as the real server does: the write is worked
   * out in full (a dry run), the webhooks judge that object, and only then is it made. Should the object change
   * while they judge, they judge again, so what is stored is always what was admitted.
   */
  private async admitted(
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    write: WriteOptions,
    perform: (options: WriteOptions, name?: string) => WriteResult,
  ): Promise<WriteResult> {
    const c = this.cluster;
    if (!c.admission.mayApply(type, write.subresource)) return perform(write);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = name === undefined ? undefined : c.store.get(type.storageKey, namespace ?? '', name);
      const trial = perform({ ...write, dryRun: true });
      const objectName = trial.object.metadata?.name ?? name ?? '';
      const webhookWarnings = await c.admission.validate({
        type,
        operation: trial.created ? 'CREATE' : 'UPDATE',
        ...(write.subresource ? { subresource: write.subresource } : {}),
        ...(type.namespaced ? { namespace: trial.object.metadata?.namespace ?? namespace } : {}),
        name: objectName,
        object: trial.object,
        ...(current ? { oldObject: c.rest.view(type, current) } : {}),
        dryRun: write.dryRun === true,
        userInfo: LOCAL_USER,
      });
      const done = (r: WriteResult): WriteResult => ({ ...r, warnings: [...r.warnings, ...webhookWarnings] });
      if (write.dryRun) return done(trial);
      const now = name === undefined ? undefined : c.store.get(type.storageKey, namespace ?? '', name);
      if (now?.resourceVersion !== current?.resourceVersion) continue;
      return done(perform(write, trial.created ? objectName : undefined));
    }
    throw conflictWhileAdmitting(type, name ?? '');
  }

  private async resource(
    ctx: RequestContext,
    route: Extract<Route, { kind: 'resource' }>,
    method: string,
  ): Promise<void> {
    const c = this.cluster;
    const type = c.catalogue.get(route.group, route.version, route.plural);
    if (!type) throw pathNotFound();
    if (route.namespace !== undefined && !type.namespaced) throw pathNotFound();
    if (route.subresource !== undefined && !(route.subresource === 'status' && type.statusSubresource))
      throw pathNotFound();
    const q = ctx.url.searchParams;
    const namespace = route.namespace;
    const isWatch = route.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
    if (method === 'GET' || method === 'HEAD') {
      if (route.name !== undefined && !isWatch) {
        const stored = c.rest.get(type, namespace ?? '', route.name);
        return this.sendObject(ctx, type, stored, 200);
      }
      if (isWatch) return this.watch(ctx, type, namespace, route.name);
      return this.list(ctx, type, namespace);
    }
    const write = writeOptions(q);
    if (route.subresource) write.subresource = route.subresource;
    switch (method) {
      case 'POST': {
        if (route.name !== undefined) throw methodNotAllowed();
        if (type.namespaced && namespace === undefined) throw methodNotAllowed();
        const body = await readObject(ctx.req);
        const result = await this.admitted(type, namespace, undefined, write, (w, name) => {
          const copy = structuredClone(body);
          // The name the trial generated is the name the webhooks judged.
          if (name && !copy.metadata?.name) copy.metadata = { ...copy.metadata, name };
          return c.rest.create(type, namespace, copy, w);
        });
        return this.sendWritten(ctx, type, result.object, 201, result.warnings);
      }
      case 'PUT': {
        if (route.name === undefined) throw methodNotAllowed();
        const body = await readObject(ctx.req);
        const name = route.name;
        const result = await this.admitted(type, namespace, name, write, (w) =>
          c.rest.update(type, namespace, name, structuredClone(body), w),
        );
        return this.sendWritten(ctx, type, result.object, 200, result.warnings);
      }
      case 'PATCH': {
        if (route.name === undefined) throw methodNotAllowed();
        const text = await readBody(ctx.req);
        const name = route.name;
        const contentType = ctx.req.headers['content-type'] ?? '';
        const result = await this.admitted(type, namespace, name, write, (w) =>
          c.rest.patch(type, namespace, name, contentType, text, w),
        );
        return this.sendWritten(ctx, type, result.object, result.created ? 201 : 200, result.warnings);
      }
      case 'DELETE': {
        const text = await readBody(ctx.req);
        const options = deleteOptions(text, q);
        if (route.name === undefined) {
          c.rest.deleteCollection(
            type,
            namespace,
            { labelSelector: q.get('labelSelector'), fieldSelector: q.get('fieldSelector') },
            options,
          );
          return sendJson(ctx.res, 200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
          });
        }
        const result = c.rest.delete(type, namespace, route.name, options);
        if (type.returnDeletedObject || !result.removed)
          return this.sendWritten(ctx, type, result.object, 200, []);
        return sendJson(ctx.res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: {
            name: route.name,
            group: type.group,
            kind: type.plural,
            uid: result.object.metadata?.uid,
          },
        });
      }
      default:
        throw methodNotAllowed();
    }
  }

  private sendObject(ctx: RequestContext, type: ResourceType, stored: StoredObject, code: number): undefined {
    const { accept } = ctx;
    if (accept.as === 'object' && !accept.yaml)
      return sendText(ctx.res, code, this.cluster.rest.viewJson(type, stored), 'application/json');
    return this.sendWritten(ctx, type, this.cluster.rest.view(type, stored), code, []);
  }

  private sendWritten(
    ctx: RequestContext,
    type: ResourceType,
    obj: KubeObject,
    code: number,
    warnings: string[],
  ): undefined {
    const headers: Record<string, string | string[]> = {};
    if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    const { accept } = ctx;
    if (accept.as === 'table') {
      const table = tableOf(type, [obj], includeObject(ctx.url), {
        resourceVersion: obj.metadata?.resourceVersion,
      });
      return sendJson(ctx.res, code, table, 'application/json', headers);
    }
    const body = accept.as === 'metadata' ? partialObjectMetadata(obj) : obj;
    if (accept.yaml) return sendText(ctx.res, code, toYaml(body), 'application/yaml', headers);
    return sendJson(ctx.res, code, body, 'application/json', headers);
  }

  private list(ctx: RequestContext, type: ResourceType, namespace: string | undefined): undefined {
    const q = ctx.url.searchParams;
    const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
      throw badRequest(`invalid limit: ${q.get('limit')}`);
    const result = this.cluster.rest.list(type, namespace, {
      labelSelector: q.get('labelSelector'),
      fieldSelector: q.get('fieldSelector'),
      limit,
      continue: q.get('continue'),
    });
    const meta: Json = { resourceVersion: String(result.resourceVersion) };
    if (result.continue) meta.continue = result.continue;
    if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
    const rest = this.cluster.rest;
    if (ctx.accept.as === 'table') {
      const objects = result.items.map((o) => rest.view(type, o));
      return sendJson(ctx.res, 200, tableOf(type, objects, includeObject(ctx.url), meta));
    }
    if (ctx.accept.as === 'metadata') {
      return sendJson(ctx.res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: meta,
        items: result.items.map((o) => partialObjectMetadata(rest.view(type, o))),
      });
    }
    const apiVersion = apiVersionOf(type.group, type.version);
    if (ctx.accept.yaml) {
      const doc = {
        apiVersion,
        items: result.items.map((o) => rest.view(type, o)),
        kind: type.listKind,
        metadata: meta,
      };
      return sendText(ctx.res, 200, toYaml(doc), 'application/yaml');
    }
    // Items are already serialised: the list is assembled from the cached strings without parsing any.
    const items = result.items.map((o) => rest.viewJson(type, o)).join(',');
    const text = `{"apiVersion":${JSON.stringify(apiVersion)},"items":[${items}],"kind":${JSON.stringify(type.listKind)},"metadata":${JSON.stringify(meta)}}`;
    return sendText(ctx.res, 200, text, 'application/json');
  }

  private watch(
    ctx: RequestContext,
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
  ): void {
    const q = ctx.url.searchParams;
    const c = this.cluster;
    const labels = parseLabelSelector(q.get('labelSelector'));
    let fieldSelector = q.get('fieldSelector') ?? '';
    if (name !== undefined)
      fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${name}` : `metadata.name=${name}`;
    const fields = parseFieldSelector(fieldSelector, c.rest.fieldSelectorsOf(type));
    const rvText = q.get('resourceVersion');
    let from: number | undefined;
    if (rvText !== null && rvText !== '') {
      from = Number(rvText);
      if (!Number.isInteger(from) || from < 0) throw badRequest(`invalid resource version: ${rvText}`);
    }
    const timeout = q.get('timeoutSeconds');
    const { res } = ctx;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    const include = includeObject(ctx.url);
    const apiVersion = apiVersionOf(type.group, type.version);
    const encode = (stored: StoredObject): string => {
      if (ctx.accept.as === 'object') return c.rest.viewJson(type, stored);
      const obj = c.rest.view(type, stored);
      if (ctx.accept.as === 'metadata') return JSON.stringify(partialObjectMetadata(obj));
      const table = tableOf(type, [], include, { resourceVersion: String(stored.resourceVersion) });
      table.rows = [rowOf(type, obj, include, Date.now())];
      return JSON.stringify(table);
    };
    let open = true;
    const unsubscribe = c.watches.subscribe(
      {
        storageKey: type.storageKey,
        fromResourceVersion: from,
        matches: objectFilter(namespace, labels, fields),
        bookmarks: q.get('allowWatchBookmarks') === 'true',
        timeoutMs: timeout ? Number(timeout) * 1000 : undefined,
      },
      {
        event(kind, stored) {
          if (open) res.write(`{"type":"${kind}","object":${encode(stored)}}\n`);
        },
        bookmark(rv) {
          if (!open) return;
          const object = {
            kind: type.kind,
            apiVersion,
            metadata: { resourceVersion: String(rv), creationTimestamp: null },
          };
          res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
        },
        fail(status) {
          if (!open) return;
          res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
          open = false;
          res.end();
        },
        end() {
          if (!open) return;
          open = false;
          res.end();
        },
      },
    );
    const close = () => {
      open = false;
      unsubscribe();
    };
    ctx.req.on('close', close);
    res.on('close', close);
  }
}

/** Who the local cluster says is asking: it has no authentication, so everyone is its administrator. */
const LOCAL_USER = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

function conflictWhileAdmitting(type: ResourceType, name: string): ApiError {
  return conflict(
    type.plural,
    type.group,
    name,
    'the object kept changing while admission webhooks judged it; try again',
  );
}

function includeObject(url: URL): IncludeObject {
  const v = url.searchParams.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All'))
    throw badRequest(`Invalid dryRun value: ${dryRun.join(',')}: supported values: "All"`);
  const fv = q.get('fieldValidation');
  let fieldValidation: FieldValidation = 'Warn';
  if (fv !== null && fv !== '') {
    const normal = fv.charAt(0).toUpperCase() + fv.slice(1).toLowerCase();
    if (normal !== 'Strict' && normal !== 'Warn' && normal !== 'Ignore') {
      throw badRequest(
        `fieldValidation parameter "${fv}" is not a valid value: supported values: "Ignore", "Strict", "Warn"`,
      );
    }
    fieldValidation = normal;
  }
  const options: WriteOptions = {
    dryRun: dryRun.length > 0,
    fieldValidation,
    force: q.get('force') === 'true',
  };
  const manager = q.get('fieldManager');
  if (manager) options.fieldManager = manager;
  return options;
}

function deleteOptions(text: string, q: URLSearchParams): DeleteOptions {
  let body: Json = {};
  if (text.trim() !== '') {
    const parsed = parseJson(text);
    if (parsed && typeof parsed === 'object') body = parsed as Json;
  }
  const options: DeleteOptions = {};
  const policy = (q.get('propagationPolicy') ?? body.propagationPolicy) as string | undefined;
  if (policy !== undefined && policy !== null) {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw badRequest(
        `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    options.propagationPolicy = policy;
  }
  const orphan = q.get('orphanDependents') ?? body.orphanDependents;
  if (orphan === true || orphan === 'true') options.orphanDependents = true;
  if (body.preconditions && typeof body.preconditions === 'object')
    options.preconditions = body.preconditions as DeleteOptions['preconditions'];
  const dry = (body.dryRun as unknown[] | undefined) ?? q.getAll('dryRun');
  options.dryRun = Array.isArray(dry) && dry.length > 0;
  return options;
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readObject(req: IncomingMessage): Promise<KubeObject> {
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
  if (contentType === 'application/vnd.kubernetes.protobuf')
    return decodeKubernetesProtobuf(await readBytes(req));
  const text = await readBody(req);
  let value: unknown;
  if (contentType === 'application/json' || contentType === '') value = parseJson(text);
  else if (contentType === 'application/yaml') {
    try {
      value = parseYaml(text);
    } catch {
      throw badRequest('error decoding YAML body');
    }
  } else throw unsupportedMediaType(contentType, ['application/json', 'application/yaml']);
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw badRequest('the request body is not an object');
  return value as KubeObject;
}

function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string | string[]> = {},
): undefined {
  sendText(res, code, JSON.stringify(body), contentType, headers);
}

function sendText(
  res: ServerResponse,
  code: number,
  text: string,
  contentType: string,
  headers: Record<string, string | string[]> = {},
): undefined {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
