// A worker thread of `vigil validate` (see parallel.ts): checks the batches of files it is posted and posts back
// each batch's part of the report.
import { parentPort, workerData } from 'node:worker_threads';
import { type ValidationPart, validateFilesPart, type WorkerSetup } from './index.js';
import type { WorkerReply, WorkerRequest } from './parallel.js';

const port = parentPort;
if (!port) throw new Error('controller/src/validate/worker.js runs only as a worker thread');
const setup = workerData as WorkerSetup;

port.on('message', ({ batch, files }: WorkerRequest) => {
  let reply: WorkerReply<ValidationPart>;
  try {
    reply = { batch, part: validateFilesPart(files, setup) };
  } catch (err) {
    reply = { batch, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
});
