import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { withEngine } from './data/engine.js';
import {
  inSpan,
  markSpan,
  objectSpanAttributes,
  startTracing,
  type Tracing,
  tracesEndpoint,
} from './tracing.js';

interface Received {
  path: string;
  contentType: string;
  body: {
    resourceSpans: {
      resource: { attributes: { key: string; value: { stringValue?: string } }[] };
      scopeSpans: {
        spans: {
          name: string;
          spanId: string;
          parentSpanId?: string;
          status?: { code?: number; message?: string };
          attributes: { key: string; value: Record<string, unknown> }[];
        }[];
      }[];
    }[];
  };
}

/** An OTLP/HTTP collector's traces endpoint: keeps every export request it is sent. */
async function collector(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: String(req.headers['content-type']),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, server };
}

let tracing: Tracing | undefined;
let server: Server | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

describe('traces', () => {
  it('are off by default: no endpoint, no provider, and a span is only the work it wraps', async () => {
    expect(tracesEndpoint({})).toBeUndefined();
    expect(await startTracing({})).toBeUndefined();
    await expect(inSpan('reconcile UseCase', {}, async () => 42)).resolves.toBe(42);
    await expect(
      inSpan('reconcile UseCase', {}, async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
  });

  it('take their endpoint from the standard OpenTelemetry variables, and can be switched off', () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      tracesEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/v1/traces',
      }),
    ).toBe('http://traces:4318/v1/traces');
    expect(
      tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
    expect(
      tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined();
  });

  it('are exported over OTLP/HTTP, children under their parent, a failure marked as an error', async () => {
    const c = await collector();
    server = c.server;
    tracing = await startTracing({ endpoint: `${c.url}/v1/traces`, serviceName: 'vigil-test' });
    expect(tracing).toBeDefined();
    await inSpan(
      'reconcile Promotion',
      { 'vigil.promotion': 'care-management/readmission-production-2-0-0' },
      async () => {
        markSpan('create Promotion', { 'vigil.stage': 'production' });
        await inSpan(
          'GitHub GET /repos/{owner}/{repo}/pulls/{pull_number}',
          { 'github.pull_number': 7 },
          async () => {},
        );
        await inSpan('GitHub POST /repos/{owner}/{repo}/check-runs', {}, async () => {
          throw new Error('GitHub rate limit in force');
        }).catch(() => undefined);
      },
    );
    await tracing!.flush();

    expect(c.received.length).toBeGreaterThan(0);
    expect(c.received.every((r) => r.path === '/v1/traces')).toBe(true);
    const resource = c.received[0]!.body.resourceSpans[0]!.resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'vigil-test' } });
    const spans = c.received.flatMap((r) =>
      r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
    );
    expect(spans.map((s) => s.name).sort()).toEqual([
      'GitHub GET /repos/{owner}/{repo}/pulls/{pull_number}',
      'GitHub POST /repos/{owner}/{repo}/check-runs',
      'create Promotion',
      'reconcile Promotion',
    ]);
    const parent = spans.find((s) => s.name === 'reconcile Promotion')!;
    expect(parent.parentSpanId ?? '').toBe('');
    for (const child of spans.filter((s) => s !== parent)) expect(child.parentSpanId).toBe(parent.spanId);
    const failed = spans.find((s) => s.name.startsWith('GitHub POST'))!;
    // OTLP's STATUS_CODE_ERROR is 2.
    expect(failed.status).toEqual({ code: 2, message: 'GitHub rate limit in force' });
    expect(spans.find((s) => s.name.startsWith('GitHub GET'))!.status?.code ?? 0).toBe(0);
  });
});

describe('a reconcile span names its object', () => {
  it('a Promotion: the promotion, its use case and its pull request', () => {
    expect(
      objectSpanAttributes('Promotion', {
        metadata: { namespace: 'care-management', name: 'readmission-production-2-0-0', generation: 3 },
        spec: { useCase: 'readmission-risk' },
        status: { pullRequest: { number: 12, url: 'https://github.com/org/deploy/pull/12' } },
      }),
    ).toEqual({
      'vigil.kind': 'Promotion',
      'vigil.name': 'readmission-production-2-0-0',
      'k8s.namespace.name': 'care-management',
      'vigil.generation': 3,
      'vigil.promotion': 'care-management/readmission-production-2-0-0',
      'vigil.use_case': 'care-management/readmission-risk',
      'vigil.pull_request': 12,
      'vigil.pull_request.url': 'https://github.com/org/deploy/pull/12',
    });
  });

  it('a UseCase: itself as the use case; nothing from its spec', () => {
    expect(
      objectSpanAttributes('UseCase', {
        metadata: { namespace: 'care-management', name: 'readmission-risk' },
        spec: { intendedUse: 'free text that must not reach a span' },
      }),
    ).toEqual({
      'vigil.kind': 'UseCase',
      'vigil.name': 'readmission-risk',
      'k8s.namespace.name': 'care-management',
      'vigil.use_case': 'care-management/readmission-risk',
    });
  });
});

describe('a data query', () => {
  it('is a span naming the engine and the rows returned, and nothing of the statement or the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-trace-'));
    try {
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'data', 'feed.csv'), 'payer,amount\nacme,10\nzenith,20\nacme,30\n');
      const exporter = new InMemorySpanExporter();
      tracing = await startTracing({ exporter, simple: true });
      const rows = await withEngine(dir, async (engine) => {
        await engine.register('feed', 'data/feed.csv');
        return engine.query(
          "SELECT payer, sum(amount) AS total FROM feed WHERE payer = 'acme' GROUP BY payer",
        );
      });
      expect(rows).toHaveLength(1);
      const spans = exporter.getFinishedSpans().filter((s) => s.name === 'sql query');
      expect(spans).toHaveLength(1);
      expect(spans[0]!.attributes).toEqual({ 'db.system.name': 'duckdb', 'db.response.returned_rows': 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
