// Replays kubernetes/ingress-nginx test/e2e/settings/keep-alive.go ("keep-alive keep-alive-requests") as
// real requests through Portico's render pipeline and a real nginx. ingress-nginx asserts directives of its
// nginx.conf; here: the client connection stays open (or closes with keep-alive 0), and a backend that
// records its peers' ports shows whether nginx reused one upstream connection.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { INGRESS_CLASS, serviceFor, startScenario, type Scenario } from '../support/scenario.js';
import type { Backend } from '../support/processes.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'keep-alive';

/** A backend that answers 200 and remembers the source port of each request's connection. */
function startPortRecorder(): Promise<Backend & { ports: number[] }> {
  const ports: number[] = [];
  const server = http.createServer((req, res) => {
    ports.push(req.socket.remotePort ?? 0);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'x-served-by': 'recorder' }).end('ok'));
  });
  server.keepAliveTimeout = 65000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ name: 'recorder', port: (server.address() as AddressInfo).port, pid: process.pid, ports, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) }),
    );
  });
}

/** Three requests on one client connection; the Connection header of each answer. */
async function onOneConnection(port: number): Promise<Array<string | undefined>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seen: Array<string | undefined> = [];
  try {
    for (let i = 0; i < 3; i++) {
      seen.push(
        await new Promise<string | undefined>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: '/', headers: { host: HOST }, agent }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.headers.connection));
            })
            .on('error', reject);
        }),
      );
    }
  } finally {
    agent.destroy();
  }
  return seen;
}

describe('ingress-nginx settings/keep-alive.go', () => {
  let backend: Backend & { ports: number[] };
  const scenarios: Scenario[] = [];
  // One worker, so that every request meets the same upstream keepalive cache (it is per worker).
  const start = async (data: Record<string, string>) => {
    const s = await startScenario([INGRESS_CLASS, ...serviceFor('default', 'echo', [backend]), singleIngress(HOST, HOST, 'echo'), configMap({ 'worker-processes': '1', ...data })], CONFIGMAP_REF);
    scenarios.push(s);
    return s;
  };

  beforeAll(async () => {
    backend = await startPortRecorder();
  });
  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backend?.stop();
  });

  // Context("Check the keep alive") It("should set keepalive_timeout")
  test('should set keepalive_timeout', async () => {
    const s = await start({ 'keep-alive': '140' });
    expect(await onOneConnection(s.httpPort)).toEqual(['keep-alive', 'keep-alive', 'keep-alive']);
    expect(s.conf).toContain('keepalive_timeout 140s;');
    expect(s.model.warnings).toEqual([]);
    // keep-alive 0 turns client keep-alive off: nginx closes after each answer.
    const off = await start({ 'keep-alive': '0' });
    expect(await onOneConnection(off.httpPort)).toEqual(['close', 'close', 'close']);
  });

  // Context("Check the keep alive") It("should set keepalive_requests")
  test('should set keepalive_requests', async () => {
    const s = await start({ 'keep-alive-requests': '200' });
    expect(s.conf).toContain('keepalive_requests 200;');
    expect(s.model.warnings).toEqual([]);
    expect(await onOneConnection(s.httpPort)).toEqual(['keep-alive', 'keep-alive', 'keep-alive']);
    // With 2, nginx closes the client connection after its second answer.
    const two = await start({ 'keep-alive-requests': '2' });
    expect(await onOneConnection(two.httpPort)).toEqual(['keep-alive', 'close', 'keep-alive']);
  });

  // Context("Check the upstream keep alive") It("should set keepalive connection to upstream server")
  test('should set keepalive connection to upstream server', async () => {
    const s = await start({ 'upstream-keepalive-connections': '128' });
    backend.ports.length = 0;
    for (let i = 0; i < 4; i++) expect((await s.get(HOST, '/')).status).toBe(200);
    // Four client connections, one upstream connection kept and reused.
    expect(new Set(backend.ports).size).toBe(1);
    expect(s.conf).toMatch(/upstream [^{]+\{[^}]*keepalive 128;/);
    // Without upstream keepalive each request opens its own upstream connection.
    const none = await start({ 'upstream-keepalive-connections': '0' });
    backend.ports.length = 0;
    for (let i = 0; i < 4; i++) expect((await none.get(HOST, '/')).status).toBe(200);
    expect(new Set(backend.ports).size).toBe(4);
  });

  // Context("Check the upstream keep alive") It("should set keep alive connection timeout to upstream server")
  test('should set keep alive connection timeout to upstream server', async () => {
    const s = await start({ 'upstream-keepalive-timeout': '120' });
    backend.ports.length = 0;
    for (let i = 0; i < 3; i++) expect((await s.get(HOST, '/')).status).toBe(200);
    expect(new Set(backend.ports).size).toBe(1);
    expect(s.conf).toMatch(/upstream [^{]+\{[^}]*keepalive_timeout 120s;/);
    expect(s.model.warnings).toEqual([]);
  });

  // Context("Check the upstream keep alive") It("should set keepalive time to upstream server")
  test('should set keepalive time to upstream server', async () => {
    const s = await start({ 'upstream-keepalive-time': '75s' });
    expect(s.conf).toMatch(/upstream [^{]+\{[^}]*keepalive_time 75s;/);
    expect(s.model.warnings).toEqual([]);
    // With 1s, the connection used past its second is closed after that request: the next one opens another.
    const short = await start({ 'upstream-keepalive-time': '1s' });
    backend.ports.length = 0;
    expect((await short.get(HOST, '/')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await short.get(HOST, '/')).status).toBe(200);
    expect((await short.get(HOST, '/')).status).toBe(200);
    expect(new Set(backend.ports).size).toBe(2);
  });

  // Context("Check the upstream keep alive") It("should set the request count to upstream server through one keep alive connection")
  test('should set the request count to upstream server through one keep alive connection', async () => {
    const s = await start({ 'upstream-keepalive-requests': '200' });
    expect(s.conf).toMatch(/upstream [^{]+\{[^}]*keepalive_requests 200;/);
    expect(s.model.warnings).toEqual([]);
    // With 2, nginx closes each upstream connection after its second request: 6 requests, 3 connections.
    const two = await start({ 'upstream-keepalive-requests': '2' });
    backend.ports.length = 0;
    for (let i = 0; i < 6; i++) expect((await two.get(HOST, '/')).status).toBe(200);
    expect(new Set(backend.ports).size).toBe(3);
  });
});
