// The HTTP face of the local forge: authentication by token, injected faults, the primary rate limit and
// its headers, ETags with free 304s, GitHub's JSON errors, the call log, and the contract check of every
// request and response against GitHub's OpenAPI description.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { refuseJwtOutsideApp, verifyAppJwt } from './apps.js';
import type { CallLog } from './call-log.js';
import { badCredentials, DOCS, ForgeError, notFound, requiresAuthentication } from './errors.js';
import type { Fault, Faults } from './faults.js';
import type { OpenApiCheck, Violation } from './openapi-check.js';
import { RateLimits } from './rate-limit.js';
import type { Reply, Router } from './routes.js';
import type { ForgeState, UserRecord } from './state.js';

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const RATE_LIMITS_DOC = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

export interface ForgeServerParts {
  state: ForgeState;
  limits: RateLimits;
  faults: Faults;
  calls: CallLog;
  check?: OpenApiCheck;
  violations: Violation[];
  logger?: Logger;
}

/** The token in `Authorization: token X` or `Authorization: Bearer X`. */
export function tokenFrom(header: string | undefined): string | undefined {
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** Whether an If-None-Match header names this ETag (weak comparison, as GitHub does). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

function faultReply(fault: Fault, user: UserRecord, limits: RateLimits, requestId: string): Reply {
  if (fault.kind === 'secondary-rate-limit') {
    return {
      status: 403,
      headers: { 'retry-after': String(fault.retryAfterSeconds ?? 60) },
      body: {
        message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
        documentation_url: `${RATE_LIMITS_DOC}#about-secondary-rate-limits`,
        status: '403',
      },
    };
  }
  if (fault.kind === 'primary-rate-limit') {
    limits.set({ user: user.login, remaining: 0, resetInSeconds: fault.resetInSeconds ?? 60 }, []);
    return primaryLimitReply(user, requestId);
  }
  const status = fault.status ?? 502;
  return {
    status,
    body: {
      message: status === 502 ? 'Server Error' : 'Service Unavailable',
      documentation_url: DOCS,
      status: String(status),
    },
  };
}

function primaryLimitReply(user: UserRecord, requestId: string): Reply {
  return {
    status: 403,
    body: {
      message: `API rate limit exceeded for user ID ${user.id}. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
      documentation_url: `${RATE_LIMITS_DOC}#about-primary-rate-limits`,
      status: '403',
    },
  };
}

export class ForgeHttpServer {
  private readonly server: Server;
  private router?: Router;
  private base = '';

  constructor(private readonly parts: ForgeServerParts) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        this.parts.logger?.error({ err }, 'local forge: request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: 'Server Error', documentation_url: DOCS, status: '500' }));
      });
    });
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.base = `http://${host}:${address.port}`;
    return this.base;
  }

  /** Routes are built after listening, because every URL in a representation names the forge's own address. */
  serve(router: Router): void {
    this.router = router;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { state, limits, faults, calls, check, violations } = this.parts;
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.base);
    const path = url.pathname;
    const requestId = randomUUID().slice(0, 18).toUpperCase();
    const ifNoneMatch = req.headers['if-none-match'];
    const raw = await readBody(req);
    const match = this.router?.match(method, path) ?? { pathKnown: false };
    const template = match.route?.template;

    const token = tokenFrom(req.headers.authorization);
    let user = token ? state.userByToken(token) : undefined;
    // Not a token: perhaps a GitHub App's JWT (three dot-separated parts), which opens only /app endpoints.
    let jwtError: string | undefined;
    if (token && !user && token.split('.').length === 3) {
      const proof = verifyAppJwt(token, (id) => state.appById(id), state.nowSeconds());
      if ('app' in proof) user = state.jwtPrincipal(proof.app);
      else jwtError = proof.error;
    }

    let body: unknown;
    let reply: Reply;
    let fault: Fault | undefined;
    let free = match.route?.free ?? false;
    try {
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ForgeError(400, 'Problems parsing JSON', DOCS);
        }
      }
      if (!user) {
        if (jwtError) throw new ForgeError(401, jwtError, DOCS);
        throw token ? badCredentials() : requiresAuthentication();
      }
      refuseJwtOutsideApp(template, user.viaJwt);
      fault = faults.take({ method, template, path, user: user.login });
      if (fault) {
        free = fault.kind === 'primary-rate-limit';
        reply = faultReply(fault, user, limits, requestId);
      } else if (!free && limits.exhausted(user.login)) {
        free = true;
        reply = primaryLimitReply(user, requestId);
      } else if (!match.route) {
        if (check) {
          const documented = check.findTemplate(method, path);
          violations.push({
            operation: documented ? String(check.operation(method, documented)?.operationId) : '?',
            method,
            path,
            where: 'route',
            message: documented
              ? `${method} ${documented} is a GitHub operation the local forge does not serve`
              : `${method} ${path} is not a GitHub operation`,
          });
        }
        throw notFound();
      } else {
        const params = match.params;
        if (check) {
          violations.push(
            ...check.checkRequest({
              method,
              template: match.route.template,
              path,
              params,
              query: url.searchParams,
              body,
            }),
          );
        }
        reply = await match.route.handle({
          method,
          template: match.route.template,
          params,
          query: url.searchParams,
          body,
          user,
          url,
        });
      }
    } catch (err) {
      if (!(err instanceof ForgeError)) throw err;
      reply = { status: err.status, body: err.body(), headers: err.headers };
      // An unauthenticated request has no budget to spend.
      if (!user) free = true;
    }

    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': requestId,
      'x-content-type-options': 'nosniff',
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      ...reply.headers,
    };
    let status = reply.status;
    let payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    if (method === 'GET' && status === 200) {
      // Per user: what a user sees can differ (GET /user), so one user's ETag must not answer another's.
      const etag = `W/"${createHash('sha256')
        .update(user?.login ?? '')
        .update('\0')
        .update(payload)
        .digest('hex')
        .slice(0, 40)}"`;
      headers.etag = etag;
      headers['cache-control'] = 'private, max-age=60, s-maxage=60';
      if (etagMatches(typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined, etag)) {
        status = 304;
        payload = '';
        free = true;
      }
    }
    if (user) {
      const rate = free ? limits.peek(user.login) : limits.spend(user.login);
      Object.assign(headers, RateLimits.headers(rate));
      if (fault?.kind === 'primary-rate-limit' || (status === 403 && rate.remaining === 0)) {
        headers['x-ratelimit-remaining'] = '0';
      }
    }
    if (status === 304 || status === 204) {
      delete headers['content-type'];
      payload = '';
    }
    res.writeHead(status, headers);
    res.end(payload);

    if (check && match.route && !fault) {
      violations.push(
        ...check.checkResponse({ method, template: match.route.template, path, status, body: reply.body }),
      );
    }
    calls.record({
      method,
      path,
      route: template,
      status,
      user: user?.login,
      conditional: typeof ifNoneMatch === 'string',
      notModified: status === 304,
      fault: fault?.kind,
      at: state.clock.now(),
    });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ForgeError(413, 'Request body too large', DOCS));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
