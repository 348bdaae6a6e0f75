// DataContract: an Open Data Contract Standard (ODCS v3.x) contract in Vigil's shape, plus what a clinical
// organisation must add: a PHI classification per property, the use cases that read the data, missing-value markers.
// Field names and nesting follow ODCS so that `spec.<path>` and the ODCS document's `<path>` name the same thing.
import semver from 'semver';
import { z } from 'zod';
import {
  ageColumn,
  date,
  dateTime,
  type KindDefinition,
  nameRef,
  objectName,
  objectSchema,
  readyColumn,
  reasonColumn,
  semverString,
  statusBase,
  team,
  uri,
} from './common.js';

// Values whose type ODCS leaves open (a valid value may be a string, a number or null; an argument may be a list).
// Kubernetes structural schemas cannot say "string or number", so these few keep whatever they are given and the
// rules below check what matters.
const anyValue = (description: string) =>
  z.unknown().meta({ 'x-kubernetes-preserve-unknown-fields': true }).describe(description);
// A record would leave `additionalProperties: {}` in the CRD, which is not structural; this keeps the mapping whole.
const anyObject = (description: string) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a mapping of names to values; found ${JSON.stringify(v)}`,
        });
      }
    })
    .meta({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })
    .describe(description);

type Ctx = z.core.$RefinementCtx;
const issue = (ctx: Ctx, path: PropertyKey[], message: string) =>
  ctx.addIssue({ code: 'custom', path, message });

/** ODCS stable identifier of an element, unique within the contract. */
const stableId = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be letters, digits, "_" or "-" (an ODCS stable id)' })
  .describe('Stable identifier of the element (letters, digits, "_", "-"), unique within the contract.');

// --- shared ODCS parts ------------------------------------------------------------------------------------------

export const customProperty = z
  .strictObject({
    id: stableId.optional(),
    property: z.string().min(1).describe('Name of the custom property, in camelCase.'),
    value: anyValue('Value of the custom property: any YAML value.'),
    description: z.string().optional().describe('What the property means.'),
  })
  .describe('A key/value pair outside the standard (ODCS customProperties).');

const customProperties = z
  .array(customProperty)
  .describe('Properties outside the standard, as ODCS key/value pairs.')
  .optional();

export const authoritativeDefinition = z
  .strictObject({
    id: stableId.optional(),
    url: z.string().min(1).describe('Where the definition lives.'),
    type: z
      .string()
      .min(1)
      .describe('Kind of definition, e.g. "businessDefinition", "implementation", "videoTutorial".'),
    description: z.string().optional().describe('What the link holds.'),
  })
  .describe('A link to the authoritative definition of an element.');

const authoritativeDefinitions = z
  .array(authoritativeDefinition)
  .describe('Links to authoritative definitions (glossary, catalogue, implementation).')
  .optional();

const tags = z.array(z.string()).describe('Free-form tags.').optional();

// --- PHI --------------------------------------------------------------------------------------------------------

/**
 * PHI classification, from least to most restrictive. A direct identifier names a person by itself (MRN, name);
 * a quasi-identifier re-identifies in combination (age bucket, admission date, 3-digit ZIP); sensitive marks
 * clinical detail whose disclosure harms once linked (diagnoses, medications, outcomes).
 */
export const PHI_CLASSES = ['none', 'sensitive', 'quasi-identifier', 'direct-identifier'] as const;
export const phiClass = z
  .enum(PHI_CLASSES)
  .describe(
    'PHI classification (Vigil): none, sensitive (clinical detail), quasi-identifier (re-identifies in ' +
      'combination) or direct-identifier (identifies a person by itself).',
  );
export type PhiClass = z.infer<typeof phiClass>;

/** Rank of a PHI class: a higher rank needs stricter handling. */
export const phiRank = (c: PhiClass): number => PHI_CLASSES.indexOf(c);

const nullMarkers = z
  .array(z.string())
  .describe('How the feed writes a missing value, e.g. ["?", "NA", ""] (Vigil); such values count as null.')
  .optional();

// --- quality rules ----------------------------------------------------------------------------------------------

export const QUALITY_METRICS = [
  'nullValues',
  'missingValues',
  'invalidValues',
  'duplicateValues',
  'rowCount',
] as const;
export const QUALITY_DIMENSIONS = [
  'accuracy',
  'completeness',
  'conformity',
  'consistency',
  'coverage',
  'timeliness',
  'uniqueness',
] as const;
export const QUALITY_TYPES = ['text', 'library', 'sql', 'custom'] as const;

const NUMERIC_OPERATORS = [
  'mustBeGreaterThan',
  'mustBeGreaterOrEqualTo',
  'mustBeLessThan',
  'mustBeLessOrEqualTo',
] as const;
const RANGE_OPERATORS = ['mustBeBetween', 'mustNotBeBetween'] as const;
export const QUALITY_OPERATORS = ['mustBe', 'mustNotBe', ...NUMERIC_OPERATORS, ...RANGE_OPERATORS] as const;

const bounds = (what: string) =>
  z.array(z.number()).length(2).describe(`${what}: [lower, upper], both inclusive.`).optional();

export const qualityRule = z
  .strictObject({
    id: stableId.optional(),
    name: z.string().optional().describe('Short name of the rule, shown in test results.'),
    description: z.string().optional().describe('What the rule checks, in words.'),
    type: z
      .enum(QUALITY_TYPES)
      .optional()
      .describe(
        'library: a predefined metric; sql: a query returning one number; custom: an engine-specific check; ' +
          'text: a rule in words only. Library when omitted and a metric is given.',
      ),
    metric: z
      .enum(QUALITY_METRICS)
      .optional()
      .describe('Library metric: nullValues, missingValues, invalidValues, duplicateValues or rowCount.'),
    arguments: anyObject(
      'Arguments of the library metric, e.g. {validValues: [...]} for invalidValues, ' +
        '{missingValues: [null, "", "?"]} for missingValues, {properties: [...]} for duplicateValues.',
    ).optional(),
    query: z
      .string()
      .optional()
      .describe(
        'SQL query returning one number (type sql), e.g. "select count(*) from encounters where age is null".',
      ),
    engine: z
      .string()
      .optional()
      .describe('Engine of a custom rule, e.g. "soda", "great-expectations", "dbt".'),
    implementation: anyValue(
      "Implementation of a custom rule in the engine's own language: text or an object.",
    ).optional(),
    mustBe: anyValue('The measured value must equal this.').optional(),
    mustNotBe: anyValue('The measured value must not equal this.').optional(),
    mustBeGreaterThan: z.number().optional().describe('The measured value must be greater than this.'),
    mustBeGreaterOrEqualTo: z.number().optional().describe('The measured value must be at least this.'),
    mustBeLessThan: z.number().optional().describe('The measured value must be less than this.'),
    mustBeLessOrEqualTo: z.number().optional().describe('The measured value must be at most this.'),
    mustBeBetween: bounds('The measured value must lie between these'),
    mustNotBeBetween: bounds('The measured value must lie outside these'),
    unit: z.string().optional().describe('Unit of the measured value: "rows" (the default) or "percent".'),
    dimension: z.enum(QUALITY_DIMENSIONS).optional().describe('Data quality dimension the rule belongs to.'),
    method: z.string().optional().describe('How the rule is checked, e.g. "reconciliation".'),
    severity: z.string().optional().describe('How bad a failure is: "info", "warning" or "error".'),
    businessImpact: z
      .string()
      .optional()
      .describe('What a failure affects, e.g. "operational", "regulatory".'),
    schedule: z
      .string()
      .optional()
      .describe('When the rule runs, in the scheduler\'s syntax, e.g. "0 20 * * *".'),
    scheduler: z.string().optional().describe('Scheduler that reads schedule, e.g. "cron".'),
    tags,
    authoritativeDefinitions,
    customProperties,
  })
  .superRefine((q, ctx) => {
    // ODCS: a rule with a metric is a library rule; operators apply to library and sql rules only.
    const type = q.type ?? (q.metric !== undefined ? 'library' : undefined);
    const operators = QUALITY_OPERATORS.filter((op) => q[op] !== undefined);
    const measured = type === 'library' || type === 'sql' || q.metric !== undefined;
    if (type === 'library' && q.metric === undefined) issue(ctx, ['metric'], 'a library rule needs a metric');
    if (type === 'sql' && q.query === undefined) issue(ctx, ['query'], 'a sql rule needs a query');
    if (type === 'custom') {
      if (q.engine === undefined) issue(ctx, ['engine'], 'a custom rule needs an engine');
      if (q.implementation === undefined)
        issue(ctx, ['implementation'], 'a custom rule needs an implementation');
    }
    if (q.query !== undefined && type !== 'sql') {
      issue(ctx, ['query'], `query applies to rules of type sql; this rule is ${type ?? 'untyped'}`);
    }
    if (type !== 'custom') {
      for (const f of ['engine', 'implementation'] as const) {
        if (q[f] !== undefined)
          issue(ctx, [f], `${f} applies to rules of type custom; this rule is ${type ?? 'untyped'}`);
      }
    }
    if (q.arguments !== undefined && q.metric === undefined) {
      issue(ctx, ['arguments'], 'arguments apply to library rules; this rule has no metric');
    }
    if (measured && operators.length !== 1) {
      issue(
        ctx,
        [operators[1] ?? 'mustBe'],
        operators.length === 0
          ? `a ${type} rule needs exactly one of ${QUALITY_OPERATORS.join(', ')}; found none`
          : `a rule takes exactly one operator; found ${operators.join(', ')}`,
      );
    }
    if (!measured) {
      for (const op of operators) {
        issue(
          ctx,
          [op],
          `${op} applies to library and sql rules; this rule is ${type ?? 'untyped (no type, no metric)'}`,
        );
      }
    }
    for (const op of RANGE_OPERATORS) {
      const range = q[op];
      if (range?.length === 2 && !(range[0]! < range[1]!)) {
        issue(ctx, [op], `${op} must be [lower, upper] with lower < upper; found [${range.join(', ')}]`);
      }
    }
    if (q.unit === 'percent') {
      const check = (path: PropertyKey[], v: unknown) => {
        if (typeof v === 'number' && (v < 0 || v > 100)) {
          issue(ctx, path, `a percentage must be between 0 and 100; found ${v}`);
        }
      };
      for (const op of ['mustBe', 'mustNotBe', ...NUMERIC_OPERATORS] as const) check([op], q[op]);
      for (const op of RANGE_OPERATORS) {
        q[op]?.forEach((v, i) => {
          check([op, i], v);
        });
      }
    }
  })
  .describe('A data quality rule (ODCS): a metric or a query, held against exactly one operator.');
export type QualityRule = z.infer<typeof qualityRule>;

const qualityRules = z.array(qualityRule).describe('Data quality rules.').optional();

// --- relationships ----------------------------------------------------------------------------------------------

// ODCS element references: `object.property` or the fully qualified `schema/<object>/properties/<property>` form.
const SHORTHAND_REF = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;
const QUALIFIED_REF =
  /^(?:(?:https?:\/\/)?[A-Za-z0-9._\-/]+\.yaml#)?\/?[A-Za-z_][A-Za-z0-9_]*\/[A-Za-z0-9_-]+(?:\/[A-Za-z_][A-Za-z0-9_]*\/[A-Za-z0-9_-]+)*$/;
const elementRef = z
  .string()
  .refine((v) => SHORTHAND_REF.test(v) || QUALIFIED_REF.test(v), {
    message: 'must reference a property as "object.property" or "schema/<object>/properties/<property>"',
  })
  .describe('A property, as "object.property" or "schema/<object>/properties/<property>".');

const relationshipFields = {
  type: z.enum(['foreignKey']).optional().describe('Kind of relationship; only foreignKey is defined.'),
  to: z.array(elementRef).min(1).describe('The referenced properties, in key order.'),
  customProperties,
};

export const propertyRelationship = z
  .strictObject(relationshipFields)
  .describe('A foreign key from this property to another.');

export const objectRelationship = z
  .strictObject({
    ...relationshipFields,
    from: z.array(elementRef).min(1).describe('The referencing properties, in key order.'),
  })
  .superRefine((r, ctx) => {
    if (r.from.length !== r.to.length) {
      issue(
        ctx,
        ['to'],
        `a foreign key needs as many "to" as "from" properties; found ${r.from.length} from, ${r.to.length} to`,
      );
    }
  })
  .describe('A foreign key, possibly composite, from properties of this object to another.');

// --- properties -------------------------------------------------------------------------------------------------

export const LOGICAL_TYPES = [
  'string',
  'date',
  'timestamp',
  'time',
  'number',
  'integer',
  'object',
  'array',
  'boolean',
] as const;
export type LogicalType = (typeof LOGICAL_TYPES)[number];

const INTEGER_FORMATS = ['i8', 'i16', 'i32', 'i64', 'i128', 'u8', 'u16', 'u32', 'u64', 'u128'];
const NUMBER_FORMATS = ['f32', 'f64'];

export const logicalTypeOptions = z
  .strictObject({
    minLength: z.number().int().min(0).optional().describe('string: shortest length.'),
    maxLength: z.number().int().min(0).optional().describe('string: longest length.'),
    pattern: z.string().optional().describe('string: a regular expression every value matches.'),
    format: z
      .string()
      .optional()
      .describe(
        'string: e.g. "email", "uuid"; date/time: e.g. "yyyy-MM-dd"; integer: i8..i128, u8..u128; number: f32, f64.',
      ),
    minimum: anyValue(
      'integer/number: smallest value; date/timestamp/time: earliest value, as text.',
    ).optional(),
    maximum: anyValue(
      'integer/number: largest value; date/timestamp/time: latest value, as text.',
    ).optional(),
    exclusiveMinimum: anyValue('integer/number/date: values must be above this.').optional(),
    exclusiveMaximum: anyValue('integer/number/date: values must be below this.').optional(),
    multipleOf: z.number().positive().optional().describe('integer/number: values are multiples of this.'),
    timezone: z.boolean().optional().describe('timestamp/time: whether values carry a time zone.'),
    defaultTimezone: z
      .string()
      .optional()
      .describe('timestamp/time: time zone assumed when a value has none.'),
    minItems: z.number().int().min(0).optional().describe('array: fewest items.'),
    maxItems: z.number().int().min(0).optional().describe('array: most items.'),
    uniqueItems: z.boolean().optional().describe('array: whether items are distinct.'),
    minProperties: z.number().int().min(0).optional().describe('object: fewest properties.'),
    maxProperties: z.number().int().min(0).optional().describe('object: most properties.'),
    required: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('object: names of properties that must be present.'),
  })
  .describe('Constraints on values, by logical type (ODCS logicalTypeOptions).');
export type LogicalTypeOptions = z.infer<typeof logicalTypeOptions>;
type OptionName = keyof LogicalTypeOptions;

/** Which logicalTypeOptions each logical type takes (ODCS v3.1). */
export const OPTIONS_BY_TYPE: Record<LogicalType, readonly OptionName[]> = {
  string: ['minLength', 'maxLength', 'pattern', 'format'],
  date: ['format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  timestamp: [
    'format',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'exclusiveMaximum',
    'timezone',
    'defaultTimezone',
  ],
  time: [
    'format',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'exclusiveMaximum',
    'timezone',
    'defaultTimezone',
  ],
  integer: ['multipleOf', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'format'],
  number: ['multipleOf', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'format'],
  object: ['minProperties', 'maxProperties', 'required'],
  array: ['minItems', 'maxItems', 'uniqueItems'],
  boolean: [],
};

const isNumericType = (t: LogicalType | undefined) => t === 'integer' || t === 'number';
const isTemporalType = (t: LogicalType | undefined) => t === 'date' || t === 'timestamp' || t === 'time';

function checkLogicalTypeOptions(t: LogicalType | undefined, o: LogicalTypeOptions, ctx: Ctx): void {
  const at = (name: string) => ['logicalTypeOptions', name];
  if (t === undefined) {
    issue(
      ctx,
      ['logicalTypeOptions'],
      'logicalTypeOptions need a logicalType to apply to; logicalType is not set',
    );
    return;
  }
  const allowed = OPTIONS_BY_TYPE[t];
  for (const name of Object.keys(o) as OptionName[]) {
    if (o[name] !== undefined && !allowed.includes(name)) {
      issue(
        ctx,
        at(name),
        `${name} does not apply to logicalType ${t}` +
          (allowed.length ? `; ${t} takes ${allowed.join(', ')}` : `; ${t} takes no options`),
      );
    }
  }
  const bound = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const;
  for (const name of bound) {
    const v = o[name];
    if (v === undefined || !allowed.includes(name)) continue;
    if (isNumericType(t) && typeof v !== 'number') {
      issue(ctx, at(name), `${name} of a ${t} must be a number; found ${JSON.stringify(v)}`);
    }
    if (isTemporalType(t) && typeof v !== 'string') {
      issue(ctx, at(name), `${name} of a ${t} must be text such as "2020-01-01"; found ${JSON.stringify(v)}`);
    }
  }
  if (o.format !== undefined) {
    const formats = t === 'integer' ? INTEGER_FORMATS : t === 'number' ? NUMBER_FORMATS : undefined;
    if (formats && !formats.includes(o.format)) {
      issue(ctx, at('format'), `format of a ${t} must be one of ${formats.join(', ')}; found "${o.format}"`);
    }
  }
  if (o.pattern !== undefined) {
    try {
      new RegExp(o.pattern);
    } catch (err) {
      issue(ctx, at('pattern'), `pattern is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const pairs = [
    ['minLength', 'maxLength'],
    ['minimum', 'maximum'],
    ['minItems', 'maxItems'],
    ['minProperties', 'maxProperties'],
  ] as const;
  for (const [lo, hi] of pairs) {
    const a = o[lo];
    const b = o[hi];
    const comparable =
      (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
    if (comparable && (a as number | string) > (b as number | string)) {
      issue(
        ctx,
        at(lo),
        `${lo} (${JSON.stringify(a)}) must not be greater than ${hi} (${JSON.stringify(b)})`,
      );
    }
  }
}

