// What the controller's own endpoints (the GitHub webhook receiver, the admission webhook) share: a request
// handler whose unexpected failure is logged and answered 500 without detail, short timeouts so a slow sender
// holds no socket for long, and a listen that resolves once the port is bound (or rejects, e.g. EADDRINUSE).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** A request listener that turns a failure of `handle` into a logged 500 with no detail. */
export function guardedHandler(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  log: Logger | undefined,
  what: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log?.error({ err: error }, `${what} failed`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  };
}

/** Sets the short timeouts, binds `port` on `host` (0.0.0.0 when absent) and says where it listens. */
export async function listenGuarded(server: Server, port: number, host = '0.0.0.0'): Promise<AddressInfo> {
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
