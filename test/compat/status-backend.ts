// A backend that answers every request with one fixed status (ingress-nginx's proxy-next-upstream tests
// need an endpoint answering 502 beside a healthy one). In process: it only writes a status line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Backend } from '../support/processes.js';

export function startStatusBackend(name: string, status: number): Promise<Backend & { hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => res.writeHead(status, { 'x-served-by': name }).end(`${status} from ${name}`));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ name, port: (server.address() as AddressInfo).port, pid: process.pid, hits: () => hits, stop: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}