/** Fields every property carries, at any depth. */
const propertyFields = {
  id: stableId.optional(),
  name: z.string().min(1).describe('Name of the property (column, field), as consumers know it.'),
  physicalName: z.string().optional().describe('Name in the physical store, when it differs.'),
  businessName: z.string().optional().describe('Name in business terms.'),
  description: z.string().optional().describe('What the values mean.'),
  logicalType: z
    .enum(LOGICAL_TYPES)
    .optional()
    .describe('Logical type: string, date, timestamp, time, number, integer, object, array or boolean.'),
  physicalType: z
    .string()
    .optional()
    .describe('Type in the physical store, e.g. "varchar(18)", "int", "date".'),
  logicalTypeOptions: logicalTypeOptions.optional(),
  required: z
    .boolean()
    .optional()
    .describe('Whether every record has a value (not null, not a null marker).'),
  unique: z.boolean().optional().describe('Whether values are distinct across records.'),
  primaryKey: z.boolean().optional().describe('Whether the property is (part of) the primary key.'),
  primaryKeyPosition: z
    .number()
    .int()
    .optional()
    .describe('Position in a composite primary key, from 1; -1 when not part of the key.'),
  partitioned: z.boolean().optional().describe('Whether the data is partitioned by this property.'),
  partitionKeyPosition: z
    .number()
    .int()
    .optional()
    .describe('Position among the partition keys, from 1; -1 when not a partition key.'),
  classification: z
    .string()
    .optional()
    .describe('Confidentiality classification in the organisation\'s scheme, e.g. "public", "restricted".'),
  phi: phiClass,
  phiAssumed: z
    .boolean()
    .optional()
    .describe(
      'True when no person classified the property: phi is the default given on import (Vigil). An export ' +
        'leaves such a class out, so the contract still reads as unclassified wherever it goes.',
    ),
  nullMarkers,
  encryptedName: z.string().optional().describe('Name of the property holding the encrypted value.'),
  transformSourceObjects: z.array(z.string()).optional().describe('Objects the value is derived from.'),
  transformLogic: z.string().optional().describe('How the value is derived, in code.'),
  transformDescription: z.string().optional().describe('How the value is derived, in words.'),
  examples: z
    .array(anyValue('An example value.'))
    .optional()
    .describe('Example values (never real patient data).'),
  criticalDataElement: z.boolean().optional().describe('Whether the property is a critical data element.'),
  relationships: z.array(propertyRelationship).optional().describe('Foreign keys from this property.'),
  quality: qualityRules,
  tags,
  authoritativeDefinitions,
  customProperties,
};

