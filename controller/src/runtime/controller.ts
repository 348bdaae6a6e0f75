// A controller is a definition (which kind, which finalizer, the reconcile steps) run by one fixed skeleton:
// fetch from the cache (gone means done) -> deletion and finalizer -> suspend -> the controller's ordered
// steps -> status patched once, at the end, always, and only when it differs from what is there.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { inSpan, objectSpanAttributes } from '../tracing.js';
import type { Clock } from './clock.js';
import { type ClusterClient, isConflict, isNotFound } from './cluster-client.js';
import { type Condition, type ConditionUpdate, READY, setCondition } from './conditions.js';
import type { EventRecorder, EventSpec } from './events.js';
import { type KubeObject, objectKey, type ResourceKind } from './informer.js';
import { outcomeOfError, type ReconcileOutcome, resolveOutcome } from './outcome.js';
import { type Json, type JsonObject, mergePatchBetween, rebaseStatus, sameState } from './status-diff.js';
import type { Disposition } from './work-queue.js';

/** What a reconcile found and wants written. */
export interface ReconcileResult {
  /**
   * The status fields this controller owns. Conditions are given as updates (times and generations are
   * filled in); a `Ready` among them is the controller's verdict, otherwise success means Ready=True. A field
   * set to null is removed; fields not named keep their values.
   */
  status?: { conditions?: ConditionUpdate[] } & Record<string, unknown>;
  /** Run again after this many milliseconds even if nothing changes (polling, schedules). */
  requeueAfter?: number;
  /** Events narrating what changed; recorded only when the pass changed the status. */
  events?: EventSpec[];
}

/** Read access to the informer caches, for reconciles that look at other kinds. */
export interface CacheReader {
  get(kind: ResourceKind, namespace: string | undefined, name: string): KubeObject | undefined;
  list(kind: ResourceKind, namespace?: string): KubeObject[];
}

export interface ReconcileContext {
  /** Bound to kind, namespace, name and generation. */
  log: Logger;
  /** Aborts when the manager shuts down past its grace period or leadership is lost. */
  signal: AbortSignal;
  /** The time this pass started: use it rather than reading the clock, so a pass sees one instant. */
  now: Date;
  client: ClusterClient;
  cache: CacheReader;
}

/** Another kind whose changes should reconcile objects of this controller's kind. */
export interface DependentWatch {
  kind: ResourceKind;
  /** The keys (`namespace/name`) of this controller's objects that depend on `obj`. */
  map(obj: KubeObject, cache: CacheReader): string[];
}

export interface ControllerDefinition<T extends KubeObject = KubeObject> {
  kind: ResourceKind;
  /** Added before the first step runs; `finalize` runs before it is removed on deletion. */
  finalizer?: string;
  reconcile(ctx: ReconcileContext, obj: T): Promise<ReconcileResult>;
  finalize?(ctx: ReconcileContext, obj: T): Promise<void>;
  watches?: DependentWatch[];
  /** Concurrent reconciles of this kind (different keys). */
  workers?: number;
  /**
   * Kinds whose first pass this controller lets go first when work starts (for a bounded time): its own first
   * pass then reads their status instead of writing a status that says they are not reconciled yet and
   * writing again a moment later.
   */
  startAfter?: ResourceKind[];
}

export type Controller<T extends KubeObject = KubeObject> = Readonly<ControllerDefinition<T>> & {
  readonly name: string;
};

export function defineController<T extends KubeObject = KubeObject>(
  definition: ControllerDefinition<T>,
): Controller<T> {
  const { group, version, plural, kind } = definition.kind;
  if (!group || !version || !plural || !kind)
    throw new Error('a controller needs kind.group, version, plural and kind');
  if (definition.finalizer && !definition.finalize) {
    throw new Error(`controller for ${kind} declares finalizer ${definition.finalizer} but no finalize step`);
  }
  return Object.freeze({ ...definition, name: `${plural}.${group}` });
}

