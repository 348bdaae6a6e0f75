// Shares a run's files out among worker threads, each checking a batch at a time, and gathers their parts back in
// file order so that the report is the one a single thread would have made.
import { Worker } from 'node:worker_threads';

/** The worker thread's script: worker.js beside this module (both compiled into dist/ by the build). */
export const WORKER_SCRIPT = new URL('./worker.js', import.meta.url);

/** A batch of files for a worker thread to check; `batch` numbers it in file order. */
export interface WorkerRequest {
  batch: number;
  files: string[];
}

/** A worker thread's answer for one batch: its part, or the error checking it threw. */
export type WorkerReply<Part> = { batch: number; part: Part } | { batch: number; error: string };

/** At most this many files in a batch: enough to make posting cheap, few enough to keep the threads evenly busy. */
const MAX_BATCH = 64;
/** Batches handed to each thread ahead of time, so none waits for this thread between batches. */
const IN_FLIGHT = 2;

/**
 * Checks `files` (already in report order) in `workers` worker threads started from `script` with `setup` as their
 * workerData, and returns their parts in file order. Every worker thread is terminated before this settles; one
 * that fails, or stops before the work is done, rejects it with an error saying so.
 */
export async function validateInWorkers<Part>(
  files: readonly string[],
  workers: number,
  setup: unknown,
  options: { script?: URL } = {},
): Promise<Part[]> {
  const { script = WORKER_SCRIPT } = options;
  const size = Math.max(1, Math.min(MAX_BATCH, Math.ceil(files.length / (workers * 8))));
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += size) batches.push(files.slice(i, i + size));
  const parts: Part[] = new Array(batches.length);
  if (batches.length === 0) return parts;

  const started: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const give = (worker: Worker) => {
        if (next >= batches.length) return;
        const request: WorkerRequest = { batch: next, files: batches[next]! };
        next++;
        worker.postMessage(request);
      };
      const finished = () => {
        done++;
        if (done < batches.length) return false;
        settled = true;
        resolve();
        return true;
      };
      for (let w = 0; w < Math.min(workers, batches.length) && !settled; w++) {
        const worker = new Worker(script, { workerData: setup });
        started.push(worker);
        worker.on('message', (reply: WorkerReply<Part>) => {
          if (settled) return;
          if ('error' in reply) {
            fail(new Error(`a validation worker thread failed on batch ${reply.batch}: ${reply.error}`));
            return;
          }
          parts[reply.batch] = reply.part;
          if (!finished()) give(worker);
        });
        worker.on('error', (err) =>
          fail(new Error(`a validation worker thread failed: ${err.stack ?? err.message}`, { cause: err })),
        );
        worker.on('messageerror', (err) =>
          fail(new Error(`a validation worker thread sent a message that could not be read: ${err.message}`)),
        );
        worker.on('exit', (code) =>
          fail(new Error(`a validation worker thread stopped (exit code ${code}) before its work was done`)),
        );
        for (let i = 0; i < IN_FLIGHT; i++) give(worker);
      }
    });
  } finally {
    await Promise.all(started.map((worker) => worker.terminate()));
  }
  return parts;
}
