// What a request path names, as the Kubernetes API lays paths out: discovery documents, OpenAPI, health,
// and resource paths (/api/v1/..., /apis/G/V/..., with namespaces, names and subresources).

export type Route =
  | { kind: 'root' }
  | { kind: 'version' }
  | { kind: 'health'; check: string }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'groupVersion'; group: string; version: string }
  | { kind: 'openapiV2' }
  | { kind: 'openapiV3Index' }
  | { kind: 'openapiV3'; key: string }
  | {
      kind: 'resource';
      group: string;
      version: string;
      namespace?: string;
      plural: string;
      name?: string;
      subresource?: string;
      /** The deprecated `/watch/` path form. */
      watchPath: boolean;
    }
  | { kind: 'notFound' };

const HEALTH = new Set(['healthz', 'readyz', 'livez']);

export function parsePath(pathname: string): Route {
  let segs: string[];
  try {
    segs = pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return { kind: 'notFound' };
  }
  const [first, ...rest] = segs;
  if (first === undefined) return { kind: 'root' };
  if (first === 'version' && rest.length === 0) return { kind: 'version' };
  if (HEALTH.has(first)) return { kind: 'health', check: first };
  if (first === 'openapi') {
    if (rest.length === 1 && rest[0] === 'v2') return { kind: 'openapiV2' };
    if (rest[0] === 'v3')
      return rest.length === 1
        ? { kind: 'openapiV3Index' }
        : { kind: 'openapiV3', key: rest.slice(1).join('/') };
    return { kind: 'notFound' };
  }
  if (first === 'api') {
    if (rest.length === 0) return { kind: 'api' };
    const [version, ...tail] = rest;
    if (tail.length === 0) return { kind: 'groupVersion', group: '', version: version! };
    return resourceRoute('', version!, tail);
  }
  if (first === 'apis') {
    if (rest.length === 0) return { kind: 'apis' };
    const [group, version, ...tail] = rest;
    if (version === undefined) return { kind: 'group', group: group! };
    if (tail.length === 0) return { kind: 'groupVersion', group: group!, version };
    return resourceRoute(group!, version, tail);
  }
  return { kind: 'notFound' };
}

function resourceRoute(group: string, version: string, tail: string[]): Route {
  let parts = tail;
  let watchPath = false;
  if (parts[0] === 'watch') {
    watchPath = true;
    parts = parts.slice(1);
  }
  // /api/v1/namespaces/{name}/status names the namespace's own subresource, not a resource called "status".
  const namespaceSubresource =
    group === '' &&
    parts[0] === 'namespaces' &&
    parts.length === 3 &&
    (parts[2] === 'status' || parts[2] === 'finalize');
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3 && !namespaceSubresource) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  const [plural, name, subresource, ...extra] = parts;
  if (plural === undefined || extra.length > 0) return { kind: 'notFound' };
  const route: Route = { kind: 'resource', group, version, plural, watchPath };
  if (namespace !== undefined) route.namespace = namespace;
  if (name !== undefined) route.name = name;
  if (subresource !== undefined) route.subresource = subresource;
  return route;
}
