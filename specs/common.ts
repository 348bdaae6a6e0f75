// Building blocks shared by every kind: names, teams, durations, schedules, versions, conditions, the object envelope.
import { Cron } from 'croner';
import semver from 'semver';
import { z } from 'zod';

export const API_GROUP = 'vigil.dev';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

// --- names and references -------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (DNS-1123 label): how every kind refers to another, within its namespace. */
export const objectName = z.string().min(1).max(63).regex(DNS_LABEL, {
  message: 'must be a lowercase name of letters, digits and "-", starting and ending with a letter or digit',
});

/** A reference to another Vigil object in the same namespace, by name. */
export const nameRef = (what: string) => objectName.describe(`Name of the ${what} in the same namespace.`);

/** A stage or wave name as declared on a release train. */
export const stageName = objectName.describe('Name of a stage or wave declared on the release train.');

/** GitHub team, written `org/team-slug`. */
export const TEAM_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[a-z0-9](?:[a-z0-9_-]{0,99})$/;
export const team = z
  .string()
  .regex(TEAM_PATTERN, {
    message: 'must be a GitHub team written org/team-slug, e.g. "northwind-health/clinical-safety"',
  })
  .describe('A GitHub team, written org/team-slug.');

/** GitHub login (a person or bot). */
export const login = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, { message: 'must be a GitHub login, e.g. "ds-lead"' })
  .describe('A GitHub login.');

/** GitHub repository, written `org/repo`. */
export const repository = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, {
    message: 'must be a GitHub repository written org/repo',
  })
  .describe('A GitHub repository, written org/repo.');

// --- values -----------------------------------------------------------------------------------------------------

export const percent = z.number().min(0).max(100);
export const fraction = z.number().min(0).max(1);

/** A semantic version, as a string: `version: 1.10` unquoted would be read as the number 1.1. */
export const semverString = z
  .string()
  .refine((v) => semver.valid(v) !== null, { message: 'must be a semantic version such as "2.4.0"' })
  .describe('A semantic version, quoted, e.g. "2.4.0".');

export const versionString = z.string().min(1).describe('A version, written as a string.');

export const uri = z
  .string()
  .refine(
    (v) => {
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute URI such as "https://..." or "s3://..."' },
  )
  .describe('An absolute URI.');

export const dateTime = z.iso
  .datetime({ offset: true })
  .describe('An RFC 3339 timestamp, e.g. "2026-03-01T09:00:00Z".');
export const date = z.iso.date().describe('A calendar date, e.g. "2026-03-01".');

// --- durations --------------------------------------------------------------------------------------------------

const DURATION = /^(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;
const UNIT_SECONDS: Record<string, number> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };

/** Seconds in a duration such as `14d`, `72h` or `1h30m`; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (text === '' || !DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([wdhms])/g)) total += Number(n) * (UNIT_SECONDS[unit!] ?? 0);
  return total;
}

export const duration = z
  .string()
  .refine((v) => parseDuration(v) !== undefined, {
    message: 'must be a duration of weeks, days, hours, minutes, seconds such as "14d", "72h" or "1h30m"',
  })
  .describe('A duration such as "14d", "72h" or "1h30m" (units w, d, h, m, s).');

// --- schedules --------------------------------------------------------------------------------------------------

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron expression is invalid, or undefined when it is valid. */
export function cronError(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5)
    return `must have 5 fields (minute hour day-of-month month day-of-week); found ${fields.length}`;
  try {
    new Cron(expr, { paused: true });
    return undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
  }
}

export const cronExpression = z
  .string()
  .superRefine((v, ctx) => {
    const why = cronError(v);
    if (why) ctx.addIssue({ code: 'custom', message: `invalid cron expression "${v}": ${why}` });
  })
  .describe('A five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 6 1 * *".');

export const timeZone = z
  .string()
  .refine(isTimeZone, { message: 'must be an IANA time zone such as "America/Chicago" or "UTC"' })
  .describe('An IANA time zone, e.g. "America/Chicago".');

export const regexString = z
  .string()
  .superRefine((v, ctx) => {
    try {
      new RegExp(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(err as Error).message}` });
    }
  })
  .describe('A regular expression (JavaScript syntax).');

// --- thresholds -------------------------------------------------------------------------------------------------

/** A bound on a named metric: at least `min`, at most `max`, or both. */
export const threshold = z
  .strictObject({
    metric: z.string().min(1).describe('Name of the metric, as it appears in the evaluation evidence.'),
    min: z.number().optional().describe('The value must be at least this.'),
    max: z.number().optional().describe('The value must be at most this.'),
    segment: z
      .string()
      .optional()
      .describe('Apply to this segment only (e.g. "payer=medicaid"); all segments when omitted.'),
  })
  .superRefine((t, ctx) => {
    if (t.min === undefined && t.max === undefined) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'a threshold needs min, max or both' });
    }
    if (t.min !== undefined && t.max !== undefined && t.min > t.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `min (${t.min}) must not be greater than max (${t.max})`,
      });
    }
  })
  .describe('A bound on a metric.');

export type Threshold = z.infer<typeof threshold>;

// --- status -----------------------------------------------------------------------------------------------------

export const conditionStatus = z.enum(['True', 'False', 'Unknown']);

export const condition = z
  .strictObject({
    type: z.string().describe('Condition type in CamelCase, e.g. "Ready".'),
    status: conditionStatus.describe('True, False or Unknown.'),
    reason: z
      .string()
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe('Why the condition is in its status, in CamelCase.'),
    message: z.string().describe('What a person needs to know, in a sentence.'),
    lastTransitionTime: dateTime.describe('When the status last changed.'),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The generation the condition was computed for.'),
  })
  .describe('A condition, per the Kubernetes API conventions.');

export type Condition = z.infer<typeof condition>;

/** Status fields every kind carries. */
export const statusBase = {
  observedGeneration: z.number().int().min(0).optional().describe('The generation last reconciled.'),
  conditions: z
    .array(condition)
    .optional()
    .describe('Current state: Ready summarises; the others say which part is or is not in order.')
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
};

// --- the object envelope ----------------------------------------------------------------------------------------

export const objectMeta = z
  .looseObject({
    name: objectName.describe('Name of the object, unique in its namespace.'),
    namespace: objectName.optional().describe('Namespace; the one in the current context when omitted.'),
    labels: z.record(z.string(), z.string()).optional().describe('Labels.'),
    annotations: z.record(z.string(), z.string()).optional().describe('Annotations.'),
  })
  .describe('Standard object metadata.');

/** A whole object of a kind: apiVersion, kind, metadata, spec and (written by the controller) status. */
export function objectSchema<K extends string, S extends z.ZodType, T extends z.ZodType>(
  kind: K,
  spec: S,
  status: T,
) {
  return z.strictObject({
    apiVersion: z.literal(API_GROUP_VERSION).describe(`Always ${API_GROUP_VERSION}.`),
    kind: z.literal(kind).describe(`Always ${kind}.`),
    metadata: objectMeta,
    spec,
    status: status.optional(),
  });
}

// --- CRD metadata -----------------------------------------------------------------------------------------------

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

/** What a CRD says beside the schema: names, printer columns, description. */
export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  printerColumns: PrinterColumn[];
  spec: z.ZodType;
  status: z.ZodType;
  /** The full object schema (envelope + spec + status). */
  object: z.ZodType;
}

export const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether the object is ready.',
};

export const reasonColumn: PrinterColumn = {
  name: 'Reason',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: 'Why the object is or is not ready.',
  priority: 1,
};

export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};
