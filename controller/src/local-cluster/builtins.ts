// The built-in kinds served besides custom resources: Namespaces, ConfigMaps, Secrets, Events (core/v1 and
// events.k8s.io/v1), Leases and CustomResourceDefinitions, each with its columns and its own rules.
import { crdStatus, defaultCrd, validateCrd } from './crd.js';
import { fieldError, type StatusCause } from './errors.js';
import { coreToEventsV1, eventsV1ToCore } from './events.js';
import { normaliseTimes } from './metadata.js';
import { ALL_VERBS, type BuiltinColumn, type KubeObject, type ResourceType } from './resources.js';
import { ageCell } from './table.js';

type Json = Record<string, unknown>;

const str = { type: 'string' };
const strMap = { type: 'object', additionalProperties: { type: 'string' } };
const anyObject = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

export const OBJECT_META_SCHEMA = {
  description: 'Standard object metadata.',
  type: 'object',
  properties: {
    name: { ...str, description: 'Name must be unique within a namespace.' },
    generateName: {
      ...str,
      description: 'Prefix the server uses to generate a unique name when name is empty.',
    },
    namespace: {
      ...str,
      description: 'The namespace the object lives in; empty for cluster-scoped objects.',
    },
    uid: { ...str, description: 'Unique in time and space; set by the server.' },
    resourceVersion: { ...str, description: 'Opaque version for optimistic concurrency; set by the server.' },
    generation: { type: 'integer', format: 'int64', description: 'Sequence number of the desired state.' },
    creationTimestamp: { ...str, format: 'date-time', description: 'When the object was created.' },
    deletionTimestamp: { ...str, format: 'date-time', description: 'When deletion was requested.' },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    labels: { ...strMap, description: 'Map of string keys and values to organize and select objects.' },
    annotations: { ...strMap, description: 'Unstructured key value map for tools and libraries.' },
    finalizers: { type: 'array', items: str, description: 'Must be empty before the object is deleted.' },
    ownerReferences: {
      type: 'array',
      description: 'Objects this object depends on; it is garbage collected when they are all gone.',
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: str,
          kind: str,
          name: str,
          uid: str,
          controller: { type: 'boolean' },
          blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
    managedFields: { type: 'array', items: anyObject },
  },
};

export function objectSchema(
  kind: string,
  description: string,
  properties: Record<string, unknown>,
  required: string[] = [],
): Record<string, unknown> {
  const schema: Json = {
    description,
    type: 'object',
    properties: {
      apiVersion: { ...str, description: 'The versioned schema of this representation of an object.' },
      kind: { ...str, description: `The REST resource this object represents: ${kind}.` },
      metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      ...properties,
    },
  };
  if (required.length > 0) schema.required = required;
  return schema;
}

const NAME: BuiltinColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata?.name ?? '',
};

const AGE: BuiltinColumn = {
  name: 'Age',
  type: 'string',
  description: 'How long ago the object was created.',
  cell: (o, now) => ageCell(o.metadata?.creationTimestamp, now),
};

function base(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  rest: Partial<ResourceType> & { openapiSchema: Record<string, unknown> },
): ResourceType {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    statusSubresource: false,
    custom: false,
    allowUnconditionalUpdate: true,
    returnDeletedObject: false,
    storageKey: `${group}/${plural}`,
    storageApiVersion: group === '' ? version : `${group}/${version}`,
    extraFieldSelectors: [],
    printerColumns: [],
    ...rest,
  };
}

function dataCount(o: KubeObject): number {
  const data = (o as Json).data as Json | undefined;
  const binary = (o as Json).binaryData as Json | undefined;
  return Object.keys(data ?? {}).length + Object.keys(binary ?? {}).length;
}

