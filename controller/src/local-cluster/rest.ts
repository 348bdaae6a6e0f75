// The verbs over stored objects with a real API server's rules: create, get, list, update, patch, delete,
// deletecollection; status subresource, generation, optimistic concurrency, finalizers, field validation.
import { parse as parseYaml } from 'yaml';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  fieldError,
  forbidden,
  invalid,
  notFound,
  STALE_OBJECT,
  type StatusCause,
  unsupportedMediaType,
} from './errors.js';
import {
  generatedName,
  resetServerFields,
  sameContent,
  specChanged,
  timestamp,
  validateObjectMeta,
} from './metadata.js';
import { applyMerge, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, type KubeObject, type ResourceCatalogue, type ResourceType } from './resources.js';
import {
  type FieldRequirement,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  readField,
} from './selectors.js';
import { type ObjectStore, parse, type StoredObject } from './store.js';
import { applyDefaults, pruneUnknownFields } from './structural.js';
import type { WatchHub } from './watch.js';

type Json = Record<string, unknown>;

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  fieldManager?: string;
  force?: boolean;
  subresource?: string;
}

export interface WriteResult {
  /** The object as the client sees it (in the requested version). */
  object: KubeObject;
  created: boolean;
  warnings: string[];
}

export interface DeleteOptions {
  propagationPolicy?: string;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  limit?: number;
  continue?: string | null;
}

export interface ListResult {
  items: StoredObject[];
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Namespaces a real cluster refuses to delete. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/** A filter over stored objects built from a request's namespace and selectors. */
export function objectFilter(
  namespace: string | undefined,
  labels: LabelSelector,
  fields: FieldRequirement[],
): (o: StoredObject) => boolean {
  const needsParse = fields.some((f) => f.field !== 'metadata.name' && f.field !== 'metadata.namespace');
  return (o) => {
    if (namespace !== undefined && o.namespace !== namespace) return false;
    if (labels.length > 0 && !matchesLabels(labels, o.labels)) return false;
    if (fields.length === 0) return true;
    const parsed = needsParse ? parse(o) : undefined;
    return matchesFields(fields, (field) => {
      if (field === 'metadata.name') return o.name;
      if (field === 'metadata.namespace') return o.namespace;
      return readField(parsed, field);
    });
  };
}

interface ContinueToken {
  rv: number;
  start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString(
    'base64url',
  );
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Json;
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string')
      throw new Error();
    return { rv: raw.rv, start: raw.start };
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}

function sortKey(o: StoredObject): string {
  return `${o.namespace}/${o.name}`;
}

export class RestStorage {
  constructor(
    readonly catalogue: ResourceCatalogue,
    readonly store: ObjectStore,
    readonly watches: WatchHub,
    /** Called after a CustomResourceDefinition is written or removed, to (re)register what it serves. */
    private readonly onCrdChange: (crd: KubeObject, removed: boolean) => void,
  ) {}

  /** A stored object as a client of `type` sees it: converted from the storage form and version. */
  view(type: ResourceType, stored: StoredObject): KubeObject {
    let obj = parse(stored);
    if (type.behaviour?.fromStorage) obj = type.behaviour.fromStorage(obj);
    obj.apiVersion = apiVersionOf(type.group, type.version);
    return obj;
  }

  /** The JSON a client of `type` receives, without parsing when the stored form already is that. */
  viewJson(type: ResourceType, stored: StoredObject): string {
    if (!type.behaviour?.fromStorage && type.storageApiVersion === apiVersionOf(type.group, type.version)) {
      return stored.json;
    }
    return JSON.stringify(this.view(type, stored));
  }

