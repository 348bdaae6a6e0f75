// Each log line is one JSON object with each key once. pino writes a child logger's bindings and the call's own
// fields side by side, so a key in both appears twice, and a log shipper keeps one of the two at random.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ClusterClient } from '../controller/src/runtime/cluster-client.js';
import { Manager } from '../controller/src/runtime/manager.js';
import { eventually, startTestCluster, type TestCluster, USECASE } from './runtime/cluster-fixture.js';
import { type FaultProxy, startFaultProxy } from './runtime/fault-proxy.js';

let tc: TestCluster;
let proxy: FaultProxy;

beforeAll(async () => {
  tc = await startTestCluster();
  proxy = await startFaultProxy(tc.cluster.url);
});
afterAll(async () => {
  await proxy?.close();
  await tc?.stop();
});

/** The keys a JSON log line repeats; yaml refuses a duplicate key where JSON.parse keeps the last silently. */
function repeatedKeys(line: string): string[] {
  try {
    parse(line, { uniqueKeys: true });
    return [];
  } catch (error) {
    return [String((error as Error).message).split('\n')[0]!];
  }
}

describe('log lines', () => {
  it("an informer's lines under the manager name their resource once, when a watch expires and when it fails", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const manager = new Manager({
      client: new ClusterClient(proxy.kubeConfig, { rate: { qps: 500, burst: 500 } }),
      leaderElection: false,
      probes: false,
      informerBackoff: { initialMs: 50, maxMs: 100 },
      logger: pino({ level: 'info' }, sink),
    });
    const informer = manager.informerFor(USECASE);
    informer.start();
    await informer.waitForSync();

    tc.cluster.expireWatches();
    await eventually(() =>
      expect(lines.some((l) => l.includes('watch expired (410); relisting'))).toBe(true),
    );
    proxy.failWatches = true;
    proxy.dropWatches();
    await eventually(() =>
      expect(lines.some((l) => l.includes('watch failed; restarting after backoff'))).toBe(true),
    );
    proxy.failWatches = false;
    await informer.stop();

    const informerLines = lines.filter((l) => l.includes('"component":"informer"'));
    expect(informerLines.length).toBeGreaterThanOrEqual(2);
    expect(informerLines.flatMap(repeatedKeys)).toEqual([]);
    for (const line of informerLines) expect(line.match(/"resource":/g)).toHaveLength(1);
  });
});
