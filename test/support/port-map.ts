import net from 'node:net';

/**
 * A TCP port that forwards every connection to another address and port, as a Kubernetes Service (port 80 →
 * targetPort 8080) or a NodePort (30080 → 80) does: the client connects to one port, nginx accepts on another,
 * and the Host header the client sends names the port it connected to. Loopback or a test's own namespace only.
 */
export interface PortMap {
  /** The port clients connect to. */
  port: number;
  stop(): Promise<void>;
}

export async function startPortMap(target: { host?: string; port: number }, listen: { host?: string; port?: number } = {}): Promise<PortMap> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host ?? '127.0.0.1', port: target.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
