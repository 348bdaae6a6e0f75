import { describe, expect, it } from 'vitest';
import { flushMicrotasks, ManualClock } from './clock.js';
import { type Disposition, runWorkers, WorkQueue } from './work-queue.js';

const fastRetries = { qps: 1_000, burst: 1_000 };

describe('WorkQueue', () => {
  it('processes a key queued twice once', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
  });

  it('runs a key re-added while processing again afterwards, never twice at once', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add('k');
    const key = (await q.get())!;
    q.add('k');
    q.add('k');
    expect(q.depth).toBe(0);
    q.done(key);
    expect(q.depth).toBe(1);
    expect(await q.get()).toBe('k');
    q.done('k');
    expect(q.depth).toBe(0);
  });

  it('addAfter queues when the delay is over, keeping the earlier of two times', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter('k', 1_000);
    q.addAfter('k', 500);
    q.addAfter('k', 2_000);
    await clock.advance(499);
    expect(q.depth).toBe(0);
    await clock.advance(1);
    expect(q.depth).toBe(1);
    await clock.advance(5_000);
    expect(q.depth).toBe(1);
  });

  it('backs off a failing key exponentially up to the cap, and forget resets it', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, backoff: { initialMs: 1_000, maxMs: 8_000 }, retryRate: fastRetries });
    const delays = Array.from({ length: 6 }, () => q.addRateLimited('k'));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(1_000);
  });

  it('the global retry rate adds to per-key backoff when many keys fail at once', () => {
    const q = new WorkQueue({
      clock: new ManualClock(),
      backoff: { initialMs: 10, maxMs: 1_000 },
      retryRate: { qps: 10, burst: 2 },
    });
    expect(['a', 'b', 'c', 'd'].map((k) => q.addRateLimited(k))).toEqual([10, 10, 100, 200]);
  });

  it('shutdown stops handing out keys and resolves when in-flight work is done', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add('a');
    q.add('b');
    const a = (await q.get())!;
    let drained = false;
    const shutdown = q.shutdown().then(() => {
      drained = true;
    });
    expect(await q.get()).toBeUndefined();
    await flushMicrotasks();
    expect(drained).toBe(false);
    q.add('c');
    expect(q.depth).toBe(0);
    q.done(a);
    await shutdown;
    expect(drained).toBe(true);
  });

  it('wakes a waiting get when a key arrives', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    const next = q.get();
    q.add('late');
    expect(await next).toBe('late');
  });
});

describe('runWorkers', () => {
  it('retries a key that always fails with growing delays while other keys go through', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, backoff: { initialMs: 1_000, maxMs: 4_000 }, retryRate: fastRetries });
    const attempts: number[] = [];
    const handled: string[] = [];
    const handle = async (key: string): Promise<Disposition> => {
      handled.push(key);
      if (key === 'bad') {
        attempts.push(clock.now());
        throw new Error('always fails');
      }
      return { action: 'forget' };
    };
    const workers = runWorkers(q, 1, handle);
    q.add('bad');
    await clock.advance(0);
    // A failing key waiting for its retry does not hold the others up.
    q.add('good-1');
    q.add('good-2');
    await clock.advance(0);
    expect(handled).toEqual(['bad', 'good-1', 'good-2']);
    await clock.advance(20_000);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps).toEqual([1_000, 2_000, 4_000, 4_000, 4_000, 4_000]);
    await q.shutdown();
    await workers;
  });

  it('honours requeueAfter and forget', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    const runs: number[] = [];
    const workers = runWorkers(q, 2, async () => {
      runs.push(clock.now());
      return runs.length < 3 ? { action: 'requeueAfter', ms: 30_000 } : { action: 'forget' };
    });
    const t0 = clock.now();
    q.add('poll');
    await clock.advance(120_000);
    expect(runs.map((t) => t - t0)).toEqual([0, 30_000, 60_000]);
    await q.shutdown();
    await workers;
  });

  it('never runs one key on two workers at once', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    let running = 0;
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const workers = runWorkers(q, 4, async () => {
      running++;
      most = Math.max(most, running);
      await gate;
      running--;
      return { action: 'forget' };
    });
    q.add('k');
    await flushMicrotasks();
    q.add('k');
    q.add('k');
    await flushMicrotasks();
    expect(most).toBe(1);
    release();
    await flushMicrotasks();
    await flushMicrotasks();
    expect(most).toBe(1);
    await q.shutdown();
    await workers;
  });
});