type PropertyLike = {
  name?: string;
  logicalType?: LogicalType;
  logicalTypeOptions?: LogicalTypeOptions;
  primaryKey?: boolean;
  primaryKeyPosition?: number;
  partitionKeyPosition?: number;
  properties?: PropertyLike[];
  items?: PropertyLike;
};

function checkProperty(p: PropertyLike, ctx: Ctx, nested: boolean): void {
  if (p.logicalTypeOptions) checkLogicalTypeOptions(p.logicalType, p.logicalTypeOptions, ctx);
  if (p.primaryKeyPosition !== undefined && p.primaryKeyPosition !== -1) {
    if (p.primaryKeyPosition < 1) {
      issue(
        ctx,
        ['primaryKeyPosition'],
        `primaryKeyPosition counts from 1 (or is -1); found ${p.primaryKeyPosition}`,
      );
    } else if (p.primaryKey !== true) {
      issue(
        ctx,
        ['primaryKeyPosition'],
        `primaryKeyPosition ${p.primaryKeyPosition} needs primaryKey: true; primaryKey is ${p.primaryKey ?? 'not set'}`,
      );
    }
  }
  if (p.partitionKeyPosition !== undefined && p.partitionKeyPosition !== -1 && p.partitionKeyPosition < 1) {
    issue(
      ctx,
      ['partitionKeyPosition'],
      `partitionKeyPosition counts from 1 (or is -1); found ${p.partitionKeyPosition}`,
    );
  }
  if (nested) {
    if (p.properties !== undefined && p.logicalType !== 'object') {
      issue(
        ctx,
        ['properties'],
        `nested properties need logicalType object; logicalType is ${p.logicalType ?? 'not set'}`,
      );
    }
    if (p.items !== undefined && p.logicalType !== 'array') {
      issue(ctx, ['items'], `items need logicalType array; logicalType is ${p.logicalType ?? 'not set'}`);
    }
    if (p.properties) checkPropertyList(p.properties, ctx, ['properties']);
  }
}

