// CustomResourceDefinitions: the checks a real server makes before accepting one, the status it reports
// (NamesAccepted, Established), and the resource types a definition makes the server serve.
import { fieldError, type StatusCause } from './errors.js';
import { timestamp } from './metadata.js';
import { ALL_VERBS, type KubeObject, type PrinterColumn, type ResourceType } from './resources.js';
import { findKeyword, type StructuralSchema } from './structural.js';
import { compileValidator, type SchemaValidator } from './validation.js';

type Json = Record<string, unknown>;

export interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: StructuralSchema };
  subresources?: { status?: Json; scale?: Json };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: Array<{ jsonPath: string }>;
}

interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: string;
  versions: CrdVersion[];
}

function spec(crd: KubeObject): CrdSpec {
  return ((crd as Json).spec ?? {}) as CrdSpec;
}

const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];

/** Defaults a real server fills in a CRD: singular and list kind, conversion strategy, printer column priority. */
export function defaultCrd(crd: KubeObject): void {
  const s = spec(crd);
  if (s.names && typeof s.names === 'object') {
    if (!s.names.singular && typeof s.names.kind === 'string') s.names.singular = s.names.kind.toLowerCase();
    if (!s.names.listKind && typeof s.names.kind === 'string') s.names.listKind = `${s.names.kind}List`;
  }
  const o = (crd as Json).spec as Json | undefined;
  if (o && !o.conversion) o.conversion = { strategy: 'None' };
  for (const v of Array.isArray(s.versions) ? s.versions : []) {
    for (const c of v.additionalPrinterColumns ?? []) if (c.priority === undefined) c.priority = 0;
  }
}

/** Every reason a real server (or this one) refuses a CRD, as field errors. */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const s = spec(crd);
  const name = crd.metadata?.name ?? '';
  if (!s.group) causes.push(fieldError.required('spec.group'));
  else if (!s.group.includes('.'))
    causes.push(fieldError.invalid('spec.group', s.group, 'should be a domain with at least one dot'));
  if (!s.names?.plural) causes.push(fieldError.required('spec.names.plural'));
  if (!s.names?.kind) causes.push(fieldError.required('spec.names.kind'));
  if (s.names?.plural && s.group && name !== `${s.names.plural}.${s.group}`) {
    causes.push(fieldError.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (s.names?.plural && s.names.plural !== s.names.plural.toLowerCase()) {
    causes.push(
      fieldError.invalid(
        'spec.names.plural',
        s.names.plural,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
      ),
    );
  }
  if (s.scope !== 'Namespaced' && s.scope !== 'Cluster') {
    causes.push(fieldError.notSupported('spec.scope', s.scope ?? '', ['Cluster', 'Namespaced']));
  }
  const versions = Array.isArray(s.versions) ? s.versions : [];
  if (versions.length === 0)
    causes.push(
      fieldError.required('spec.versions', 'must have exactly one version marked as storage version'),
    );
  else if (versions.filter((v) => v.storage).length !== 1) {
    causes.push(
      fieldError.invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    );
  }
  versions.forEach((v, i) => {
    const at = `spec.versions[${i}]`;
    if (!v.name) causes.push(fieldError.required(`${at}.name`));
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) {
      causes.push(fieldError.required(`${at}.schema.openAPIV3Schema`, 'schemas are required'));
      return;
    }
    if (schema.type !== 'object') {
      causes.push(fieldError.required(`${at}.schema.openAPIV3Schema.type`, 'must not be empty at the root'));
    }
    for (const where of findKeyword(schema, 'x-kubernetes-validations')) {
      causes.push(
        fieldError.forbidden(
          `${at}.schema.openAPIV3Schema${where === '<root>' ? '' : `.${where}`}.x-kubernetes-validations`,
          'x-kubernetes-validations (CEL) rules are not supported by the Vigil local cluster; remove them or use a real cluster',
        ),
      );
    }
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cAt = `${at}.additionalPrinterColumns[${j}]`;
      if (!c.name) causes.push(fieldError.required(`${cAt}.name`));
      if (!c.jsonPath) causes.push(fieldError.required(`${cAt}.jsonPath`));
      if (!COLUMN_TYPES.includes(c.type))
        causes.push(fieldError.notSupported(`${cAt}.type`, c.type, COLUMN_TYPES));
    });
  });
  return causes;
}

function condition(type: string, reason: string, message: string, previous: Json[] | undefined): Json {
  const before = previous?.find((c) => c.type === type && c.status === 'True');
  return {
    type,
    status: 'True',
    lastTransitionTime: (before?.lastTransitionTime as string | undefined) ?? timestamp(),
    reason,
    message,
  };
}

/** The status a real server reports once it serves a CRD: names accepted, established, stored versions. */
export function crdStatus(crd: KubeObject, previous: Json | undefined): Json {
  const s = spec(crd);
  const prevConditions = previous?.conditions as Json[] | undefined;
  const storage = s.versions.find((v) => v.storage)?.name;
  const stored = new Set<string>((previous?.storedVersions as string[] | undefined) ?? []);
  if (storage) stored.add(storage);
  const names: Json = {
    plural: s.names.plural,
    singular: s.names.singular,
    kind: s.names.kind,
    listKind: s.names.listKind,
  };
  if (s.names.shortNames?.length) names.shortNames = s.names.shortNames;
  if (s.names.categories?.length) names.categories = s.names.categories;
  return {
    acceptedNames: names,
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found', prevConditions),
      condition(
        'Established',
        'InitialNamesAccepted',
        'the initial names have been accepted',
        prevConditions,
      ),
    ],
    storedVersions: [...stored],
  };
}

const validatorCache = new Map<string, SchemaValidator>();

/** Compile once per distinct schema: re-applying an unchanged CRD costs nothing. */
function validatorFor(schema: StructuralSchema): SchemaValidator {
  const key = JSON.stringify(schema);
  let v = validatorCache.get(key);
  if (!v) {
    v = compileValidator(schema);
    validatorCache.set(key, v);
  }
  return v;
}

/** The resource types a CRD serves, one per served version. */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const s = spec(crd);
  const storage = s.versions.find((v) => v.storage)?.name ?? s.versions[0]?.name ?? '';
  return s.versions
    .filter((v) => v.served)
    .map((v) => {
      const schema = v.schema?.openAPIV3Schema ?? {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      };
      const openapiSchema: Json = { ...schema };
      openapiSchema.properties = {
        ...(schema.properties ?? {}),
        metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      };
      return {
        group: s.group,
        version: v.name,
        kind: s.names.kind,
        listKind: s.names.listKind,
        plural: s.names.plural,
        singular: s.names.singular,
        namespaced: s.scope === 'Namespaced',
        shortNames: s.names.shortNames ?? [],
        categories: s.names.categories ?? [],
        verbs: ALL_VERBS,
        statusSubresource: Boolean(v.subresources?.status),
        custom: true,
        allowUnconditionalUpdate: false,
        returnDeletedObject: true,
        storageKey: `${s.group}/${s.names.plural}`,
        storageApiVersion: `${s.group}/${storage}`,
        extraFieldSelectors: (v.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, '')),
        printerColumns: v.additionalPrinterColumns ?? [],
        schema,
        validator: validatorFor(schema),
        openapiSchema,
      } satisfies ResourceType;
    });
}
