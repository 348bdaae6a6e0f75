// The HTTP endpoints a kubelet and Prometheus look at: /healthz (the process is alive), /readyz (caches synced
// and not shutting down) and /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeServerOptions {
  port: number;
  host?: string;
  live(): boolean;
  /** Ready, or the reason it is not. */
  ready(): true | string;
  registry: Registry;
}

export class ProbeServer {
  private readonly server: Server;

  constructor(private readonly options: ProbeServerOptions) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
        res.writeHead(code, { 'content-type': type });
        res.end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
      if (path === '/healthz' || path === '/livez') {
        return this.options.live() ? reply(200, 'ok\n') : reply(503, 'not live\n');
      }
      if (path === '/readyz') {
        const ready = this.options.ready();
        return ready === true ? reply(200, 'ok\n') : reply(503, `not ready: ${ready}\n`);
      }
      if (path === '/metrics') {
        this.options.registry.metrics().then(
          (text) => reply(200, text, this.options.registry.contentType),
          (error) => reply(500, `${String(error)}\n`),
        );
        return;
      }
      reply(404, 'not found\n');
    });
  }

  /** Listen; resolves to the base URL (port 0 picks a free one). */
  async listen(): Promise<string> {
    const host = this.options.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