/** Rules across the properties of one object: names, key positions. */
function checkPropertyList(props: PropertyLike[], ctx: Ctx, at: PropertyKey[]): void {
  /** Each value of a field, at most once among the properties: the index that holds it first. */
  const holders = {
    name: new Map<unknown, number>(),
    primaryKeyPosition: new Map<unknown, number>(),
    partitionKeyPosition: new Map<unknown, number>(),
  };
  const once = (field: keyof typeof holders, value: unknown, i: number, twice: (first: number) => string) => {
    const first = holders[field].get(value);
    if (first !== undefined) issue(ctx, [...at, i, field], twice(first));
    else holders[field].set(value, i);
  };
  const taken = (what: string, value: number) => (first: number) =>
    `${what} ${value} is already taken by "${props[first]?.name}"; positions must be unique`;
  props.forEach((p, i) => {
    if (p.name !== undefined) {
      once(
        'name',
        p.name,
        i,
        (first) => `property "${p.name}" is declared twice (first at ${at.join('.')}[${first}])`,
      );
    }
    const pk = p.primaryKey ? p.primaryKeyPosition : undefined;
    if (pk !== undefined && pk >= 1) once('primaryKeyPosition', pk, i, taken('primaryKeyPosition', pk));
    const part = p.partitionKeyPosition;
    if (part !== undefined && part >= 1)
      once('partitionKeyPosition', part, i, taken('partitionKeyPosition', part));
  });
}