export const namespaceType = base('', 'v1', 'Namespace', 'namespaces', false, {
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  extraFieldSelectors: ['status.phase'],
  builtinColumns: [
    NAME,
    {
      name: 'Status',
      type: 'string',
      description: 'The phase of the namespace: Active or Terminating.',
      cell: (o) => ((o as Json).status as Json | undefined)?.phase ?? '',
    },
    AGE,
  ],
  openapiSchema: objectSchema('Namespace', 'Namespace provides a scope for Names.', {
    spec: { type: 'object', properties: { finalizers: { type: 'array', items: str } } },
    status: { type: 'object', properties: { phase: str, conditions: { type: 'array', items: anyObject } } },
  }),
  behaviour: {
    prepare(obj, old) {
      const o = obj as Json;
      // Namespace status is owned by the server: Active until deletion makes it Terminating.
      o.status = old ? ((old as Json).status ?? { phase: 'Active' }) : { phase: 'Active' };
      const labels = { ...(obj.metadata?.labels ?? {}) };
      labels['kubernetes.io/metadata.name'] = obj.metadata?.name ?? '';
      obj.metadata = { ...obj.metadata, labels };
      // Every namespace waits for its content to be deleted before it goes, whatever the client sent.
      const spec = (old ? (old as Json).spec : o.spec) as Json | undefined;
      o.spec = { ...spec, finalizers: old ? (spec?.finalizers ?? []) : ['kubernetes'] };
    },
  },
});

export const configMapType = base('', 'v1', 'ConfigMap', 'configmaps', true, {
  shortNames: ['cm'],
  builtinColumns: [
    NAME,
    { name: 'Data', type: 'integer', description: 'Number of keys.', cell: (o) => dataCount(o) },
    AGE,
  ],
  openapiSchema: objectSchema('ConfigMap', 'ConfigMap holds configuration data for pods to consume.', {
    data: { ...strMap, description: 'Configuration data: UTF-8 strings by key.' },
    binaryData: { ...strMap, description: 'Binary configuration data, base64 encoded, by key.' },
    immutable: { type: 'boolean', description: 'If true, the data cannot be changed.' },
  }),
  behaviour: {
    validate(obj, old) {
      return immutableDataCauses(obj, old);
    },
  },
});

