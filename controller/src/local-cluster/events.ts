// One store for Events, two APIs: core/v1 Event is the stored form and events.k8s.io/v1 a view of it,
// as on a real server, so an Event written through either is listed (and described) through both.
import type { KubeObject } from './resources.js';

type Json = Record<string, unknown>;

/** Pairs of (events.k8s.io/v1 field, core/v1 field) that carry the same value under different names. */
const RENAMED: Array<[string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

const SHARED = [
  'metadata',
  'reason',
  'type',
  'eventTime',
  'series',
  'action',
  'related',
  'reportingInstance',
];

export function eventsV1ToCore(obj: KubeObject): KubeObject {
  const src = obj as Json;
  const out: Json = { apiVersion: 'v1', kind: 'Event' };
  for (const key of SHARED) if (src[key] !== undefined) out[key] = src[key];
  for (const [v1, core] of RENAMED) if (src[v1] !== undefined) out[core] = src[v1];
  // A real server fills the legacy source from the reporting fields so older clients see who reported it.
  if (out.source === undefined && (src.reportingController || src.reportingInstance)) {
    const source: Json = {};
    if (src.reportingController) source.component = src.reportingController;
    if (src.reportingInstance) source.host = src.reportingInstance;
    out.source = source;
  }
  return out as KubeObject;
}

export function coreToEventsV1(obj: KubeObject): KubeObject {
  const src = obj as Json;
  const out: Json = { apiVersion: 'events.k8s.io/v1', kind: 'Event' };
  for (const key of SHARED) if (src[key] !== undefined) out[key] = src[key];
  for (const [v1, core] of RENAMED) if (src[core] !== undefined) out[v1] = src[core];
  if (out.reportingController === undefined) {
    const source = src.source as Json | undefined;
    if (source?.component) out.reportingController = source.component;
  }
  return out as KubeObject;
}