// Kubernetes structural schemas cannot recurse, so nesting is spelled out to three levels (e.g. an array of
// objects with scalar fields); deeper documents are better split into schema objects and relationships.
const leafProperty = z
  .strictObject(propertyFields)
  .superRefine((p, ctx) => checkProperty(p, ctx, true))
  .describe('A nested property (deepest level Vigil models).');
const leafItems = z
  .strictObject({ ...propertyFields, name: propertyFields.name.optional(), phi: phiClass.optional() })
  .superRefine((p, ctx) => checkProperty(p, ctx, true))
  .describe("The items of an array property; phi defaults to the array property's.");

const midProperty = z
  .strictObject({
    ...propertyFields,
    properties: z.array(leafProperty).optional().describe('Properties of an object-typed property.'),
    items: leafItems.optional(),
  })
  .superRefine((p, ctx) => checkProperty(p, ctx, true))
  .describe('A nested property.');
const midItems = z
  .strictObject({
    ...propertyFields,
    name: propertyFields.name.optional(),
    phi: phiClass.optional(),
    properties: z.array(leafProperty).optional().describe('Properties of each item, when items are objects.'),
    items: leafItems.optional(),
  })
  .superRefine((p, ctx) => checkProperty(p, ctx, true))
  .describe("The items of an array property; phi defaults to the array property's.");

export const schemaProperty = z
  .strictObject({
    ...propertyFields,
    properties: z.array(midProperty).optional().describe('Properties of an object-typed property.'),
    items: midItems.optional(),
  })
  .superRefine((p, ctx) => checkProperty(p, ctx, true))
  .describe('A property (column, field) of a schema object, with its PHI classification.');
export type SchemaProperty = z.infer<typeof schemaProperty>;

// --- schema objects ---------------------------------------------------------------------------------------------

export const schemaObject = z
  .strictObject({
    id: stableId.optional(),
    name: z.string().min(1).describe('Name of the object (table, view, topic, file), as consumers know it.'),
    physicalName: z.string().optional().describe('Name in the physical store, when it differs.'),
    physicalType: z
      .string()
      .optional()
      .describe('What the object is physically: "table", "view", "topic", "file".'),
    businessName: z.string().optional().describe('Name in business terms.'),
    description: z.string().optional().describe('What one record is and what the object holds.'),
    logicalType: z.enum(['object']).optional().describe('Always "object" when given.'),
    dataGranularityDescription: z
      .string()
      .optional()
      .describe('Granularity of a record, e.g. "one per encounter".'),
    nullMarkers: nullMarkers.describe(
      'How the feed writes a missing value, for every property of this object unless a property says otherwise ' +
        '(Vigil), e.g. ["?"].',
    ),
    properties: z.array(schemaProperty).optional().describe('Properties (columns, fields) of the object.'),
    relationships: z.array(objectRelationship).optional().describe('Foreign keys, including composite ones.'),
    quality: qualityRules,
    tags,
    authoritativeDefinitions,
    customProperties,
  })
  .superRefine((o, ctx) => {
    if (o.properties) checkPropertyList(o.properties, ctx, ['properties']);
  })
  .describe('A schema object: a table, view, topic or file, with its properties.');
export type SchemaObject = z.infer<typeof schemaObject>;

// --- servers ----------------------------------------------------------------------------------------------------

/** Connection fields each ODCS server type requires and allows (ODCS v3.1, Server and ServerSource). */
export const SERVER_FIELDS = {
  api: { required: ['location'], optional: [] },
  athena: { required: ['stagingDir', 'schema'], optional: ['catalog', 'regionName'] },
  azure: { required: ['location', 'format'], optional: ['delimiter'] },
  bigquery: { required: ['project', 'dataset'], optional: [] },
  clickhouse: { required: ['host', 'port', 'database'], optional: [] },
  databricks: { required: ['catalog', 'schema'], optional: ['host'] },
  denodo: { required: ['host', 'port'], optional: ['database'] },
  dremio: { required: ['host', 'port'], optional: ['schema'] },
  duckdb: { required: ['database'], optional: ['schema'] },
  glue: { required: ['account', 'database'], optional: ['location', 'format'] },
  cloudsql: { required: ['host', 'port', 'database', 'schema'], optional: [] },
  db2: { required: ['host', 'port', 'database'], optional: ['schema'] },
  hive: { required: ['host', 'database'], optional: ['port'] },
  impala: { required: ['host', 'database'], optional: ['port'] },
  informix: { required: ['host', 'database'], optional: ['port'] },
  zen: { required: ['host', 'database'], optional: ['port'] },
  custom: {
    required: [],
    optional: [
      'account',
      'catalog',
      'database',
      'dataset',
      'delimiter',
      'endpointUrl',
      'format',
      'host',
      'location',
      'path',
      'port',
      'project',
      'region',
      'regionName',
      'schema',
      'serviceName',
      'stagingDir',
      'warehouse',
      'stream',
    ],
  },
  kafka: { required: ['host'], optional: ['format'] },
  kinesis: { required: [], optional: ['region', 'format'] },
  local: { required: ['path', 'format'], optional: [] },
  mysql: { required: ['host', 'port', 'database'], optional: [] },
  oracle: { required: ['host', 'port', 'serviceName'], optional: [] },
  postgresql: { required: ['host', 'port', 'database', 'schema'], optional: [] },
  postgres: { required: ['host', 'port', 'database', 'schema'], optional: [] },
  presto: { required: ['host'], optional: ['catalog', 'schema'] },
  pubsub: { required: ['project'], optional: [] },
  redshift: { required: ['database', 'schema'], optional: ['host', 'region', 'account'] },
  s3: { required: ['location'], optional: ['endpointUrl', 'format', 'delimiter'] },
  sftp: { required: ['location'], optional: ['format', 'delimiter'] },
  snowflake: { required: ['account', 'database', 'schema'], optional: ['host', 'port', 'warehouse'] },
  sqlserver: { required: ['host', 'database', 'schema'], optional: ['port'] },
  synapse: { required: ['host', 'port', 'database'], optional: [] },
  trino: { required: ['host', 'port', 'catalog', 'schema'], optional: [] },
  vertica: { required: ['host', 'port', 'database', 'schema'], optional: [] },
} as const satisfies Record<string, { required: readonly string[]; optional: readonly string[] }>;
export type ServerType = keyof typeof SERVER_FIELDS;
const SERVER_TYPES = Object.keys(SERVER_FIELDS) as [ServerType, ...ServerType[]];

