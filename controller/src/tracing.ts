// Traces: reconciles, forge calls, data queries and webhook deliveries are OpenTelemetry spans, so an operator
// can follow one promotion from its departure to its merge (every span of it carries `vigil.promotion`, and the
// forge calls a reconcile makes are its children). Off by default: until `startTracing` registers a provider, the
// API's tracer is a no-op and a span costs nothing. Spans carry names, counts and identifiers only: never a value
// from the data, a token or a request body.
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

export { SpanKind };

const TRACER_NAME = 'vigil';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `fn` inside a span named `name`, as a child of the span in force; the span ends when `fn` settles, with
 * status error (and the error's class and message, never its stack) when it throws.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
      span.setAttribute('error.type', error instanceof Error ? error.constructor.name : typeof error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Adds attributes to the span in force, if there is one (a no-op while tracing is off). */
export function annotateSpan(attributes: Attributes): void {
  trace.getSpan(context.active())?.setAttributes(attributes);
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Where traces go, from the standard OpenTelemetry variables; undefined (off) when none is set or disabled. */
export function tracesEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.toLowerCase() === 'none') return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

export interface TracingOptions {
  /** The OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces. */
  endpoint?: string;
  /** Instead of OTLP: where spans go (a test's in-memory exporter). */
  exporter?: SpanExporter;
  /** service.name; default `vigil-controller`. */
  serviceName?: string;
  /** Export each span as it ends rather than in batches (tests). */
  simple?: boolean;
}

export interface Tracing {
  /** Sends what is buffered. */
  flush(): Promise<void>;
  /** Sends what is buffered and stops; spans after this are not recorded. */
  shutdown(): Promise<void>;
}

/**
 * Registers a tracer provider that exports spans over OTLP/HTTP (or to `exporter`). Returns undefined, and
 * registers nothing, when neither an endpoint nor an exporter is given: tracing stays off. The SDK is loaded
 * only here, so a command that does not trace does not pay for loading it.
 */
export async function startTracing(options: TracingOptions = {}): Promise<Tracing | undefined> {
  if (!options.exporter && !options.endpoint) return undefined;
  const sdk = await import('@opentelemetry/sdk-trace-node');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  let exporter = options.exporter;
  if (!exporter) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    exporter = new OTLPTraceExporter({ url: options.endpoint });
  }
  const processor = options.simple
    ? new sdk.SimpleSpanProcessor(exporter)
    : new sdk.BatchSpanProcessor(exporter);
  const provider = new sdk.NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'vigil-controller' }),
    spanProcessors: [processor],
  });
  provider.register();
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

interface ObjectLike {
  metadata: { namespace?: string; name?: string; generation?: number };
  spec?: unknown;
  status?: unknown;
}

/**
 * What a reconcile's span says about its object: kind, namespace, name and generation; for a Promotion also
 * `vigil.promotion` and its pull request, and `vigil.use_case` for the use case it or a UseCase names, so one
 * promotion's spans can be found together from departure to merge.
 */
export function objectSpanAttributes(kind: string, obj: ObjectLike): Attributes {
  const { namespace, name, generation } = obj.metadata;
  const at = (n: string | undefined) => (namespace ? `${namespace}/${n}` : String(n));
  const attributes: Attributes = { 'vigil.kind': kind, 'vigil.name': name ?? '' };
  if (namespace) attributes['k8s.namespace.name'] = namespace;
  if (generation !== undefined) attributes['vigil.generation'] = generation;
  if (kind === 'UseCase') attributes['vigil.use_case'] = at(name);
  if (kind === 'Promotion') {
    attributes['vigil.promotion'] = at(name);
    const useCase = (obj.spec as { useCase?: unknown } | undefined)?.useCase;
    if (typeof useCase === 'string') attributes['vigil.use_case'] = at(useCase);
    const pr = (obj.status as { pullRequest?: { number?: unknown; url?: unknown } } | undefined)?.pullRequest;
    if (typeof pr?.number === 'number') attributes['vigil.pull_request'] = pr.number;
    if (typeof pr?.url === 'string') attributes['vigil.pull_request.url'] = pr.url;
  }
  return attributes;
}

/** A span that marks a moment (a departure, a Promotion created) inside the span in force, ended at once. */
export function markSpan(name: string, attributes: Attributes): void {
  tracer().startSpan(name, { attributes }).end();
}