/** The status a pass leaves: the controller's fields over what is there, conditions merged, summary set. */
export function desiredStatus(
  current: JsonObject | undefined,
  result: ReconcileResult['status'] | undefined,
  outcome: ReconcileOutcome,
  generation: number | undefined,
  now: Date | number,
): { status: JsonObject; disposition: Disposition } {
  const next: JsonObject = { ...(current ?? {}) };
  const { conditions: updates, ...fields } = result ?? {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) delete next[key];
    else next[key] = value as Json;
  }
  let conditions = (Array.isArray(next.conditions) ? next.conditions : []) as unknown as Condition[];
  let ready: ConditionUpdate | undefined;
  for (const update of updates ?? []) {
    if (update.type === READY) ready = update;
    else conditions = setCondition(conditions, update, generation, now);
  }
  const withVerdict: ReconcileOutcome =
    outcome.kind === 'succeeded' && ready ? { ...outcome, ready } : outcome;
  const resolved = resolveOutcome(withVerdict, conditions, generation, now);
  next.conditions = resolved.conditions as unknown as Json;
  if (resolved.observed && generation !== undefined) next.observedGeneration = generation;
  return { status: next, disposition: resolved.disposition };
}

/**
 * Whether an update of a controller's own object needs a reconcile: a new generation (spec), or a change of
 * labels, annotations, finalizers or deletion. Status-only updates, including the controller's own status
 * writes, do not: otherwise every failure's status write would trigger an immediate retry past the backoff.
 */
export function updateNeedsReconcile(old: KubeObject, obj: KubeObject): boolean {
  const a = old.metadata;
  const b = obj.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    !sameState(a.labels, b.labels) ||
    !sameState(a.annotations, b.annotations)
  );
}

/** A write refused because this replica no longer leads. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

/** The object changed generation under a pass: its status would describe an old spec, so the pass starts over. */
class SupersededError extends Error {}

export interface ReconcilePass {
  disposition: Disposition;
  outcome: ReconcileOutcome | 'gone' | 'deleted' | 'superseded' | 'not-leader';
  /** Whether the status was written. */
  statusWritten: boolean;
}

export interface DriverDeps {
  client: ClusterClient;
  cache: CacheReader;
  events?: EventRecorder;
  clock: Clock;
  logger: Logger;
  isLeader(): boolean;
  /** How many times a status write is retried on 409 Conflict before the pass counts as failed. */
  conflictRetries?: number;
}

const MERGE_PATCH = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Runs one controller's passes: one call per key taken from its queue. */
export class ReconcileDriver<T extends KubeObject = KubeObject> {
  /**
   * Status this driver wrote that the cache has not shown yet, by key: `before` is the resourceVersion the
   * cache held when it was written. A pass that starts before the watch delivers the write would otherwise
   * diff against the older status, find its new decision equal to that, and skip writing, leaving on the
   * server the status it had just replaced. The entry goes when the cache moves past `before`.
   */
  private readonly written = new Map<string, { before: string; after: string; status: JsonObject }>();

  constructor(
    readonly controller: Controller<T>,
    private readonly deps: DriverDeps,
  ) {}

  /** The logger for one pass over an object: bound to kind, namespace, name and generation. */
  passLogger(namespace: string | undefined, name: string): Logger {
    const { kind } = this.controller;
    const generation = this.deps.cache.get(kind, namespace, name)?.metadata.generation;
    return this.deps.logger.child({ kind: kind.kind, namespace, name, generation });
  }

