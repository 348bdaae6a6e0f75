// Reading a request's JSON body the way GitHub checks it: a missing required field or a wrong type is a 422
// "Invalid request" naming the field.
import { invalidRequest } from './errors.js';

export type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidRequest('Body should be a JSON object.');
  return value as Body;
}

export function requiredString(body: Body, name: string): string {
  const v = body[name];
  if (v === undefined || v === null) throw invalidRequest(`"${name}" wasn't supplied.`);
  if (typeof v !== 'string')
    throw invalidRequest(`For 'properties/${name}', ${JSON.stringify(v)} is not a string.`);
  return v;
}

export function optionalString(body: Body, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw invalidRequest(`For 'properties/${name}', ${JSON.stringify(v)} is not a string.`);
  return v;
}

export function optionalBoolean(body: Body, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw invalidRequest(`For 'properties/${name}', ${JSON.stringify(v)} is not a boolean.`);
  return v;
}

export function optionalStrings(body: Body, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw invalidRequest(`For 'properties/${name}', ${JSON.stringify(v)} is not an array of strings.`);
  }
  return v as string[];
}

export function optionalEnum<T extends string>(
  body: Body,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const v = optionalString(body, name);
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) {
    throw invalidRequest(
      `For 'properties/${name}', "${v}" is not one of ${allowed.map((a) => `"${a}"`).join(', ')}.`,
    );
  }
  return v as T;
}
