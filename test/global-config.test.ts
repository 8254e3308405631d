import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { KubeObject } from '../src/store/types.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

function ingress(name: string, host: string, service: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }],
    },
  } as KubeObject;
}

function configMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'ingress' }, data } as KubeObject;
}

const CONFIGMAP = { configMap: 'ingress/portico' };

/** A raw HTTP/1.1 request preceded by a PROXY protocol v1 header, as a TCP load balancer sends it. */
function proxyProtocolRequest(port: number, proxyLine: string, host: string): Promise<{ status: number; echo: { headers: Record<string, string> } }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('connect', () => sock.write(`${proxyLine}\r\nGET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.setTimeout(10000, () => sock.destroy(new Error('timed out')));
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
      try {
        resolve({ status, echo: JSON.parse(body) });
      } catch {
        reject(new Error(`no echo reply: ${text}`));
      }
    });
  });
}

describe('the global ConfigMap through a real nginx', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const start = async (data: Record<string, string> | undefined): Promise<Scenario> => {
    const b = backends.by;
    const objects = [INGRESS_CLASS, ...serviceFor('default', 'app', [b.app!]), ...serviceFor('default', 'pool', [b.p1!, b.p2!]), ingress('app', 'app.test', 'app'), ingress('pool', 'pool.test', 'pool')];
    const s = await startScenario(data ? [...objects, configMap(data)] : objects, data ? CONFIGMAP : {});
    scenarios.push(s);
    return s;
  };

  beforeAll(async () => {
    backends = await startBackends('app', 'p1', 'p2');
  });

  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backends?.stopAll();
  });

  test('by default the client cannot choose its address: its X-Forwarded-For and X-Real-IP are replaced', async () => {
    const s = await start(undefined);
    const r = await s.get('app.test', '/', { headers: { 'X-Forwarded-For': '203.0.113.66', 'X-Real-IP': '203.0.113.66' } });
    expect(r.echo?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(r.echo?.headers['x-real-ip']).toBe('127.0.0.1');
  });

  test('use-forwarded-headers trusts X-Forwarded-For only from proxy-real-ip-cidr', async () => {
    const s = await start({ 'use-forwarded-headers': 'true', 'proxy-real-ip-cidr': '127.0.0.1/32, 10.0.0.0/8' });
    const headers = { 'X-Forwarded-For': '198.51.100.9' };
    const trusted = await s.get('app.test', '/', { headers, localAddress: '127.0.0.1' });
    expect([trusted.echo?.headers['x-real-ip'], trusted.echo?.headers['x-forwarded-for']]).toEqual(['198.51.100.9', '198.51.100.9']);
    const untrusted = await s.get('app.test', '/', { headers, localAddress: '127.0.0.2' });
    expect([untrusted.echo?.headers['x-real-ip'], untrusted.echo?.headers['x-forwarded-for']]).toEqual(['127.0.0.2', '127.0.0.2']);
    // real_ip_recursive: the right-most untrusted address of a chain is the client.
    const chain = await s.get('app.test', '/', { headers: { 'X-Forwarded-For': '203.0.113.1, 198.51.100.9, 10.1.2.3' }, localAddress: '127.0.0.1' });
    expect(chain.echo?.headers['x-real-ip']).toBe('198.51.100.9');
  });

  test('compute-full-forwarded-for appends the peer to the incoming X-Forwarded-For', async () => {
    const s = await start({ 'use-forwarded-headers': 'true', 'compute-full-forwarded-for': 'true', 'proxy-real-ip-cidr': '127.0.0.1' });
    const r = await s.get('app.test', '/', { headers: { 'X-Forwarded-For': '198.51.100.9' }, localAddress: '127.0.0.1' });
    expect(r.echo?.headers['x-forwarded-for']).toBe('198.51.100.9, 127.0.0.1');
    expect(r.echo?.headers['x-real-ip']).toBe('198.51.100.9');
    const bare = await s.get('app.test', '/', { localAddress: '127.0.0.2' });
    expect(bare.echo?.headers['x-forwarded-for']).toBe('127.0.0.2');
  });

  test('enable-real-ip with forwarded-for-header reads the client address from another header', async () => {
    const s = await start({ 'enable-real-ip': 'true', 'forwarded-for-header': 'X-Client-IP', 'proxy-real-ip-cidr': '127.0.0.1/32' });
    const trusted = await s.get('app.test', '/', { headers: { 'X-Client-IP': '192.0.2.44', 'X-Forwarded-For': '203.0.113.5' }, localAddress: '127.0.0.1' });
    expect([trusted.echo?.headers['x-real-ip'], trusted.echo?.headers['x-forwarded-for']]).toEqual(['192.0.2.44', '192.0.2.44']);
    const untrusted = await s.get('app.test', '/', { headers: { 'X-Client-IP': '192.0.2.44' }, localAddress: '127.0.0.2' });
    expect(untrusted.echo?.headers['x-real-ip']).toBe('127.0.0.2');
  });

  test('use-proxy-protocol: the client address comes from a PROXY protocol v1 header', async () => {
    const s = await start({ 'use-proxy-protocol': 'true', 'proxy-real-ip-cidr': '127.0.0.0/8' });
    expect(s.conf).toMatch(/listen \d+ default_server proxy_protocol;/);
    const r = await proxyProtocolRequest(s.httpPort, `PROXY TCP4 203.0.113.7 127.0.0.1 40000 ${s.httpPort}`, 'app.test');
    expect(r.status).toBe(200);
    expect(r.echo.headers['x-real-ip']).toBe('203.0.113.7');
    expect(r.echo.headers['x-forwarded-for']).toBe('203.0.113.7');
    // A plain request without the PROXY header is refused by nginx (the connection closes without an answer).
    await expect(s.get('app.test', '/')).rejects.toThrow();
  });

  test('log-format-upstream writes the access log in the given format', async () => {
    const s = await start({ 'log-format-upstream': '$remote_addr|"$request"|$status|$upstream_addr|$host' });
    const r = await s.get('app.test', '/logged?x=1');
    expect(r.status).toBe(200);
    const log = join(s.stateDir, 'logs', 'access.log');
    const line = `127.0.0.1|"GET /logged?x=1 HTTP/1.1"|200|127.0.0.1:${backends.by.app!.port}|app.test`;
    await waitFor(async () => (await readFile(log, 'utf8')).includes(line), 5000, 'the access log line');
    expect(s.model.warnings.filter((w) => w.object.startsWith('ConfigMap'))).toEqual([]);
  });

  test('an invalid log-format-upstream or an ewma load-balance is a warning and the defaults stay', async () => {
    const s = await start({ 'log-format-upstream': '$remote_addr $proxy_upstream_name', 'load-balance': 'ewma' });
    const messages = s.model.warnings.map((w) => w.message);
    expect(messages).toContainEqual(expect.stringMatching(/^log-format-upstream: \$proxy_upstream_name is an ingress-nginx \(Lua\) variable/));
    expect(messages).toContainEqual(expect.stringMatching(/^load-balance: ewma needs the Lua balancer/));
    expect(s.conf).not.toContain('log_format');
    expect((await s.get('app.test', '/')).status).toBe(200);
  });

  test('global load-balance least_conn sends new requests away from the busy endpoint', async () => {
    // One worker: least_conn counts connections per worker unless the upstream has a shared zone.
    const s = await start({ 'load-balance': 'least_conn', 'worker-processes': '1' });
    expect(s.conf).toMatch(/upstream default\.pool\.80 \{\n\s+least_conn;/);
    const slow = s.get('pool.test', '/slow', { headers: { 'x-echo-delay-ms': '1500' } });
    await new Promise((r) => setTimeout(r, 300));
    const quick: string[] = [];
    for (let i = 0; i < 6; i++) quick.push((await s.get('pool.test', '/quick')).echo!.service);
    const busy = (await slow).echo!.service;
    expect(new Set(quick)).toEqual(new Set([busy === 'p1' ? 'p2' : 'p1']));
  });
});