  async reconcile(
    namespace: string | undefined,
    name: string,
    signal: AbortSignal,
    log: Logger = this.passLogger(namespace, name),
  ): Promise<ReconcilePass> {
    const { kind } = this.controller;
    const key = objectKey(namespace, name);
    let cached = this.deps.cache.get(kind, namespace, name) as T | undefined;
    // Gone means done: deletion already ran its course.
    if (!cached) return { disposition: { action: 'forget' }, outcome: 'gone', statusWritten: false };
    const cachedVersion = cached.metadata.resourceVersion;
    const mine = this.written.get(key);
    if (mine && cachedVersion === mine.before) {
      cached = {
        ...cached,
        metadata: { ...cached.metadata, resourceVersion: mine.after },
        status: mine.status,
      };
    }
    const now = new Date(this.deps.clock.now());
    const ctx: ReconcileContext = { log, signal, now, client: this.deps.client, cache: this.deps.cache };
    try {
      if (cached.metadata.deletionTimestamp) return await this.finalize(ctx, cached);
      const obj = await this.ensureFinalizer(cached);
      let result: ReconcileResult | undefined;
      let outcome: ReconcileOutcome;
      if ((obj.spec as { suspend?: unknown } | undefined)?.suspend === true) {
        outcome = { kind: 'suspended' };
      } else {
        try {
          result = await inSpan(
            `reconcile ${kind.kind}`,
            objectSpanAttributes(kind.kind, obj),
            async (span) => {
              const done = await this.controller.reconcile(ctx, obj);
              const phase = (done.status as { phase?: unknown } | undefined)?.phase;
              if (typeof phase === 'string') span.setAttribute('vigil.phase', phase);
              return done;
            },
          );
          outcome = { kind: 'succeeded', requeueAfterMs: result.requeueAfter };
        } catch (error) {
          outcome = outcomeOfError(error);
        }
      }
      const current = obj.status as JsonObject | undefined;
      const { status, disposition } = desiredStatus(
        current,
        result?.status,
        outcome,
        obj.metadata.generation,
        now,
      );
      const statusWritten = await this.writeStatus(obj, status, key, cachedVersion);
      if (statusWritten) await this.narrate(obj, current, status, outcome, result?.events);
      if (outcome.kind === 'failed') log.error({ err: String(outcome.error) }, 'reconcile failed');
      return { disposition, outcome, statusWritten };
    } catch (error) {
      if (error instanceof NotLeaderError)
        return { disposition: { action: 'forget' }, outcome: 'not-leader', statusWritten: false };
      if (error instanceof SupersededError)
        return {
          disposition: { action: 'requeueAfter', ms: 1 },
          outcome: 'superseded',
          statusWritten: false,
        };
      if (isNotFound(error))
        return { disposition: { action: 'forget' }, outcome: 'gone', statusWritten: false };
      // Failures of the skeleton itself (finalizer or status writes) are transient: back off and retry.
      log.error({ err: String(error) }, 'reconcile failed');
      return { disposition: { action: 'retry' }, outcome: { kind: 'failed', error }, statusWritten: false };
    }
  }

  private guardLeader(): void {
    if (!this.deps.isLeader()) throw new NotLeaderError('not the leader: refusing to write');
  }

  private async finalize(ctx: ReconcileContext, obj: T): Promise<ReconcilePass> {
    const finalizer = this.controller.finalizer;
    if (!finalizer || !(obj.metadata.finalizers ?? []).includes(finalizer)) {
      return { disposition: { action: 'forget' }, outcome: 'deleted', statusWritten: false };
    }
    try {
      await this.controller.finalize?.(ctx, obj);
    } catch (error) {
      const outcome = outcomeOfError(error);
      ctx.log.error({ err: String(error) }, 'finalize failed');
      const disposition = resolveOutcome(outcome, [], undefined, ctx.now).disposition;
      return { disposition, outcome, statusWritten: false };
    }
    await this.editFinalizers(obj, (list) => list.filter((f) => f !== finalizer));
    ctx.log.info({ finalizer }, 'finalized');
    return { disposition: { action: 'forget' }, outcome: 'deleted', statusWritten: false };
  }

  private async ensureFinalizer(obj: T): Promise<T> {
    const finalizer = this.controller.finalizer;
    if (!finalizer || (obj.metadata.finalizers ?? []).includes(finalizer)) return obj;
    return this.editFinalizers(obj, (list) => (list.includes(finalizer) ? list : [...list, finalizer]));
  }

  /** Change metadata.finalizers with a merge patch guarded by resourceVersion; on 409 re-read and redo. */
  private async editFinalizers(obj: T, edit: (list: string[]) => string[]): Promise<T> {
    const { group, version, plural } = this.controller.kind;
    const namespace = obj.metadata.namespace ?? '';
    let current = obj;
    for (let attempt = 0; ; attempt++) {
      const before = current.metadata.finalizers ?? [];
      const after = edit(before);
      if (after.length === before.length && after.every((f, i) => f === before[i])) return current;
      this.guardLeader();
      try {
        return (await this.deps.client.customObjects.patchNamespacedCustomObject(
          {
            group,
            version,
            namespace,
            plural,
            name: obj.metadata.name,
            body: { metadata: { finalizers: after, resourceVersion: current.metadata.resourceVersion } },
          },
          MERGE_PATCH(),
        )) as T;
      } catch (error) {
        if (!isConflict(error) || attempt >= (this.deps.conflictRetries ?? 5)) throw error;
        current = await this.read(obj);
      }
    }
  }

