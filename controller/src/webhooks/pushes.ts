// Who pushed which commit, as GitHub's `push` webhooks tell it. Commit metadata is written by whoever pushes, so
// it cannot say who put a commit on a branch; the push event can (its sender is the account that pushed). The
// sign-off gate asks the ledger for the pushers of each commit of a pull request, so that nobody who pushed a
// commit of the change can approve it. Bounded: the oldest pushes are forgotten first. With a file, the pushes
// survive a restart: each is appended as one JSON line, and the file is rewritten (to a temporary file, then
// renamed over it) once it holds twice the pushes remembered.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PushRecord {
  /** `org/repo`. */
  repository: string;
  /** The full ref, `refs/heads/branch`. */
  ref: string;
  /** The ref's commit before the push (all zeros when the push created it). */
  before: string;
  /** The ref's commit after the push. */
  after: string;
  /** The commits the push brought onto the ref (GitHub lists at most 2048; `after` counts as pushed too). */
  commits: string[];
  /** The login of the account that pushed. */
  pusher: string;
  /** A force push: `before` is no longer on the ref. */
  forced: boolean;
  /** When it was recorded (ISO 8601). */
  at: string;
}

export interface PushLedgerOptions {
  /** Pushes remembered at most; the oldest are forgotten first (default 10,000). */
  capacity?: number;
  /** Keeps the pushes across restarts: one JSON line each. Its directory is created if need be. */
  file?: string;
  /** Told when the file cannot be read or written: the ledger goes on in memory. */
  onStoreError?: (error: unknown) => void;
}

const NO_COMMIT = /^0+$/;

export class PushLedger {
  readonly capacity: number;
  /** Pushes in the order recorded, by a sequence number that only grows. */
  private readonly pushes = new Map<number, PushRecord>();
  /** `repository@sha` (lower case) -> the pushes that brought that commit. */
  private readonly bySha = new Map<string, Set<number>>();
  private next = 0;
  /** Lines in the file since it was last rewritten. */
  private stored = 0;

  constructor(private readonly options: PushLedgerOptions = {}) {
    this.capacity = options.capacity ?? 10_000;
    if (options.file) this.load(options.file);
  }

  record(push: PushRecord): void {
    this.remember(push);
    this.persist(push);
  }

  /** The logins that pushed `sha` to `repository`, first pusher first, each once; empty when none is known. */
  pushersOf(repository: string, sha: string): string[] {
    const seqs = this.bySha.get(shaKey(repository, sha));
    if (!seqs) return [];
    const logins = new Set<string>();
    for (const seq of [...seqs].sort((a, b) => a - b)) {
      const push = this.pushes.get(seq);
      if (push) logins.add(push.pusher);
    }
    return [...logins];
  }

  get size(): number {
    return this.pushes.size;
  }

  private remember(push: PushRecord): void {
    const seq = this.next++;
    this.pushes.set(seq, push);
    for (const sha of shasOf(push)) {
      const key = shaKey(push.repository, sha);
      let seqs = this.bySha.get(key);
      if (!seqs) {
        seqs = new Set();
        this.bySha.set(key, seqs);
      }
      seqs.add(seq);
    }
    while (this.pushes.size > this.capacity) {
      const [oldest, record] = this.pushes.entries().next().value as [number, PushRecord];
      this.pushes.delete(oldest);
      for (const sha of shasOf(record)) {
        const key = shaKey(record.repository, sha);
        const seqs = this.bySha.get(key);
        seqs?.delete(oldest);
        if (seqs?.size === 0) this.bySha.delete(key);
      }
    }
  }

  private load(file: string): void {
    if (!existsSync(file)) return;
    try {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const line of lines) {
        // A line cut short by a crash mid-append is skipped, not trusted.
        const push = line.trim() === '' ? undefined : parseRecord(line);
        if (push) {
          this.remember(push);
          this.stored += 1;
        }
      }
    } catch (error) {
      this.options.onStoreError?.(error);
    }
  }

  private persist(push: PushRecord): void {
    const file = this.options.file;
    if (!file) return;
    try {
      mkdirSync(dirname(file), { recursive: true });
      if (this.stored + 1 > 2 * this.capacity) {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, [...this.pushes.values()].map((p) => `${JSON.stringify(p)}\n`).join(''), {
          mode: 0o600,
        });
        renameSync(tmp, file);
        this.stored = this.pushes.size;
      } else {
        appendFileSync(file, `${JSON.stringify(push)}\n`, { mode: 0o600 });
        this.stored += 1;
      }
    } catch (error) {
      this.options.onStoreError?.(error);
    }
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The push a `push` webhook reports, or undefined when it names no repository, ref, commits or pusher. The
 * pusher is the delivery's sender (the account that pushed); GitHub's `pusher` (name and e-mail as git shows
 * them) stands in only when a payload has no sender. A deleted ref brings no commit: undefined.
 */
export function pushInPayload(payload: Json, at: Date): PushRecord | undefined {
  const repository = str(obj(payload.repository)?.full_name);
  const ref = str(payload.ref);
  const before = str(payload.before);
  const after = str(payload.after);
  const pusherField = obj(payload.pusher);
  const pusher = str(obj(payload.sender)?.login) ?? str(pusherField?.username) ?? str(pusherField?.name);
  if (!repository || !ref || !before || !after || !pusher || NO_COMMIT.test(after)) return undefined;
  const commits = Array.isArray(payload.commits)
    ? payload.commits.flatMap((c) => {
        const id = str(obj(c)?.id);
        return id ? [id] : [];
      })
    : [];
  return {
    repository,
    ref,
    before,
    after,
    commits,
    pusher,
    forced: payload.forced === true,
    at: at.toISOString(),
  };
}

/** The commits a push put on its ref: those listed, and the new head (a ref moved onto an existing commit). */
function shasOf(push: PushRecord): string[] {
  const shas = new Set(push.commits);
  if (!NO_COMMIT.test(push.after)) shas.add(push.after);
  return [...shas];
}

const shaKey = (repository: string, sha: string) => `${repository.toLowerCase()}@${sha.toLowerCase()}`;

function parseRecord(line: string): PushRecord | undefined {
  try {
    const p = obj(JSON.parse(line));
    if (
      !p ||
      !str(p.repository) ||
      !str(p.ref) ||
      !str(p.before) ||
      !str(p.after) ||
      !str(p.pusher) ||
      !str(p.at) ||
      typeof p.forced !== 'boolean' ||
      !Array.isArray(p.commits) ||
      !p.commits.every((c) => typeof c === 'string')
    ) {
      return undefined;
    }
    return p as unknown as PushRecord;
  } catch {
    return undefined;
  }
}