function immutableDataCauses(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const o = obj as Json;
  const prev = old as Json | undefined;
  if (prev?.immutable !== true) return [];
  const causes: StatusCause[] = [];
  if (o.immutable !== true)
    causes.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
  if (JSON.stringify(o.data ?? {}) !== JSON.stringify(prev.data ?? {})) {
    causes.push(fieldError.forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return causes;
}

export const secretType = base('', 'v1', 'Secret', 'secrets', true, {
  extraFieldSelectors: ['type'],
  builtinColumns: [
    NAME,
    { name: 'Type', type: 'string', description: 'The type of secret.', cell: (o) => (o as Json).type ?? '' },
    { name: 'Data', type: 'integer', description: 'Number of keys.', cell: (o) => dataCount(o) },
    AGE,
  ],
  openapiSchema: objectSchema('Secret', 'Secret holds secret data of a certain type.', {
    data: { ...strMap, description: 'Secret data by key, base64 encoded.' },
    stringData: {
      ...strMap,
      description: 'Write-only convenience: plain strings merged into data on write.',
    },
    type: { ...str, description: 'Used to facilitate programmatic handling of secret data.' },
    immutable: { type: 'boolean' },
  }),
  behaviour: {
    prepare(obj) {
      const o = obj as Json;
      // stringData is write-only: folded into data (base64) and never stored or returned.
      if (o.stringData && typeof o.stringData === 'object') {
        const data = { ...((o.data as Json | undefined) ?? {}) };
        for (const [k, v] of Object.entries(o.stringData as Json))
          data[k] = Buffer.from(String(v)).toString('base64');
        o.data = data;
      }
      delete o.stringData;
      if (!o.type) o.type = 'Opaque';
    },
    validate(obj, old) {
      const causes = immutableDataCauses(obj, old);
      const o = obj as Json;
      for (const [k, v] of Object.entries((o.data as Json | undefined) ?? {})) {
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
          // Never echo the value of a secret back.
          causes.push(fieldError.invalid(`data[${k}]`, '<redacted>', 'must be base64 encoded'));
        }
      }
      if (old && (old as Json).type !== o.type)
        causes.push(fieldError.invalid('type', o.type, 'field is immutable'));
      return causes;
    },
  },
});

const EVENT_FIELD_SELECTORS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

function eventLastSeen(o: Json): unknown {
  const series = o.series as Json | undefined;
  return series?.lastObservedTime ?? o.lastTimestamp ?? o.eventTime ?? o.firstTimestamp ?? o.metadata;
}

const eventColumns: BuiltinColumn[] = [
  {
    name: 'Last Seen',
    type: 'string',
    description: 'Time since the event was last seen.',
    cell: (o, now) => ageCell(eventLastSeen(o as Json), now) ?? ageCell(o.metadata?.creationTimestamp, now),
  },
  { name: 'Type', type: 'string', description: 'Normal or Warning.', cell: (o) => (o as Json).type ?? '' },
  {
    name: 'Reason',
    type: 'string',
    description: 'Why the event happened.',
    cell: (o) => (o as Json).reason ?? '',
  },
  {
    name: 'Object',
    type: 'string',
    description: 'The object the event is about.',
    cell: (o) => {
      const io = ((o as Json).involvedObject ?? {}) as Json;
      return `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`;
    },
  },
  {
    name: 'Message',
    type: 'string',
    description: 'Human-readable description.',
    cell: (o) => (o as Json).message ?? '',
  },
];

const eventProperties = {
  involvedObject: {
    type: 'object',
    description: 'The object this event is about.',
    properties: {
      apiVersion: str,
      kind: str,
      name: str,
      namespace: str,
      uid: str,
      resourceVersion: str,
      fieldPath: str,
    },
  },
  reason: { ...str, description: 'Short, machine understandable reason, UpperCamelCase.' },
  message: { ...str, description: 'Human-readable description of the status of this operation.' },
  source: { type: 'object', properties: { component: str, host: str } },
  firstTimestamp: { ...str, format: 'date-time' },
  lastTimestamp: { ...str, format: 'date-time' },
  count: { type: 'integer', format: 'int32' },
  type: { ...str, description: 'Normal or Warning.' },
  eventTime: { ...str, format: 'date-time' },
  series: {
    type: 'object',
    properties: { count: { type: 'integer' }, lastObservedTime: { ...str, format: 'date-time' } },
  },
  action: str,
  related: anyObject,
  reportingComponent: str,
  reportingInstance: str,
};

function defaultEventType(o: Json): void {
  if (o.type === undefined) o.type = 'Normal';
}

export const coreEventType = base('', 'v1', 'Event', 'events', true, {
  shortNames: ['ev'],
  storageKey: 'events',
  extraFieldSelectors: EVENT_FIELD_SELECTORS,
  builtinColumns: eventColumns,
  openapiSchema: objectSchema(
    'Event',
    'Event is a report of an event somewhere in the cluster.',
    eventProperties,
    ['metadata', 'involvedObject'],
  ),
  behaviour: {
    prepare(obj) {
      defaultEventType(obj as Json);
      normaliseTimes(
        obj as Json,
        ['firstTimestamp', 'lastTimestamp'],
        ['eventTime', 'series.lastObservedTime'],
      );
    },
    validate(obj) {
      const io = (obj as Json).involvedObject as Json | undefined;
      return io ? [] : [fieldError.required('involvedObject')];
    },
  },
});

const eventsV1Properties = {
  regarding: eventProperties.involvedObject,
  related: anyObject,
  note: { ...str, description: 'Human-readable description of the status of this operation.' },
  reason: str,
  type: str,
  action: str,
  eventTime: { ...str, format: 'date-time' },
  series: eventProperties.series,
  reportingController: str,
  reportingInstance: str,
  deprecatedSource: eventProperties.source,
  deprecatedFirstTimestamp: { ...str, format: 'date-time' },
  deprecatedLastTimestamp: { ...str, format: 'date-time' },
  deprecatedCount: { type: 'integer', format: 'int32' },
};

export const eventsV1Type = base('events.k8s.io', 'v1', 'Event', 'events', true, {
  shortNames: ['ev'],
  storageKey: 'events',
  storageApiVersion: 'v1',
  extraFieldSelectors: EVENT_FIELD_SELECTORS,
  builtinColumns: eventColumns,
  openapiSchema: objectSchema(
    'Event',
    'Event is a report of an event somewhere in the cluster (events.k8s.io/v1 view).',
    eventsV1Properties,
    ['eventTime'],
  ),
  behaviour: {
    toStorage: eventsV1ToCore,
    fromStorage: coreToEventsV1,
    prepare(obj) {
      defaultEventType(obj as Json);
      normaliseTimes(
        obj as Json,
        ['deprecatedFirstTimestamp', 'deprecatedLastTimestamp'],
        ['eventTime', 'series.lastObservedTime'],
      );
    },
    validate(obj) {
      const o = obj as Json;
      const causes: StatusCause[] = [];
      if (!o.eventTime) causes.push(fieldError.required('eventTime'));
      if (!o.reportingController) causes.push(fieldError.required('reportingController'));
      if (!o.reportingInstance) causes.push(fieldError.required('reportingInstance'));
      if (!o.action) causes.push(fieldError.required('action'));
      if (o.type !== 'Normal' && o.type !== 'Warning')
        causes.push(fieldError.notSupported('type', o.type, ['Normal', 'Warning']));
      return causes;
    },
  },
});

export const leaseType = base('coordination.k8s.io', 'v1', 'Lease', 'leases', true, {
  builtinColumns: [
    NAME,
    {
      name: 'Holder',
      type: 'string',
      description: 'The identity of the current holder.',
      cell: (o) => ((o as Json).spec as Json | undefined)?.holderIdentity ?? '',
    },
    AGE,
  ],
  openapiSchema: objectSchema('Lease', 'Lease defines a lease concept, used for leader election.', {
    spec: {
      type: 'object',
      properties: {
        holderIdentity: str,
        leaseDurationSeconds: { type: 'integer', format: 'int32' },
        acquireTime: { ...str, format: 'date-time' },
        renewTime: { ...str, format: 'date-time' },
        leaseTransitions: { type: 'integer', format: 'int32' },
        strategy: str,
        preferredHolder: str,
      },
    },
  }),
  behaviour: {
    prepare(obj) {
      normaliseTimes(obj as Json, [], ['spec.acquireTime', 'spec.renewTime']);
    },
  },
});

export const crdType = base(
  'apiextensions.k8s.io',
  'v1',
  'CustomResourceDefinition',
  'customresourcedefinitions',
  false,
  {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    statusSubresource: true,
    allowUnconditionalUpdate: false,
    builtinColumns: [
      NAME,
      {
        name: 'Created At',
        type: 'date',
        description: 'When the definition was created.',
        cell: (o) => o.metadata?.creationTimestamp ?? null,
      },
    ],
    openapiSchema: objectSchema(
      'CustomResourceDefinition',
      'CustomResourceDefinition represents a resource that should be exposed on the API server.',
      {
        spec: {
          type: 'object',
          required: ['group', 'names', 'scope', 'versions'],
          properties: {
            group: str,
            names: anyObject,
            scope: { ...str, description: 'Cluster or Namespaced.' },
            versions: { type: 'array', items: anyObject },
            conversion: anyObject,
            preserveUnknownFields: { type: 'boolean' },
          },
        },
        status: anyObject,
      },
      ['spec'],
    ),
    behaviour: {
      prepare(obj, old) {
        defaultCrd(obj);
        // The server reports a definition it accepts as established at once, so `kubectl wait` returns.
        if (validateCrd(obj).length === 0)
          (obj as Json).status = crdStatus(obj, (old as Json | undefined)?.status as Json);
      },
      validate: (obj) => validateCrd(obj),
    },
  },
);

export const BUILTIN_TYPES: readonly ResourceType[] = [
  namespaceType,
  configMapType,
  secretType,
  coreEventType,
  eventsV1Type,
  leaseType,
  crdType,
];
