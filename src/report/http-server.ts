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
  /** The address the server listens on (0.0.0.0, 127.0.0.1...). */
  address: string;
  close(): Promise<void>;
}

type Send = (status: number, body: string, type?: string) => void;

/** A GET/HEAD-only server; `route` answers a path, or returns false for a 404. */
async function startServer(port: number, host: string, route: (path: string, send: Send) => boolean): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    const send: Send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(405, 'method not allowed\n');
    }
    if (!route((req.url ?? '/').split('?')[0]!, send)) send(404, 'not found\n');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    port: bound.port,
    address: bound.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `/healthz`, `/readyz` and `/metrics` on `--metrics-port`, on every interface by default: kubelet probes
 * and Prometheus reach it from outside the pod. Nothing a tenant wrote is served here.
 */
export async function startStatusServer(opts: { port: number; host?: string; metrics: ControllerMetrics; probe: Omit<StatusProbe, 'configInForce'> }): Promise<StatusServer> {
  const { metrics, probe } = opts;
  return startServer(opts.port, opts.host ?? '0.0.0.0', (path, send) => {
    switch (path) {
      case '/healthz': {
        const h = probe.healthy();
        if (h.ok) send(200, 'ok\n');
        else send(503, `unhealthy: ${h.reason ?? 'unknown'}\n`);
        return true;
      }
      case '/readyz':
        if (probe.ready()) send(200, 'ready\n');
        else send(503, 'not ready: no config applied yet\n');
        return true;
      case '/metrics':
        metrics.text().then(
          (text) => send(200, text, metrics.registry.contentType),
          (err: Error) => send(500, `metrics: ${err.message}\n`),
        );
        return true;
      case '/debug/config':
        send(404, 'not found: /debug/config is served on the debug server (--debug-address, --debug-port)\n');
        return true;
      default:
        return false;
    }
  });
}

/**
 * `/debug/config` (the nginx.conf in force: every tenant's hosts, paths and backends) on `--debug-port`,
 * bound to `--debug-address`, loopback unless the operator opens it: in the host-network overlay every
 * interface is the node's.
 */
export async function startDebugServer(opts: { port: number; host: string; probe: Pick<StatusProbe, 'configInForce'> }): Promise<StatusServer> {
  return startServer(opts.port, opts.host, (path, send) => {
    if (path !== '/debug/config') return false;
    const conf = opts.probe.configInForce();
    if (conf === undefined) send(404, 'no config applied yet\n');
    else send(200, conf);
    return true;
  });
}
