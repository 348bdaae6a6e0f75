// The validating admission webhook: an HTTPS endpoint the Kubernetes API server POSTs AdmissionReview v1 requests
// to, answered with reviewRequest's decision. It holds no state and acts on nothing, so it needs no leader: every
// replica serves it. Objects are never logged, only who asked about what and the answer.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Logger } from 'pino';
import type { PhiScanOptions } from '../phi/index.js';
import { guardedHandler, listenGuarded } from '../runtime/http-listener.js';
import { ADMISSION_API_VERSION, admissionReview, reviewRequest } from './review.js';

export interface AdmissionServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Default `/validate`. */
  path?: string;
  /** PEM certificate (chain) the API server is to trust through the webhook's caBundle. */
  cert: string | Buffer;
  /** PEM private key of `cert`. */
  key: string | Buffer;
  phi?: PhiScanOptions;
  logger?: Logger;
  /** Bodies over this are refused with 413 (default 3 MiB, a little over the API server's own request cap). */
  maxBodyBytes?: number;
}

export interface AdmissionServer {
  /** e.g. https://127.0.0.1:PORT/validate */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const DEFAULT_ADMISSION_PATH = '/validate';

/** Reads the certificate and key files, saying which one is missing in one line. */
export function readServingCertificate(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new Error(`cannot read the admission webhook's ${what} at ${file} (${code})`);
    }
  };
  return { cert: read(certFile, 'certificate'), key: read(keyFile, 'private key') };
}

export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const path = options.path ?? DEFAULT_ADMISSION_PATH;
  const maxBody = options.maxBodyBytes ?? 3 * 1024 * 1024;
  const log = options.logger?.child({ component: 'admission' });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://admission');
    if (url.pathname !== path) return text(res, 404, 'not found');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return text(res, 405, 'only POST is accepted');
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return text(res, 415, 'the body must be application/json');
    }
    const body = await readBody(req, maxBody);
    if (body === undefined) return text(res, 413, `the body is over ${maxBody} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return text(res, 400, 'the body is not JSON');
    }
    const review = admissionReview.safeParse(parsed);
    if (!review.success) {
      const issue = review.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'the body';
      return text(
        res,
        400,
        `expected an ${ADMISSION_API_VERSION} AdmissionReview; ${where}: ${issue?.message}`,
      );
    }
    const request = review.data.request;
    const response = reviewRequest(request, options.phi);
    log?.info(
      {
        uid: request.uid,
        kind: request.kind.kind,
        namespace: request.namespace,
        name: request.name ?? (request.object?.metadata as { name?: string } | undefined)?.name,
        operation: request.operation,
        allowed: response.allowed,
        dryRun: request.dryRun ?? false,
      },
      response.allowed ? 'admission allowed' : 'admission refused',
    );
    const answer = JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  };

  const server: Server = createServer(
    { cert: options.cert, key: options.key, minVersion: 'TLSv1.2' },
    guardedHandler(handle, log, 'admission request'),
  );
  const address = await listenGuarded(server, options.port, options.host);
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  const url = `https://${address.family === 'IPv6' && host !== '127.0.0.1' ? `[${host}]` : host}:${address.port}${path}`;
  log?.info({ url }, 'admission webhook listening');
  return {
    url,
    port: address.port,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function text(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

/** The raw bytes, or undefined as soon as they pass the cap. */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