export const role = z
  .strictObject({
    id: stableId.optional(),
    role: z.string().min(1).describe('Name of the access role (IAM role, group).'),
    description: z.string().optional().describe('What the role grants.'),
    access: z.string().optional().describe('Access the role grants, e.g. "read", "write".'),
    firstLevelApprovers: z.string().optional().describe('Who approves a request for the role first.'),
    secondLevelApprovers: z.string().optional().describe('Who approves second.'),
    customProperties,
  })
  .describe('An access role for the data.');

const serverConnection = {
  account: z.string().optional().describe('Account (glue, redshift, snowflake).'),
  catalog: z.string().optional().describe('Catalog (athena, databricks, presto, trino).'),
  database: z.string().optional().describe('Database name.'),
  dataset: z.string().optional().describe('Data set (bigquery).'),
  delimiter: z.string().optional().describe('How records are delimited in files: "new_line" or "array".'),
  endpointUrl: uri.optional().describe('Endpoint of an S3-compatible store.'),
  format: z
    .string()
    .optional()
    .describe('File or message format: "parquet", "csv", "json", "delta", "avro".'),
  host: z.string().optional().describe('Host name.'),
  location: uri.optional().describe('Location URI, e.g. "s3://bucket/path/*.parquet", "sftp://host/path".'),
  path: z.string().optional().describe('Local path, e.g. "./data/encounters.csv" (local).'),
  port: z.number().int().min(1).max(65535).optional().describe('Port.'),
  project: z.string().optional().describe('Project (bigquery, pubsub).'),
  region: z.string().optional().describe('Region (kinesis, redshift).'),
  regionName: z.string().optional().describe('Region (athena).'),
  schema: z.string().optional().describe('Database schema.'),
  serviceName: z.string().optional().describe('Service name (oracle).'),
  stagingDir: uri.optional().describe('Staging directory URI (athena).'),
  warehouse: z.string().optional().describe('Warehouse (snowflake).'),
  stream: z.string().optional().describe('Stream name.'),
};
type ConnectionField = keyof typeof serverConnection;

export const server = z
  .strictObject({
    id: stableId.optional(),
    server: z.string().min(1).describe('Name of the server, unique within the contract.'),
    type: z.enum(SERVER_TYPES).describe('Kind of store, e.g. "postgres", "databricks", "s3", "local".'),
    description: z.string().optional().describe('What the server is.'),
    environment: z.string().optional().describe('Environment, e.g. "prod", "dev".'),
    roles: z.array(role).optional().describe('Roles with access to this server.'),
    ...serverConnection,
    customProperties,
  })
  .superRefine((s, ctx) => {
    const spec: { required: readonly string[]; optional: readonly string[] } = SERVER_FIELDS[s.type];
    for (const f of spec.required) {
      if (s[f as ConnectionField] === undefined) issue(ctx, [f], `a ${s.type} server needs ${f}`);
    }
    const allowed = [...spec.required, ...spec.optional];
    for (const f of Object.keys(serverConnection) as ConnectionField[]) {
      if (s[f] !== undefined && !allowed.includes(f)) {
        issue(
          ctx,
          [f],
          `${f} does not apply to a ${s.type} server; it takes ${allowed.join(', ') || 'no connection fields'}`,
        );
      }
    }
    if (s.type === 'sftp' && s.location !== undefined && !s.location.startsWith('sftp://')) {
      issue(ctx, ['location'], `an sftp server's location must start with "sftp://"; found "${s.location}"`);
    }
  })
  .describe('Where the data physically lives.');

// --- SLA, support, team, price ----------------------------------------------------------------------------------

export const slaProperty = z
  .strictObject({
    id: stableId.optional(),
    property: z
      .string()
      .min(1)
      .describe(
        'What is promised: "latency", "frequency", "retention", "timeOfAvailability", "generalAvailability"...',
      ),
    value: anyValue('The promised value: a number, text, a boolean or null.'),
    valueExt: anyValue('A second value, e.g. the end of a range.').optional(),
    unit: z.string().optional().describe('Unit of the value: "d", "h", "m", "y" for durations.'),
    element: z
      .string()
      .optional()
      .describe('The element the promise is about, e.g. "encounters.admitted_at".'),
    driver: z.string().optional().describe('Why it matters: "regulatory", "analytics", "operational".'),
    description: z.string().optional().describe('The promise in words.'),
    scheduler: z.string().optional().describe('Scheduler that checks the promise, e.g. "cron".'),
    schedule: z.string().optional().describe("When it is checked, in the scheduler's syntax."),
  })
  .superRefine((p, ctx) => {
    const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
    if (!scalar(p.value))
      issue(
        ctx,
        ['value'],
        `value must be text, a number, a boolean or null; found ${JSON.stringify(p.value)}`,
      );
    if (p.valueExt !== undefined && !scalar(p.valueExt)) {
      issue(
        ctx,
        ['valueExt'],
        `valueExt must be text, a number, a boolean or null; found ${JSON.stringify(p.valueExt)}`,
      );
    }
    // A duration-like promise without a number cannot be checked by anything.
    if (['latency', 'frequency', 'retention'].includes(p.property) && typeof p.value !== 'number') {
      issue(
        ctx,
        ['value'],
        `${p.property} needs a number (with a unit such as "d" or "h"); found ${JSON.stringify(p.value)}`,
      );
    }
  })
  .describe('A service-level promise about the data (ODCS slaProperties).');

