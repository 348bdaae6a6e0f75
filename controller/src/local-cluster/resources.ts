// The catalogue of served resources: built-in kinds plus whatever the CustomResourceDefinitions declare.
// Discovery, OpenAPI, routing and storage all read it, so a CRD appears everywhere at once.
import type { StructuralSchema } from './structural.js';
import type { SchemaValidator } from './validation.js';

export type KubeObject = Record<string, unknown> & { metadata?: ObjectMeta };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** A cell computed by code rather than JSONPath, for built-in kinds whose columns are derived. */
export interface BuiltinColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  cell(obj: KubeObject, now: number): unknown;
}

/** Hooks that give a built-in kind its own rules (defaults, derived fields, validation). */
export interface KindBehaviour {
  /** Fill defaults and derived fields before validation, on create and update. */
  prepare?(obj: KubeObject, old: KubeObject | undefined): void;
  /** Kind-specific validation; field errors in the real wording. */
  validate?(obj: KubeObject, old: KubeObject | undefined): import('./errors.js').StatusCause[];
  /** Convert from this view to the stored form (events.k8s.io/v1 Event <-> core/v1 Event). */
  toStorage?(obj: KubeObject): KubeObject;
  fromStorage?(obj: KubeObject): KubeObject;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Has a `/status` subresource: main writes keep the old status, status writes change only status. */
  statusSubresource: boolean;
  /** Custom resources refuse strategic merge patch and unconditional updates. */
  custom: boolean;
  allowUnconditionalUpdate: boolean;
  /** Delete answers with the deleted object (custom resources) rather than a success Status. */
  returnDeletedObject: boolean;
  /** Objects of every version of one kind share storage under this key. */
  storageKey: string;
  /** apiVersion the stored JSON carries; reads in another version rewrite it. */
  storageApiVersion: string;
  /** Field selector keys beyond metadata.name and metadata.namespace. */
  extraFieldSelectors: string[];
  printerColumns: PrinterColumn[];
  builtinColumns?: BuiltinColumn[];
  /** The schema for validation, defaulting and pruning; absent for kinds that take any shape. */
  schema?: StructuralSchema;
  validator?: SchemaValidator;
  /** JSON Schema of the whole object for the OpenAPI documents. */
  openapiSchema: Record<string, unknown>;
  behaviour?: KindBehaviour;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function groupVersionKey(group: string, version: string): string {
  return `${group}/${version}`;
}

/** Served resources indexed by group, version and plural; CRDs add and remove entries at run time. */
export class ResourceCatalogue {
  private readonly byGvr = new Map<string, ResourceType>();
  private readonly owners = new Map<string, string>();
  private revision = 0;

  /** Bumped on every change so discovery and OpenAPI caches know when to rebuild. */
  get generation(): number {
    return this.revision;
  }

  add(type: ResourceType, owner = 'builtin'): void {
    this.byGvr.set(gvrKey(type.group, type.version, type.plural), type);
    this.owners.set(gvrKey(type.group, type.version, type.plural), owner);
    this.revision++;
  }

  /** Remove every resource a CRD (or other owner) contributed. */
  removeOwner(owner: string): ResourceType[] {
    const removed: ResourceType[] = [];
    for (const [key, o] of this.owners) {
      if (o !== owner) continue;
      const type = this.byGvr.get(key);
      if (type) removed.push(type);
      this.byGvr.delete(key);
      this.owners.delete(key);
    }
    if (removed.length > 0) this.revision++;
    return removed;
  }

  get(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byGvr.get(gvrKey(group, version, plural));
  }

  all(): ResourceType[] {
    return [...this.byGvr.values()];
  }

  /** Any served version of a storage key; used when collecting garbage across kinds. */
  byStorageKey(storageKey: string): ResourceType | undefined {
    for (const t of this.byGvr.values()) if (t.storageKey === storageKey) return t;
    return undefined;
  }

  /** Group names in discovery order: core first, then groups as they were added. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const t of this.byGvr.values()) {
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    return groups;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }

  findByKind(apiVersion: string, kind: string): ResourceType | undefined {
    for (const t of this.byGvr.values()) {
      if (t.kind === kind && apiVersionOf(t.group, t.version) === apiVersion) return t;
    }
    return undefined;
  }
}

function gvrKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}
