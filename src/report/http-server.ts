import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControllerMetrics } from './metrics.js';

/** What the status server asks the controller. */
export interface StatusProbe {
  /** The controller loop and nginx are both alive. */
  healthy(): { ok: boolean; reason?: string };
  /** The first config has been applied. */
  ready(): boolean;
  /** The nginx.conf in force, or undefined before the first one. */
  configInForce(): string | undefined;
}

export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

/** `/healthz`, `/readyz`, `/metrics` and `/debug/config` on `--metrics-port`. Only GET and HEAD. */
export async function startStatusServer(opts: { port: number; host?: string; metrics: ControllerMetrics; probe: StatusProbe }): Promise<StatusServer> {
  const { metrics, probe } = opts;
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(405, 'method not allowed\n');
    }
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/healthz': {
        const h = probe.healthy();
        return h.ok ? send(200, 'ok\n') : send(503, `unhealthy: ${h.reason ?? 'unknown'}\n`);
      }
      case '/readyz':
        return probe.ready() ? send(200, 'ready\n') : send(503, 'not ready: no config applied yet\n');
      case '/metrics':
        metrics.text().then(
          (text) => send(200, text, metrics.registry.contentType),
          (err: Error) => send(500, `metrics: ${err.message}\n`),
        );
        return;
      case '/debug/config': {
        const conf = probe.configInForce();
        return conf === undefined ? send(404, 'no config applied yet\n') : send(200, conf);
      }
      default:
        return send(404, 'not found\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