export const supportChannel = z
  .strictObject({
    id: stableId.optional(),
    channel: z.string().min(1).describe('Name of the channel, e.g. "#readmission-data".'),
    url: z.string().optional().describe('Link to the channel.'),
    description: z.string().optional().describe('What the channel is for.'),
    tool: z.string().optional().describe('Tool: "email", "slack", "teams", "ticket", ...'),
    scope: z
      .string()
      .optional()
      .describe('Scope: "interactive", "announcements", "issues", "notifications".'),
    invitationUrl: z.string().optional().describe('Where to ask to join.'),
    customProperties,
  })
  .describe('Where consumers get help.');

export const teamMember = z
  .strictObject({
    id: stableId.optional(),
    username: z.string().min(1).describe('User name or e-mail.'),
    name: z.string().optional().describe('Full name.'),
    description: z.string().optional().describe('What the member does for the contract.'),
    role: z.string().optional().describe('Role, e.g. "owner", "data steward".'),
    dateIn: date.optional().describe('When the member joined.'),
    dateOut: date.optional().describe('When the member left.'),
    replacedByUsername: z.string().optional().describe('Who took over.'),
    tags,
    customProperties,
    authoritativeDefinitions,
  })
  .superRefine((m, ctx) => {
    if (m.dateIn && m.dateOut && m.dateOut < m.dateIn) {
      issue(ctx, ['dateOut'], `dateOut (${m.dateOut}) must not be before dateIn (${m.dateIn})`);
    }
  })
  .describe('A member of the team behind the data.');

export const odcsTeam = z
  .strictObject({
    id: stableId.optional(),
    name: z.string().optional().describe('Name of the team.'),
    description: z.string().optional().describe('What the team does.'),
    members: z.array(teamMember).optional().describe('Members, past and present.'),
    tags,
    customProperties,
    authoritativeDefinitions,
  })
  .describe('The people behind the data (ODCS team); the accountable GitHub team is ownerTeam.');

export const price = z
  .strictObject({
    id: stableId.optional(),
    priceAmount: z.number().optional().describe('Price per unit.'),
    priceCurrency: z.string().optional().describe('Currency, e.g. "USD".'),
    priceUnit: z.string().optional().describe('Unit priced, e.g. "megabyte".'),
  })
  .describe('What the data costs.');

// --- consumers --------------------------------------------------------------------------------------------------

export const consumer = z
  .strictObject({
    useCase: nameRef('UseCase'),
    namespace: objectName.optional().describe("Namespace of the use case; the contract's own when omitted."),
  })
  .describe('A use case that reads the data (Vigil).');

// --- what an import keeps for export ----------------------------------------------------------------------------

export const odcsRestoreStep = z
  .strictObject({
    at: z
      .string()
      .regex(/^(\/[^/]*)+$/, { message: 'must be a JSON pointer such as "/status"' })
      .describe('Where in the ODCS document, as a JSON pointer, e.g. "/status".'),
    write: anyValue('What the document said there.').optional(),
    drop: z.boolean().optional().describe('True when the document had no such field: leave it out.'),
    over: anyValue('What Vigil writes there; the step applies only while it still does.').optional(),
  })
  .describe('One place where the imported ODCS document said something other than what Vigil writes.');

// --- the spec ---------------------------------------------------------------------------------------------------

export const CONTRACT_STATUSES = ['proposed', 'draft', 'active', 'deprecated', 'retired'] as const;

export const dataContractSpec = z
  .strictObject({
    id: z.string().min(1).describe('Identifier of the contract across versions, e.g. a UUID (ODCS id).'),
    name: z.string().optional().describe('Name of the contract (ODCS name).'),
    version: semverString.describe(
      'Version of the contract, semantic: a breaking change needs a new major version.',
    ),
    status: z
      .enum(CONTRACT_STATUSES)
      .describe('Where the contract is in its life: proposed, draft, active, deprecated or retired.'),
    ownerTeam: team.describe('The GitHub team accountable for the data and for approving changes (Vigil).'),
    domain: z.string().optional().describe('Logical data domain, e.g. "inpatient".'),
    dataProduct: z
      .string()
      .optional()
      .describe('Data product the contract belongs to (deprecated in ODCS 3.1).'),
    tenant: z.string().optional().describe('Organisation or property the data belongs to.'),
    description: z
      .strictObject({
        purpose: z.string().optional().describe('Why the data exists.'),
        limitations: z.string().optional().describe('What the data cannot be used for, and its known gaps.'),
        usage: z.string().optional().describe('How the data is meant to be used.'),
        authoritativeDefinitions,
        customProperties,
      })
      .optional()
      .describe('What the data is for, and what it is not for.'),
    schema: z
      .array(schemaObject)
      .optional()
      .describe('The objects (tables, files, topics) the contract covers.'),
    servers: z.array(server).optional().describe('Where the data lives.'),
    slaProperties: z
      .array(slaProperty)
      .optional()
      .describe('Service-level promises: freshness, latency, retention...'),
    slaDefaultElement: z
      .string()
      .optional()
      .describe('Element SLA promises refer to by default (deprecated in ODCS 3.1).'),
    roles: z.array(role).optional().describe('Access roles for the data.'),
    support: z.array(supportChannel).optional().describe('Where consumers get help.'),
    team: odcsTeam.optional(),
    price: price.optional(),
    tags,
    authoritativeDefinitions,
    customProperties,
    contractCreatedTs: dateTime.optional().describe('When the contract was first created.'),
    consumers: z.array(consumer).optional().describe('Use cases that read the data (Vigil).'),
    previousVersion: semverString
      .optional()
      .describe('The version this one replaces; breaking changes are reported against it.'),
    odcsRestore: z
      .array(odcsRestoreStep)
      .optional()
      .describe(
        'Where the imported ODCS document differs from what Vigil writes (its apiVersion, free-text status, ' +
          'fields Vigil does not act on): export writes these back, so the document goes out as it came in.',
      ),
  })
  .superRefine((s, ctx) => {
    if (s.previousVersion && semver.valid(s.previousVersion) && semver.valid(s.version)) {
      if (!semver.lt(s.previousVersion, s.version)) {
        issue(
          ctx,
          ['previousVersion'],
          `previousVersion (${s.previousVersion}) must be lower than version (${s.version})`,
        );
      }
    }
    const unique = <T>(
      items: T[] | undefined,
      key: (t: T) => string,
      path: (i: number) => PropertyKey[],
      what: string,
    ) => {
      const seen = new Set<string>();
      items?.forEach((t, i) => {
        const k = key(t);
        if (seen.has(k)) issue(ctx, path(i), `${what} "${k}" is listed twice`);
        seen.add(k);
      });
    };
    unique(
      s.schema,
      (o) => o.name,
      (i) => ['schema', i, 'name'],
      'schema object',
    );
    unique(
      s.servers,
      (o) => o.server,
      (i) => ['servers', i, 'server'],
      'server',
    );
    unique(
      s.consumers,
      (c) => (c.namespace ? `${c.namespace}/${c.useCase}` : c.useCase),
      (i) => ['consumers', i, 'useCase'],
      'consumer',
    );
  })
  .describe(
    "An Open Data Contract Standard (ODCS v3) contract with Vigil's PHI classification and consumers.",
  );

