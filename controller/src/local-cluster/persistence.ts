// Keeping state across restarts in a data directory without ever leaving it torn: every change is appended
// to a write-ahead log as one checksummed line, and the log is folded into a snapshot now and then by
// writing a new file and renaming it over the old. On load a torn or corrupt tail of the log is dropped.
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ObjectStore, StoreChange } from './store.js';

const SNAPSHOT = 'snapshot.jsonl';
const LOG = 'wal.jsonl';

/** One log line: `<crc32 as 8 hex digits> <json>`; the checksum covers the JSON text. */
export function encodeRecord(payload: string): string {
  return `${crc32(payload).toString(16).padStart(8, '0')} ${payload}\n`;
}

/** The payload of a log line, or undefined when the line is torn or its checksum does not match. */
export function decodeRecord(line: string): string | undefined {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const payload = line.slice(9);
  const sum = Number.parseInt(line.slice(0, 8), 16);
  return crc32(payload) === sum ? payload : undefined;
}

type PutRecord = { op: 'put'; k: string; rv: number; o: string };
type DeleteRecord = { op: 'del'; k: string; ns: string; n: string; rv: number };
type LogRecord = PutRecord | DeleteRecord;

export interface LoadReport {
  objects: number;
  records: number;
  /** Bytes at the end of the log that were torn or corrupt and have been cut off. */
  droppedBytes: number;
}

export interface PersistenceOptions {
  /** Fold the log into a new snapshot after this many records. */
  snapshotEvery?: number;
}

export class DataDirectory {
  private fd: number | undefined;
  private recordsSinceSnapshot = 0;
  private readonly snapshotEvery: number;

  constructor(
    readonly dir: string,
    options: PersistenceOptions = {},
  ) {
    this.snapshotEvery = options.snapshotEvery ?? 20_000;
    mkdirSync(dir, { recursive: true });
  }

  /** Read the snapshot and replay the log into an empty store; cut a torn tail off the log. */
  load(store: ObjectStore): LoadReport {
    let snapshotRv = 0;
    const snapshotPath = join(this.dir, SNAPSHOT);
    if (existsSync(snapshotPath)) {
      const lines = readFileSync(snapshotPath, 'utf8').split('\n');
      for (const line of lines) {
        if (line === '') continue;
        const payload = decodeRecord(line);
        // The snapshot was renamed into place whole, so a bad line means damage, not a torn write.
        if (payload === undefined) throw new Error(`data directory ${this.dir}: ${SNAPSHOT} is damaged`);
        const rec = JSON.parse(payload) as { rv?: number; k?: string; orv?: number; o?: string };
        if (rec.k === undefined) {
          snapshotRv = rec.rv ?? 0;
          continue;
        }
        store.restore(rec.k, rec.o ?? '{}', rec.orv ?? 0);
      }
      store.advanceTo(snapshotRv);
    }
    const logPath = join(this.dir, LOG);
    let records = 0;
    let droppedBytes = 0;
    if (existsSync(logPath)) {
      const buf = readFileSync(logPath);
      let offset = 0;
      while (offset < buf.length) {
        const end = buf.indexOf(10, offset);
        if (end === -1) break;
        const payload = decodeRecord(buf.toString('utf8', offset, end));
        if (payload === undefined) break;
        const rec = JSON.parse(payload) as LogRecord;
        if (rec.rv > snapshotRv) {
          if (rec.op === 'put') store.restore(rec.k, rec.o, rec.rv);
          else store.forget(rec.k, rec.ns, rec.n, rec.rv);
        }
        records++;
        offset = end + 1;
      }
      droppedBytes = buf.length - offset;
      if (droppedBytes > 0) {
        const fd = openSync(logPath, 'r+');
        ftruncateSync(fd, offset);
        fsyncSync(fd);
        closeSync(fd);
      }
    }
    this.recordsSinceSnapshot = records;
    return { objects: countObjects(store), records, droppedBytes };
  }

  /** Start logging every change the store makes. */
  attach(store: ObjectStore): void {
    this.fd = openSync(join(this.dir, LOG), 'a');
    store.onChange((change) => this.append(change, store));
  }

  close(): void {
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private append(change: StoreChange, store: ObjectStore): void {
    if (this.fd === undefined) return;
    const o = change.object;
    const rec: LogRecord =
      change.type === 'DELETED'
        ? { op: 'del', k: change.storageKey, ns: o.namespace, n: o.name, rv: o.resourceVersion }
        : { op: 'put', k: change.storageKey, rv: o.resourceVersion, o: o.json };
    // One write call per record: a kill leaves at most the last line torn, which load() cuts off.
    writeSync(this.fd, encodeRecord(JSON.stringify(rec)));
    if (++this.recordsSinceSnapshot >= this.snapshotEvery) this.snapshot(store);
  }

  /** Write every object to a new snapshot, rename it into place, then start an empty log. */
  snapshot(store: ObjectStore): void {
    const parts: string[] = [encodeRecord(JSON.stringify({ rv: store.resourceVersion }))];
    for (const k of store.storageKeys()) {
      for (const o of store.objects(k))
        parts.push(encodeRecord(JSON.stringify({ k, orv: o.resourceVersion, o: o.json })));
    }
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = openSync(tmp, 'w');
    writeSync(fd, parts.join(''));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, SNAPSHOT));
    // A crash between the rename and here replays log records the snapshot already holds: harmless, as
    // replay skips records at or below the snapshot's resourceVersion.
    if (this.fd !== undefined) {
      ftruncateSync(this.fd, 0);
    } else {
      const logFd = openSync(join(this.dir, LOG), 'a');
      ftruncateSync(logFd, 0);
      closeSync(logFd);
    }
    this.recordsSinceSnapshot = 0;
  }
}

function countObjects(store: ObjectStore): number {
  let n = 0;
  for (const key of store.storageKeys()) n += store.count(key);
  return n;
}
