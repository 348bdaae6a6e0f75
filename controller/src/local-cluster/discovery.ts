// API discovery: the legacy documents (/api, /apis, /apis/G, resource lists) and the aggregated
// APIGroupDiscoveryList (v2 and v2beta1) that kubectl 1.32 asks for first.
import { apiVersionOf, type ResourceCatalogue, type ResourceType } from './resources.js';

type Json = Record<string, unknown>;

/** Kubernetes version priority: GA before beta before alpha, higher numbers first, then other names. */
export function compareKubeVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = rank(a);
  const [sb, mb, nb] = rank(b);
  if (sa === 0 && sb === 0) return a < b ? -1 : a > b ? 1 : 0;
  if (sa !== sb) return sb - sa;
  if (ma !== mb) return mb - ma;
  return nb - na;
}

function sortedVersions(catalogue: ResourceCatalogue, group: string): string[] {
  return [...(catalogue.groups().get(group) ?? [])].sort(compareKubeVersions);
}

/** Groups other than core, in the order they were first served. */
function namedGroups(catalogue: ResourceCatalogue): string[] {
  return [...catalogue.groups().keys()].filter((g) => g !== '');
}

export function apiVersions(serverAddress: string): Json {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDocument(catalogue: ResourceCatalogue, group: string): Json {
  const versions = sortedVersions(catalogue, group).map((v) => ({
    groupVersion: `${group}/${v}`,
    version: v,
  }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(catalogue: ResourceCatalogue): Json {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: namedGroups(catalogue).map((g) => groupDocument(catalogue, g)),
  };
}

export function apiGroup(catalogue: ResourceCatalogue, group: string): Json | undefined {
  if (!catalogue.groups().has(group) || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(catalogue, group) };
}

function resourceEntries(t: ResourceType): Json[] {
  const main: Json = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.verbs,
  };
  if (t.shortNames.length > 0) main.shortNames = t.shortNames;
  if (t.categories.length > 0) main.categories = t.categories;
  const out = [main];
  if (t.statusSubresource) {
    out.push({
      name: `${t.plural}/status`,
      singularName: '',
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ['get', 'patch', 'update'],
    });
  }
  return out;
}

export function apiResourceList(
  catalogue: ResourceCatalogue,
  group: string,
  version: string,
): Json | undefined {
  const types = catalogue.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group, version),
    resources: types.flatMap(resourceEntries),
  };
}

function discoveryResource(t: ResourceType): Json {
  const responseKind = { group: t.group, version: t.version, kind: t.kind };
  const r: Json = {
    resource: t.plural,
    responseKind,
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames.length > 0) r.shortNames = t.shortNames;
  if (t.categories.length > 0) r.categories = t.categories;
  if (t.statusSubresource)
    r.subresources = [{ subresource: 'status', responseKind, verbs: ['get', 'patch', 'update'] }];
  return r;
}

/** The aggregated discovery document for `/api` (legacy: true) or `/apis`. */
export function aggregatedDiscovery(
  catalogue: ResourceCatalogue,
  legacy: boolean,
  version: 'v2' | 'v2beta1',
): Json {
  const groups = legacy ? [''] : namedGroups(catalogue);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups
      .filter((g) => catalogue.groups().has(g))
      .map((g) => ({
        metadata: { name: g, creationTimestamp: null },
        versions: sortedVersions(catalogue, g).map((v) => ({
          version: v,
          resources: catalogue.inGroupVersion(g, v).map(discoveryResource),
          freshness: 'Current',
        })),
      })),
  };
}

/** Which aggregated discovery version (if any) an Accept header asks for, in the client's order of preference. */
export function aggregatedVersionAccepted(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const params = part.split(';').map((p) => p.trim());
    if (!params.includes('g=apidiscovery.k8s.io') || !params.includes('as=APIGroupDiscoveryList')) continue;
    if (params.includes('v=v2')) return 'v2';
    if (params.includes('v=v2beta1')) return 'v2beta1';
  }
  return undefined;
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
