// A proxy in front of the local cluster that can break the connection on purpose: drop open watches, answer
// watches or lists with 500, or cut a client off entirely (a crashed or partitioned replica). It records when
// each watch was attempted, so tests can see the backoff between restarts.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface FaultProxy {
  url: string;
  kubeConfig: KubeConfig;
  /** Answer new watch requests with 500. */
  failWatches: boolean;
  /** Answer list (non-watch GET) requests with 500. */
  failLists: boolean;
  /** Answer everything with 503 and cut open connections: the client is cut off. */
  cutOff: boolean;
  /** Times (ms) watch requests arrived. */
  readonly watchAttempts: number[];
  /** Close every open watch connection (the client sees the stream end abruptly). */
  dropWatches(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const watchSockets = new Set<Socket>();
  const allSockets = new Set<Socket>();
  const state = { failWatches: false, failLists: false, cutOff: false };
  const watchAttempts: number[] = [];
  const fail = (res: ServerResponse, code: number) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code,
        message: 'injected fault',
        reason: 'InternalError',
      }),
    );
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const isWatch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    if (isWatch) watchAttempts.push(Date.now());
    if (state.cutOff) return fail(res, 503);
    if (isWatch && state.failWatches) return fail(res, 500);
    if (!isWatch && req.method === 'GET' && state.failLists) return fail(res, 500);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    if (isWatch) {
      const socket = req.socket;
      watchSockets.add(socket);
      res.on('close', () => {
        watchSockets.delete(socket);
        forward.destroy();
      });
    }
    req.pipe(forward);
  });
  server.on('connection', (s) => {
    allSockets.add(s);
    s.on('close', () => allSockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'proxy', server: url, skipTLSVerify: true }],
    users: [{ name: 'proxy' }],
    contexts: [{ name: 'proxy', cluster: 'proxy', user: 'proxy' }],
    currentContext: 'proxy',
  });
  return {
    url,
    kubeConfig,
    get failWatches() {
      return state.failWatches;
    },
    set failWatches(v: boolean) {
      state.failWatches = v;
    },
    get failLists() {
      return state.failLists;
    },
    set failLists(v: boolean) {
      state.failLists = v;
    },
    get cutOff() {
      return state.cutOff;
    },
    set cutOff(v: boolean) {
      state.cutOff = v;
      if (v) for (const s of allSockets) s.destroy();
    },
    watchAttempts,
    dropWatches() {
      for (const s of watchSockets) s.destroy();
      watchSockets.clear();
    },
    close() {
      for (const s of allSockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