  get(type: ResourceType, namespace: string, name: string): StoredObject {
    const stored = this.store.get(type.storageKey, namespace, name);
    if (!stored) throw notFound(type.plural, type.group, name);
    return stored;
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions): ListResult {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector, this.fieldSelectorsOf(type));
    const filter = objectFilter(namespace, labels, fields);
    let start = '';
    let rv = this.store.resourceVersion;
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (token.rv < this.watches.oldestResumable) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      start = token.start;
      rv = token.rv;
    }
    const matching: StoredObject[] = [];
    for (const o of this.store.objects(type.storageKey, namespace)) {
      if ((start === '' || sortKey(o) > start) && filter(o)) matching.push(o);
    }
    matching.sort((a, b) =>
      a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace),
    );
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    if (limit === undefined || matching.length <= limit) return { items: matching, resourceVersion: rv };
    const page = matching.slice(0, limit);
    const last = page[page.length - 1]!;
    return {
      items: page,
      resourceVersion: rv,
      continue: encodeContinue({ rv, start: sortKey(last) }),
      remainingItemCount: matching.length - limit,
    };
  }

  fieldSelectorsOf(type: ResourceType): string[] {
    const base = type.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
    return [...base, ...type.extraFieldSelectors];
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: KubeObject,
    options: WriteOptions,
  ): WriteResult {
    checkKind(type, body);
    const obj = body;
    obj.metadata = obj.metadata ?? {};
    const meta = obj.metadata;
    if (meta.resourceVersion) {
      throw invalid(type.kind, type.group, meta.name ?? '', [
        fieldError.invalid(
          'metadata.resourceVersion',
          meta.resourceVersion,
          'resourceVersion should not be set on objects to be created',
        ),
      ]);
    }
    this.placeInNamespace(type, obj, namespace);
    if (!meta.name && meta.generateName) meta.name = generatedName(meta.generateName);
    if (type.statusSubresource && type.custom) delete (obj as Json).status;
    resetServerFields(meta, undefined);
    const warnings = this.admit(type, obj, undefined, options);
    const name = meta.name ?? '';
    if (type.namespaced) this.requireLiveNamespace(type, meta.namespace ?? '', name);
    if (this.store.get(type.storageKey, meta.namespace ?? '', name))
      throw alreadyExists(type.plural, type.group, name);
    return this.commit(type, obj, undefined, options, warnings, true);
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    options: WriteOptions,
  ): WriteResult {
    checkKind(type, body);
    const current = this.get(type, namespace ?? '', name);
    const old = this.view(type, current);
    const rv = body.metadata?.resourceVersion;
    if (!rv && !type.allowUnconditionalUpdate) {
      throw invalid(type.kind, type.group, name, [
        fieldError.invalid('metadata.resourceVersion', '0x0', 'must be specified for an update'),
      ]);
    }
    return this.replace(type, current, old, body, options);
  }

  /** Update semantics shared by PUT and PATCH: preconditions, subresource rules, generation, finalizers. */
  private replace(
    type: ResourceType,
    current: StoredObject,
    old: KubeObject,
    body: KubeObject,
    options: WriteOptions,
  ): WriteResult {
    const name = current.name;
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== String(current.resourceVersion))
      throw conflict(type.plural, type.group, name, STALE_OBJECT);
    if (body.metadata?.name && body.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    let obj: KubeObject;
    if (options.subresource === 'status') {
      // A status write changes status and nothing else.
      obj = structuredClone(old);
      if ((body as Json).status === undefined) delete (obj as Json).status;
      else (obj as Json).status = (body as Json).status;
    } else {
      obj = body;
      if (type.statusSubresource) {
        if ((old as Json).status === undefined) delete (obj as Json).status;
        else (obj as Json).status = (old as Json).status;
      }
    }
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    obj.metadata = obj.metadata ?? {};
    const meta = obj.metadata;
    meta.name = name;
    if (type.namespaced) meta.namespace = current.namespace;
    else delete meta.namespace;
    resetServerFields(meta, old.metadata);
    const warnings = this.admit(type, obj, old, options);
    if (specChanged(obj, old, type.statusSubresource)) meta.generation = (old.metadata?.generation ?? 0) + 1;
    meta.resourceVersion = String(current.resourceVersion);
    if (sameContent(obj, old)) return { object: old, created: false, warnings };
    return this.commit(type, obj, current, options, warnings, false);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: string,
    options: WriteOptions,
  ): WriteResult {
    const patchType = contentType.split(';')[0]!.trim();
    const accepted = type.custom
      ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
      : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply];
    if (!accepted.includes(patchType as (typeof accepted)[number]))
      throw unsupportedMediaType(patchType, accepted);
    const current = this.store.get(type.storageKey, namespace ?? '', name);
    if (patchType === PATCH_TYPES.apply) return this.apply(type, namespace, name, current, body, options);
    if (!current) throw notFound(type.plural, type.group, name);
    const old = this.view(type, current);
    const patchBody = parseJson(body);
    let patched: unknown;
    if (patchType === PATCH_TYPES.json) patched = jsonPatch(old, patchBody);
    else if (patchType === PATCH_TYPES.merge) patched = mergePatch(old, patchBody);
    else patched = strategicMergePatch(old, patchBody);
    if (!isObject(patched)) throw badRequest('the patch produced something that is not an object');
    return this.replace(type, current, old, patched as KubeObject, options);
  }

  /** Simplified server-side apply: create from the configuration, or merge it into the live object. */
  private apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    current: StoredObject | undefined,
    body: string,
    options: WriteOptions,
  ): WriteResult {
    if (!options.fieldManager) throw badRequest('PATCH /: fieldManager is required for apply requests');
    let applied: unknown;
    try {
      applied = parseYaml(body);
    } catch (e) {
      throw badRequest(`error decoding YAML: ${e instanceof Error ? e.message.split('\n')[0] : 'invalid'}`);
    }
    if (!isObject(applied)) throw badRequest('error decoding YAML: the configuration is not an object');
    const config = applied as KubeObject;
    if (config.metadata?.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
    checkKind(type, config);
    if (type.schema) {
      // Apply configurations must fit the schema exactly, whatever fieldValidation says.
      const unknown = pruneUnknownFields(config as Json, type.schema, false).concat(
        unknownMetadataFields(config),
      );
      if (unknown.length > 0) {
        const gvk = `${apiVersionOf(type.group, type.version)}, Kind=${type.kind}`;
        const nn = type.namespaced ? `${namespace ?? ''}/${name}` : `/${name}`;
        throw new ApiError(
          500,
          '',
          `failed to create typed patch object (${nn}; ${gvk}): .${unknown[0]}: field not declared in schema`,
        );
      }
    }
    if (!current) {
      const created = structuredClone(config);
      created.metadata = { ...created.metadata, name };
      if (options.subresource === 'status') throw notFound(type.plural, type.group, name);
      return this.create(type, namespace, created, { ...options, fieldValidation: 'Ignore' });
    }
    const old = this.view(type, current);
    const merged = applyMerge(old, config) as KubeObject;
    // Apply never carries a precondition unless the configuration sets one.
    if (merged.metadata) merged.metadata.resourceVersion = config.metadata?.resourceVersion ?? undefined;
    return this.replace(type, current, old, merged, { ...options, fieldValidation: 'Ignore' });
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
  ): {
    object: KubeObject;
    removed: boolean;
    stored: StoredObject;
  } {
    const current = this.get(type, namespace ?? '', name);
    const obj = this.view(type, current);
    const meta = obj.metadata ?? {};
    if (type.kind === 'Namespace' && type.group === '' && PROTECTED_NAMESPACES.has(name)) {
      throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, {
        name,
        kind: 'namespaces',
      });
    }
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== meta.uid) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`,
      );
    }
    const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : 'Background');
    const finalizers = [...(meta.finalizers ?? [])];
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
      finalizers.push('foregroundDeletion');
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    const isNamespace = type.kind === 'Namespace' && type.group === '';
    const waitsForContent =
      isNamespace && (((obj as Json).spec as Json | undefined)?.finalizers as unknown[] | undefined)?.length;
    if (options.dryRun)
      return { object: obj, removed: finalizers.length === 0 && !waitsForContent, stored: current };
    if (finalizers.length > 0 || waitsForContent) {
      if (meta.deletionTimestamp) return { object: obj, removed: false, stored: current };
      meta.finalizers = finalizers;
      meta.deletionTimestamp = timestamp();
      meta.deletionGracePeriodSeconds = 0;
      if (meta.generation !== undefined) meta.generation += 1;
      if (isNamespace) (obj as Json).status = { phase: 'Terminating' };
      const stored = this.store.put(type.storageKey, this.toStorage(type, obj));
      return { object: this.view(type, stored), removed: false, stored };
    }
    const gone = this.store.remove(type.storageKey, current.namespace, current.name);
    if (type.group === 'apiextensions.k8s.io' && type.kind === 'CustomResourceDefinition')
      this.onCrdChange(obj, true);
    return { object: this.view(type, gone ?? current), removed: true, stored: gone ?? current };
  }

  deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    list: ListOptions,
    options: DeleteOptions,
  ): number {
    const { items } = this.list(type, namespace, {
      labelSelector: list.labelSelector,
      fieldSelector: list.fieldSelector,
    });
    let n = 0;
    for (const o of items) {
      try {
        this.delete(type, o.namespace || undefined, o.name, options);
        n++;
      } catch (e) {
        if (!(e instanceof ApiError) || e.code !== 404) throw e;
      }
    }
    return n;
  }

  /**
   * Remove finalizers from an object as a controller would (garbage collector, namespace cleanup);
   * the object goes when it is being deleted and none remain.
   */
  dropFinalizer(type: ResourceType, stored: StoredObject, finalizer: string): void {
    const obj = this.view(type, stored);
    const meta = obj.metadata ?? {};
    const finalizers = (meta.finalizers ?? []).filter((f) => f !== finalizer);
    if (finalizers.length === (meta.finalizers ?? []).length) return;
    meta.finalizers = finalizers;
    this.commit(type, obj, stored, {}, [], false);
  }

  /** Remove an object whose deletion waited for something other than finalizers (a namespace's content). */
  finishDeletion(type: ResourceType, stored: StoredObject): void {
    this.store.remove(type.storageKey, stored.namespace, stored.name);
  }

  /** Write, or (when deletion is pending and no finalizers remain) remove; dry runs stop short of both. */
  private commit(
    type: ResourceType,
    obj: KubeObject,
    current: StoredObject | undefined,
    options: WriteOptions,
    warnings: string[],
    created: boolean,
  ): WriteResult {
    const meta = obj.metadata ?? {};
    if (options.dryRun) {
      if (created) delete meta.resourceVersion;
      return { object: obj, created, warnings };
    }
    const storageForm = this.toStorage(type, obj);
    const isNamespace = type.kind === 'Namespace' && type.group === '';
    const namespaceWaits = isNamespace && meta.deletionTimestamp !== undefined;
    if (current && meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && !namespaceWaits) {
      const gone = this.store.remove(type.storageKey, current.namespace, current.name, storageForm);
      if (type.kind === 'CustomResourceDefinition' && type.group === 'apiextensions.k8s.io')
        this.onCrdChange(obj, true);
      return { object: gone ? this.view(type, gone) : obj, created: false, warnings };
    }
    const stored = this.store.put(type.storageKey, storageForm);
    if (type.kind === 'CustomResourceDefinition' && type.group === 'apiextensions.k8s.io')
      this.onCrdChange(obj, false);
    return { object: this.view(type, stored), created, warnings };
  }

  private toStorage(type: ResourceType, obj: KubeObject): KubeObject {
    const out = type.behaviour?.toStorage ? type.behaviour.toStorage(obj) : obj;
    out.apiVersion = type.storageApiVersion;
    out.kind = type.kind;
    return out;
  }

  /**
   * Field validation, pruning, defaulting, the kind's own rules, then validation; the order a real server
   * uses. Returns warnings for `fieldValidation=Warn`; throws 400 for Strict and 422 for invalid objects.
   */
  private admit(
    type: ResourceType,
    obj: KubeObject,
    old: KubeObject | undefined,
    options: WriteOptions,
  ): string[] {
    const warnings: string[] = [];
    const mode = options.fieldValidation ?? 'Ignore';
    const unknown = this.unknownFields(type, obj);
    if (unknown.length > 0 && mode === 'Strict') {
      const list = unknown.map((f) => `unknown field "${f}"`).join(', ');
      throw badRequest(
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${list}`,
      );
    }
    if (mode === 'Warn') for (const f of unknown) warnings.push(`unknown field "${f}"`);
    if (type.schema) {
      pruneUnknownFields(obj as Json, type.schema, true);
      applyDefaults(obj, type.schema);
    }
    for (const key of unknownMetadataFields(obj))
      delete (obj.metadata as Json)[key.slice('metadata.'.length)];
    type.behaviour?.prepare?.(obj, old);
    const name = obj.metadata?.name ?? '';
    const causes: StatusCause[] = validateObjectMeta(
      obj.metadata ?? {},
      type.namespaced,
      type.kind === 'Namespace' && type.group === '',
    );
    if (type.validator) causes.push(...type.validator(obj));
    if (type.behaviour?.validate) causes.push(...type.behaviour.validate(obj, old));
    if (causes.length > 0) throw invalid(type.kind, type.group, name, causes);
    return warnings;
  }

  private unknownFields(type: ResourceType, obj: KubeObject): string[] {
    const found = unknownMetadataFields(obj);
    if (type.schema) return [...pruneUnknownFields(obj as Json, type.schema, false), ...found];
    const props = type.openapiSchema.properties as Json | undefined;
    if (props) for (const key of Object.keys(obj)) if (!(key in props)) found.push(key);
    return found;
  }

  private placeInNamespace(type: ResourceType, obj: KubeObject, namespace: string | undefined): void {
    const meta = obj.metadata ?? {};
    if (!type.namespaced) {
      delete meta.namespace;
      return;
    }
    if (namespace === undefined) {
      throw badRequest(
        'the server could not find the requested resource: a namespaced resource needs a namespace in the path',
      );
    }
    if (meta.namespace && meta.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    meta.namespace = namespace;
  }

  private requireLiveNamespace(type: ResourceType, namespace: string, name: string): void {
    const ns = this.store.get('/namespaces', '', namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    const nsObj = parse(ns);
    if (nsObj.metadata?.deletionTimestamp) {
      throw forbidden(
        `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name,
          group: type.group,
          kind: type.plural,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }
}

function unknownMetadataFields(obj: KubeObject): string[] {
  const meta = obj.metadata;
  if (!isObject(meta)) return [];
  return Object.keys(meta)
    .filter((k) => !OBJECT_META_FIELDS.has(k))
    .map((k) => `metadata.${k}`);
}

function checkKind(type: ResourceType, obj: KubeObject): void {
  const expected = apiVersionOf(type.group, type.version);
  if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== type.kind) {
    throw badRequest(
      `${String(obj.kind)} in version "${type.version}" cannot be handled as a ${type.kind}: the object provided is unrecognized (must be of type ${type.kind})`,
    );
  }
  obj.apiVersion = expected;
  obj.kind = type.kind;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding body: ${e instanceof Error ? e.message : 'invalid JSON'}`);
  }
}
