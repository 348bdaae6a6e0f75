// The gate's memories (a pull request's files, commits, the checks it wrote) are keyed by what fixes their
// content, such as head and base commits, and bounded: the oldest entry is forgotten first.

/** Entries each memory keeps unless told otherwise. */
export const REMEMBERED = 500;

/** Set `key` (as the newest entry), forgetting the oldest once the map holds more than `capacity`. */
export function remember<V>(map: Map<string, V>, key: string, value: V, capacity = REMEMBERED): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > capacity) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