  private async read(obj: T): Promise<T> {
    const { group, version, plural } = this.controller.kind;
    return (await this.deps.client.customObjects.getNamespacedCustomObject({
      group,
      version,
      namespace: obj.metadata.namespace ?? '',
      plural,
      name: obj.metadata.name,
    })) as T;
  }

  /**
   * Patch /status with a JSON merge patch carrying the resourceVersion read, only when something differs. On
   * 409 Conflict re-read, replay our change onto the fresh status (so the other writer's change survives)
   * and try again, a bounded number of times. True when a write was made.
   */
  /** The cache shows `key` at `resourceVersion` (or no longer has it): a status written before it is visible. */
  observed(key: string, resourceVersion: string | undefined): void {
    const mine = this.written.get(key);
    if (mine && resourceVersion !== mine.before) this.written.delete(key);
  }

  /** `before`: the resourceVersion the cache held when the pass began. */
  private async writeStatus(
    obj: T,
    desired: JsonObject,
    key: string,
    before: string | undefined,
  ): Promise<boolean> {
    const { group, version, plural } = this.controller.kind;
    const base = obj.status as JsonObject | undefined;
    let current = obj;
    let target = desired;
    for (let attempt = 0; ; attempt++) {
      const patch = mergePatchBetween(current.status as JsonObject | undefined, target);
      if (Object.keys(patch).length === 0) return attempt > 0;
      this.guardLeader();
      try {
        const after = (await this.deps.client.customObjects.patchNamespacedCustomObjectStatus(
          {
            group,
            version,
            namespace: obj.metadata.namespace ?? '',
            plural,
            name: obj.metadata.name,
            body: { metadata: { resourceVersion: current.metadata.resourceVersion }, status: patch },
          },
          MERGE_PATCH(),
        )) as KubeObject & { status?: JsonObject };
        if (before && after?.metadata?.resourceVersion) {
          this.written.set(key, {
            before,
            after: after.metadata.resourceVersion,
            status: after.status ?? {},
          });
          // The watch may have delivered the write already: then the cache shows it and nothing is kept.
          const now = this.deps.cache.get(this.controller.kind, obj.metadata.namespace, obj.metadata.name);
          this.observed(key, now?.metadata.resourceVersion);
        }
        this.deps.logger.debug(
          {
            kind: this.controller.kind.kind,
            namespace: obj.metadata.namespace,
            name: obj.metadata.name,
            patch,
          },
          'status written',
        );
        return true;
      } catch (error) {
        if (isConflict(error)) this.deps.client.writes.recordRefused(`${plural}.${group}`, 'patch', 409);
        if (!isConflict(error) || attempt >= (this.deps.conflictRetries ?? 5)) throw error;
        const fresh = await this.read(obj);
        if (fresh.metadata.generation !== obj.metadata.generation) throw new SupersededError();
        target = rebaseStatus(base, desired, fresh.status as JsonObject | undefined);
        current = fresh;
      }
    }
  }

  /** Events for a pass that changed the status: the controller's own, and one when Ready changed. */
  private async narrate(
    obj: T,
    before: JsonObject | undefined,
    after: JsonObject,
    outcome: ReconcileOutcome,
    events: EventSpec[] | undefined,
  ): Promise<void> {
    const recorder = this.deps.events;
    if (!recorder) return;
    for (const event of events ?? []) await recorder.record(obj, event);
    const readyOf = (s: JsonObject | undefined) =>
      ((s?.conditions ?? []) as unknown as Condition[]).find((c) => c.type === READY);
    const was = readyOf(before);
    const now = readyOf(after);
    if (!now || (was && was.status === now.status && was.reason === now.reason)) return;
    // The controller has just told this change in its own words: a second Event would repeat it.
    if (events?.some((e) => e.reason === now.reason)) return;
    const warning = outcome.kind === 'failed' || outcome.kind === 'stalled' || now.status === 'False';
    await recorder.record(obj, {
      type: warning ? 'Warning' : 'Normal',
      reason: now.reason,
      message: now.message,
    });
  }
}
