// JSON Schema validators (ajv) set up alike wherever Vigil validates against a published schema.
import type { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * ajv-formats' standard formats (date-time, uri, email, ...) on an ajv instance. The package is CommonJS, and
 * under NodeNext resolution its function arrives as the default export's `default`; this is the one place
 * that knows.
 */
export const addFormats: (ajv: Ajv) => Ajv = ((addFormatsModule as unknown as { default?: unknown })
  .default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;