// --- status -----------------------------------------------------------------------------------------------------

export const TEST_RESULTS = ['Passed', 'Failed', 'Error'] as const;

export const ruleFailure = z
  .strictObject({
    rule: z
      .string()
      .describe('The rule: its id or name, else its path, e.g. "schema[0].properties[2].quality[0]".'),
    object: z.string().optional().describe('Schema object the rule belongs to.'),
    property: z.string().optional().describe('Property the rule belongs to.'),
    observed: z.number().optional().describe('The measured value.'),
    message: z.string().describe('What was expected and what was found.'),
  })
  .describe('One rule that failed in the last test.');

export const BREAKING_CHANGE_KINDS = [
  'object-removed',
  'property-removed',
  'type-changed',
  'required-added',
  'values-narrowed',
  'range-narrowed',
  'primary-key-changed',
  'phi-raised',
  'phi-lowered',
  'quality-tightened',
  'sla-loosened',
] as const;
export const breakingChangeKind = z.enum(BREAKING_CHANGE_KINDS).describe('What kind of breaking change.');

export const breakingChange = z
  .strictObject({
    path: z.string().describe('Where in the spec, e.g. "schema[0].properties[3].logicalType".'),
    kind: breakingChangeKind,
    message: z.string().describe('What changed, from what to what.'),
  })
  .describe('A change that breaks consumers or existing data.');
export type BreakingChange = z.infer<typeof breakingChange>;

export const dataContractStatus = z
  .strictObject({
    ...statusBase,
    lastTest: z
      .strictObject({
        result: z
          .enum(TEST_RESULTS)
          .describe('Passed: every rule held; Failed: a rule failed; Error: the test could not run.'),
        version: z.string().optional().describe('Contract version tested.'),
        at: dateTime.describe('When the test ran.'),
        where: z
          .string()
          .describe('What was tested: server name and location, e.g. "local: data/encounters.csv".'),
        rows: z.number().int().min(0).optional().describe('Rows read.'),
        rulesChecked: z.number().int().min(0).optional().describe('Rules evaluated.'),
        failures: z.array(ruleFailure).optional().describe('Rules that failed.'),
        message: z.string().optional().describe('Why the test could not run (result Error).'),
      })
      .optional()
      .describe('The last contract test against the data.'),
    breakingChanges: z
      .array(breakingChange)
      .optional()
      .describe('Breaking changes against spec.previousVersion; empty when there are none.'),
  })
  .describe('What the controller observed.');

export const DataContract = objectSchema('DataContract', dataContractSpec, dataContractStatus);

export type DataContractSpec = z.infer<typeof dataContractSpec>;
export type DataContractSpecInput = z.input<typeof dataContractSpec>;

/** A property at any nesting level: every level shares these fields (array items have no name or PHI class). */
export type AnyProperty = Omit<SchemaProperty, 'properties' | 'items' | 'phi' | 'name'> & {
  name?: string;
  phi?: PhiClass;
  properties?: AnyProperty[];
  items?: AnyProperty;
};
export type DataContractStatus = z.infer<typeof dataContractStatus>;
export type DataContractObject = z.infer<typeof DataContract>;

export const dataContractKind: KindDefinition = {
  kind: 'DataContract',
  plural: 'datacontracts',
  singular: 'datacontract',
  shortNames: ['dc'],
  description:
    'A data contract (ODCS v3) with a PHI classification per property and the use cases that read it.',
  printerColumns: [
    { name: 'Contract', type: 'string', jsonPath: '.spec.id', description: 'Contract id.' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'Contract version.' },
    { name: 'Status', type: 'string', jsonPath: '.spec.status', description: 'Lifecycle status.' },
    { name: 'Owner', type: 'string', jsonPath: '.spec.ownerTeam', description: 'Owner team.' },
    {
      name: 'Last Test',
      type: 'string',
      jsonPath: '.status.lastTest.result',
      description: 'Result of the last test.',
    },
    readyColumn,
    reasonColumn,
    {
      name: 'Tested',
      type: 'date',
      jsonPath: '.status.lastTest.at',
      description: 'When the last test ran.',
      priority: 1,
    },
    ageColumn,
  ],
  spec: dataContractSpec,
  status: dataContractStatus,
  object: DataContract,
};
