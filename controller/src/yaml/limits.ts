// Bounds on what a single YAML file may cost to read. A governance repo is written by many hands; a file
// that is huge, deeply nested or alias-expanding must be refused before it can stall CI or the controller.

export interface YamlLimits {
  /** Largest file accepted, in bytes, checked before any parsing. */
  maxBytes: number;
  /** yaml's `maxAliasCount`: how far aliases may expand before the document is refused as an alias bomb. */
  maxAliasCount: number;
  /** Deepest nesting of mappings and sequences accepted; the top-level mapping is level 1. */
  maxDepth: number;
}

export const DEFAULT_YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxAliasCount: 100,
  maxDepth: 64,
});

export function resolveLimits(overrides: Partial<YamlLimits> = {}): YamlLimits {
  return {
    maxBytes: overrides.maxBytes ?? DEFAULT_YAML_LIMITS.maxBytes,
    maxAliasCount: overrides.maxAliasCount ?? DEFAULT_YAML_LIMITS.maxAliasCount,
    maxDepth: overrides.maxDepth ?? DEFAULT_YAML_LIMITS.maxDepth,
  };
}

/** `512 bytes`, `1.5 KiB`, `3.2 MiB`: one decimal, none when it is zero. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  const [amount, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB'];
  const rounded = Math.round(amount * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${unit}`;
}

/**
 * `file is 3.2 MiB; the limit is 1 MiB`. Falls back to exact byte counts when rounding would make the two
 * look equal (a file one byte over 1 MiB must not read "file is 1 MiB; the limit is 1 MiB").
 */
export function tooLargeMessage(size: number, limit: number): string {
  const [found, allowed] = [formatBytes(size), formatBytes(limit)];
  if (found !== allowed) return `file is ${found}; the limit is ${allowed}`;
  return `file is ${size} bytes; the limit is ${limit} bytes`;
}
