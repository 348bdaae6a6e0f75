// The worker pool on its own, with stand-in worker scripts: parts come back in file order, and a worker that
// fails or stops makes the run fail with an error saying so, never hang, with every worker thread terminated.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { validateInWorkers } from './parallel.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in worker: `answer` is the body of its message handler, given `batch`, `files` and `port`. While alive
 * it counts up in the shared buffer it is given, so a test can tell whether it was terminated.
 */
function script(name: string, answer: string): URL {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `import { parentPort, workerData, threadId } from 'node:worker_threads';
const beats = new Int32Array(workerData.beats);
setInterval(() => Atomics.add(beats, 0, 1), 5);
const port = parentPort;
port.on('message', ({ batch, files }) => { ${answer} });
`,
  );
  return pathToFileURL(file);
}

const files = Array.from({ length: 500 }, (_, i) => `f${String(i).padStart(3, '0')}.yaml`);
const heartbeat = () => ({ beats: new SharedArrayBuffer(4) });

/** Whether any worker thread is still counting a while after the run settled. */
async function stillBeating(setup: { beats: SharedArrayBuffer }): Promise<boolean> {
  const beats = new Int32Array(setup.beats);
  const before = Atomics.load(beats, 0);
  await new Promise((resolve) => setTimeout(resolve, 100));
  return Atomics.load(beats, 0) !== before;
}

describe('validateInWorkers', () => {
  it('returns the parts in file order, whichever thread checked them, and terminates the threads', async () => {
    const echo = script(
      'echo',
      `setTimeout(() => port.postMessage({ batch, part: files }), (batch * 7) % 5);`,
    );
    const setup = heartbeat();
    const parts = await validateInWorkers<string[]>(files, 3, setup, { script: echo });
    expect(parts.flat()).toEqual(files);
    expect(parts.length).toBeGreaterThan(3);
    expect(await stillBeating(setup)).toBe(false);
  });

  it('returns no parts for no files, starting no thread', async () => {
    expect(await validateInWorkers([], 2, {}, { script: new URL('file:///no/such/worker.js') })).toEqual([]);
  });

  it('rejects with the error a worker posts for a batch', async () => {
    const failing = script(
      'failing',
      `port.postMessage(batch === 3 ? { batch, error: 'Error: cannot check f042.yaml' } : { batch, part: files });`,
    );
    const setup = heartbeat();
    await expect(validateInWorkers(files, 2, setup, { script: failing })).rejects.toThrow(
      'a validation worker thread failed on batch 3: Error: cannot check f042.yaml',
    );
    expect(await stillBeating(setup)).toBe(false);
  });

  it('rejects when a worker throws, naming the error', async () => {
    const throwing = script(
      'throwing',
      `if (batch === 5) throw new Error('worker broke'); port.postMessage({ batch, part: files });`,
    );
    const setup = heartbeat();
    await expect(validateInWorkers(files, 2, setup, { script: throwing })).rejects.toThrow(
      /a validation worker thread failed: Error: worker broke/,
    );
    expect(await stillBeating(setup)).toBe(false);
  });

  it('rejects when a worker stops before its work is done, rather than waiting for it', async () => {
    const exiting = script(
      'exiting',
      `if (batch === 2) process.exit(3); port.postMessage({ batch, part: files });`,
    );
    const setup = heartbeat();
    await expect(validateInWorkers(files, 2, setup, { script: exiting })).rejects.toThrow(
      'a validation worker thread stopped (exit code 3) before its work was done',
    );
    expect(await stillBeating(setup)).toBe(false);
  });

  it('rejects when the worker script cannot be loaded', async () => {
    await expect(
      validateInWorkers(files, 2, {}, { script: pathToFileURL(join(dir, 'missing.mjs')) }),
    ).rejects.toThrow(/a validation worker thread failed: .*missing\.mjs/s);
  });
});
