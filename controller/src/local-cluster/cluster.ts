// The local cluster's state and the controllers around it, wired together: catalogue, store, watches,
// REST verbs, garbage collection, CRD registration and (optionally) the data directory.
import type { Logger } from 'pino';
import { AdmissionDispatcher, validatingWebhookConfigurationType } from './admission.js';
import { BUILTIN_TYPES, crdType, namespaceType } from './builtins.js';
import { crdResourceTypes } from './crd.js';
import { GarbageCollector } from './gc.js';
import { OpenApiCache } from './openapi.js';
import { DataDirectory, type LoadReport } from './persistence.js';
import { type KubeObject, ResourceCatalogue } from './resources.js';
import { RestStorage } from './rest.js';
import { ObjectStore, parse } from './store.js';
import { WatchHub } from './watch.js';

export interface ClusterOptions {
  dataDir?: string;
  /** How many changes a watch can resume across (older resourceVersions get 410 Expired). */
  watchHistorySize?: number;
  bookmarkIntervalMs?: number;
  snapshotEvery?: number;
  logger?: Logger;
}

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class ClusterState {
  readonly catalogue = new ResourceCatalogue();
  readonly store = new ObjectStore();
  readonly watches: WatchHub;
  readonly rest: RestStorage;
  readonly gc: GarbageCollector;
  readonly openapi: OpenApiCache;
  /** Sends writes to the validating webhooks that ValidatingWebhookConfiguration objects register. */
  readonly admission: AdmissionDispatcher;
  readonly loaded: LoadReport | undefined;
  private readonly data: DataDirectory | undefined;

  constructor(options: ClusterOptions = {}) {
    for (const t of [...BUILTIN_TYPES, validatingWebhookConfigurationType]) this.catalogue.add(t);
    this.admission = new AdmissionDispatcher(this.store);
    this.watches = new WatchHub(this.store, {
      historySize: options.watchHistorySize ?? 10_000,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 30_000,
    });
    this.rest = new RestStorage(this.catalogue, this.store, this.watches, (crd, removed) =>
      this.crdChanged(crd, removed),
    );
    this.openapi = new OpenApiCache(this.catalogue);
    if (options.dataDir) {
      this.data = new DataDirectory(options.dataDir, { snapshotEvery: options.snapshotEvery });
      this.loaded = this.data.load(this.store);
      // Nothing before the restart can be resumed: watches from older versions relist.
      this.watches.compact();
      for (const crd of this.store.objects(crdType.storageKey)) this.crdChanged(parse(crd), false);
      this.data.attach(this.store);
    }
    this.gc = new GarbageCollector(this.rest, options.logger);
    for (const name of INITIAL_NAMESPACES) {
      if (!this.store.get(namespaceType.storageKey, '', name)) {
        this.rest.create(namespaceType, undefined, { metadata: { name } }, {});
      }
    }
    this.gc.sweep();
  }

  /** Serve (or stop serving) what a CustomResourceDefinition declares; removing one removes its objects. */
  private crdChanged(crd: KubeObject, removed: boolean): void {
    const owner = `crd/${crd.metadata?.name ?? ''}`;
    const previous = this.catalogue.removeOwner(owner);
    if (removed) {
      const storageKey = previous[0]?.storageKey;
      if (!storageKey) return;
      for (const o of [...this.store.objects(storageKey)]) this.store.remove(storageKey, o.namespace, o.name);
      this.watches.closeAll(storageKey);
      return;
    }
    for (const t of crdResourceTypes(crd)) this.catalogue.add(t, owner);
  }

  /** Fold the log into a snapshot now (also done periodically). */
  snapshot(): void {
    this.data?.snapshot(this.store);
  }

  stop(): void {
    this.gc.stop();
    this.watches.stop();
    this.data?.close();
  }
}
