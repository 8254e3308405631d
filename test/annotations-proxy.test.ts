import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/store/types.js';
import { makeCertificate } from './support/certs.js';
import { freePort, startEchoBackend, type Backend } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';
const NS = 'proxy';

function ingress(name: string, host: string, paths: Array<[string, string, number?]>, annotations: Record<string, string> = {}, created = '2026-01-01T00:00:00Z'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, annotations, creationTimestamp: created },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: paths.map(([path, service, port]) => ({ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: port ?? 80 } } } })) } }],
    },
  } as KubeObject;
}

/** The echo backend in its TLS mode (test/support/echo-server.mjs NAME PORT HOST CERT KEY). */
async function startTlsEcho(name: string): Promise<Backend> {
  const cert = await makeCertificate('backend.internal');
  const dir = await mkdtemp(join(tmpdir(), 'portico-tls-echo-'));
  await writeFile(join(dir, 'cert.pem'), cert.cert);
  await writeFile(join(dir, 'key.pem'), cert.key);
  return startEchoBackend(name, '127.0.0.1', { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
}

/** A location block of the rendered config, by its nginx path. */
function locationBlock(conf: string, host: string, path: string): string {
  const server = conf.split(/\n    server \{/).find((b) => b.includes(`server_name "${host}"`)) ?? '';
  const start = server.indexOf(`"${path}" {`);
  return start < 0 ? '' : server.slice(start, server.indexOf('\n        }', start));
}

describe('proxy annotations through real nginx', () => {
  let backends: Backends;
  let tlsEcho: Backend;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app', 'other', 'errors', 'pods', 'vip', 'fallback');
    tlsEcho = await startTlsEcho('secure-api');
    const deadPort = await freePort();
    const vip = serviceFor(NS, 'vip', [backends.by.pods!], { port: backends.by.vip!.port });
    (vip[0] as { spec: { clusterIP?: string } }).spec.clusterIP = '127.0.0.1';
    const flaky = serviceFor(NS, 'flaky', [{ name: 'dead', port: deadPort, pid: 0, stop: async () => undefined }, backends.by.app!]);
    s = await startScenario(
      [
        INGRESS_CLASS,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'ops' }, data: { 'worker-processes': '1' } } as KubeObject,
        ...serviceFor(NS, 'app', [backends.by.app!]),
        ...serviceFor(NS, 'other', [backends.by.other!]),
        ...serviceFor(NS, 'errors', [backends.by.errors!]),
        ...serviceFor(NS, 'secure-api', [tlsEcho]),
        ...serviceFor(NS, 'grpc-api', [backends.by.app!]),
        ...vip,
        ...flaky,
        // A Service that exists but has no endpoints.
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: NS }, spec: { ports: [{ port: 80 }] } } as KubeObject,
        ingress('https', 'https.test', [['/', 'secure-api']], { [`${P}/backend-protocol`]: 'HTTPS' }),
        // Its own Service: nginx's keepalive pool is per upstream, not per SNI name, so a shared upstream could reuse
        // a connection opened with another name.
        ...serviceFor(NS, 'secure-api-vhost', [tlsEcho]),
        ingress('https-vhost', 'https2.test', [['/', 'secure-api-vhost']], { [`${P}/backend-protocol`]: 'HTTPS', [`${P}/upstream-vhost`]: 'api.internal:8443' }),
        ingress('grpc', 'grpc.test', [['/', 'grpc-api']], { [`${P}/backend-protocol`]: 'GRPC' }),
        ingress('grpcs', 'grpcs.test', [['/', 'grpc-api']], { [`${P}/backend-protocol`]: 'grpcs' }),
        ingress('small', 'body.test', [['/small', 'app']], { [`${P}/proxy-body-size`]: '1k' }),
        ingress('default-body', 'body.test', [['/default', 'app']], {}, '2026-02-01T00:00:00Z'),
        ingress('slow', 'timeout.test', [['/short', 'app']], { [`${P}/proxy-read-timeout`]: '1', [`${P}/proxy-connect-timeout`]: '2s', [`${P}/proxy-send-timeout`]: '3' }),
        ingress('patient', 'timeout.test', [['/long', 'app']], {}, '2026-02-01T00:00:00Z'),
        ingress('buffers', 'buffers.test', [['/', 'app']], {
          [`${P}/proxy-buffering`]: 'on',
          [`${P}/proxy-buffer-size`]: '16k',
          [`${P}/proxy-request-buffering`]: 'off',
          [`${P}/proxy-next-upstream-tries`]: '0',
        }),
        ingress('retry', 'retry.test', [['/', 'flaky']]),
        ingress('noretry', 'noretry.test', [['/', 'flaky']], { [`${P}/proxy-next-upstream`]: 'off' }),
        ingress('vhost', 'vhost.test', [['/api', 'app']], { [`${P}/upstream-vhost`]: 'internal.example:8080', [`${P}/x-forwarded-prefix`]: '/api' }),
        ingress('alias', 'main.test', [['/', 'app']], { [`${P}/server-alias`]: 'alias.test, *.wild.test, other.test' }),
        ingress('other-host', 'other.test', [['/', 'other']]),
        ingress('errs', 'errors.test', [['/', 'app'], ['/empty', 'empty']], { [`${P}/custom-http-errors`]: '404,503', [`${P}/default-backend`]: 'errors' }),
        ingress('no-errs', 'errors.test', [['/plain', 'app']], {}, '2026-02-01T00:00:00Z'),
        ingress('svc-upstream', 'vip.test', [['/', 'vip', backends.by.vip!.port]], { [`${P}/service-upstream`]: 'true' }),
        ingress('endpoints', 'pods.test', [['/', 'vip', backends.by.vip!.port]]),
        ingress('bad-protocol', 'bad1.test', [['/', 'app']], { [`${P}/backend-protocol`]: 'FTP' }),
        ingress('bad-size', 'bad2.test', [['/', 'app']], { [`${P}/proxy-body-size`]: '8m; return 200' }),
        ingress('bad-vhost', 'bad3.test', [['/', 'app']], { [`${P}/upstream-vhost`]: 'a.test"; evil' }),
        ingress('bad-alias', 'bad4.test', [['/', 'app']], { [`${P}/server-alias`]: 'ok.test,~^.*$' }),
        ingress('bad-errors', 'bad5.test', [['/', 'app']], { [`${P}/custom-http-errors`]: '200' }),
        // A malformed proxy-* value falls back to the default (test/annotations-fallback.test.ts); one with
        // characters that could reach nginx.conf rejects the Ingress.
        ingress('bad-next', 'bad6.test', [['/', 'app']], { [`${P}/proxy-next-upstream`]: 'error http_999;' }),
        ingress('bad-timeout', 'bad7.test', [['/', 'app']], { [`${P}/proxy-read-timeout`]: '1m;' }),
        ingress('bad-default-backend', 'bad8.test', [['/', 'app']], { [`${P}/default-backend`]: 'other.ns' }),
      ],
      { configMap: 'ops/portico' },
    );
  });

  afterAll(async () => {
    await s?.stop();
    await tlsEcho?.stop();
    await backends?.stopAll();
  });

  test('backend-protocol HTTPS: nginx speaks TLS to the backend, with SNI', async () => {
    const r = await s.get('https.test', '/secure/path?x=1');
    expect(r.status).toBe(200);
    const echo = r.echo as unknown as { service: string; tls?: boolean; servername?: string | null; path: string; host: string };
    expect([echo.service, echo.tls, echo.path, echo.host]).toEqual(['secure-api', true, '/secure/path?x=1', 'https.test']);
    expect(echo.servername).toBe('https.test');
    expect(locationBlock(s.conf, 'https.test', '/')).toMatch(/proxy_ssl_server_name on;\n\s*proxy_ssl_name \$host;\n\s*proxy_pass https:\/\//);
  });

  test('backend-protocol HTTPS with upstream-vhost: that name is the Host header and (without port) the SNI name', async () => {
    const echo = (await s.get('https2.test', '/')).echo as unknown as { tls?: boolean; servername?: string; host: string };
    expect([echo.tls, echo.servername, echo.host]).toEqual([true, 'api.internal', 'api.internal:8443']);
  });

  test('backend-protocol GRPC and GRPCS render grpc_pass (checked by nginx -t)', () => {
    expect(locationBlock(s.conf, 'grpc.test', '/')).toMatch(/grpc_pass grpc:\/\/proxy\.grpc-api\.80;/);
    expect(locationBlock(s.conf, 'grpcs.test', '/')).toMatch(/grpc_pass grpcs:\/\/proxy\.grpc-api\.80;/);
    expect(locationBlock(s.conf, 'grpc.test', '/')).not.toContain('proxy_pass');
  });

  test('proxy-body-size: a larger body is refused with 413, a smaller one is proxied', async () => {
    const big = await s.get('body.test', '/small', { method: 'POST', body: 'x'.repeat(2000) });
    expect(big.status).toBe(413);
    const ok = await s.get('body.test', '/small', { method: 'POST', body: 'y'.repeat(500) });
    expect([ok.status, ok.echo?.body.length]).toEqual([200, 500]);
    // Without the annotation ingress-nginx's 1m default applies.
    expect((await s.get('body.test', '/default', { method: 'POST', body: 'z'.repeat(2000) })).status).toBe(200);
    expect((await s.get('body.test', '/default', { method: 'POST', body: 'z'.repeat(1024 * 1024 + 10) })).status).toBe(413);
  });

  test('proxy-read-timeout: a backend slower than the timeout gives 504; the default waits', async () => {
    const slow = await s.get('timeout.test', '/short', { headers: { 'x-echo-delay-ms': '2500' } });
    expect(slow.status).toBe(504);
    const patient = await s.get('timeout.test', '/long', { headers: { 'x-echo-delay-ms': '1500' } });
    expect([patient.status, patient.echo?.service]).toEqual([200, 'app']);
    const block = locationBlock(s.conf, 'timeout.test', '/short/');
    expect(block).toContain('proxy_connect_timeout 2s;');
    expect(block).toContain('proxy_send_timeout 3s;');
    expect(block).toContain('proxy_read_timeout 1s;');
  });

  test('proxy-buffering, proxy-buffer-size, proxy-request-buffering, proxy-next-upstream-tries are written to the location', () => {
    const block = locationBlock(s.conf, 'buffers.test', '/');
    expect(block).toContain('proxy_buffering on;');
    expect(block).toContain('proxy_buffer_size 16k;');
    expect(block).toContain('proxy_buffers 4 16k;');
    expect(block).toContain('proxy_request_buffering off;');
    expect(block).toContain('proxy_next_upstream_tries 0;');
    // ingress-nginx's defaults in http{}.
    expect(s.conf).toMatch(/^ {4}proxy_buffering off;$/m);
    expect(s.conf).toMatch(/^ {4}proxy_connect_timeout 5s;$/m);
  });

  test('proxy-next-upstream: by default a dead endpoint is retried on the next; "off" returns the error', async () => {
    const retried: number[] = [];
    for (let i = 0; i < 6; i++) retried.push((await s.get('retry.test', '/')).status);
    expect(retried).toEqual([200, 200, 200, 200, 200, 200]);
    const plain: number[] = [];
    for (let i = 0; i < 6; i++) plain.push((await s.get('noretry.test', '/')).status);
    expect(plain).toContain(502);
    expect(plain).toContain(200);
  });

  test('upstream-vhost sets the Host header sent upstream; x-forwarded-prefix adds X-Forwarded-Prefix', async () => {
    const r = await s.get('vhost.test', '/api/users');
    expect(r.echo?.host).toBe('internal.example:8080');
    expect(r.echo?.headers['x-forwarded-host']).toBe('vhost.test');
    expect(r.echo?.headers['x-forwarded-prefix']).toBe('/api');
    const plain = await s.get('main.test', '/');
    expect(plain.echo?.host).toBe('main.test');
    expect(plain.echo?.headers['x-forwarded-prefix']).toBeUndefined();
  });

  test('server-alias: extra names reach the host; a name another Ingress defines is not taken', async () => {
    expect((await s.get('alias.test', '/x')).echo?.service).toBe('app');
    expect((await s.get('deep.wild.test', '/x')).echo?.service).toBe('app');
    expect((await s.get('a.b.wild.test', '/x')).status).toBe(404);
    expect((await s.get('other.test', '/x')).echo?.service).toBe('other');
    expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/server-alias other\.test on host main\.test ignored: host other\.test is defined by an Ingress rule/));
  });

  test('custom-http-errors: an intercepted status is rendered by the default-backend Service with ingress-nginx headers', async () => {
    const r = await s.get('errors.test', '/missing?x=1', { headers: { 'x-echo-status': '404', accept: 'application/json' } });
    expect(r.status).toBe(404);
    expect(r.echo?.service).toBe('errors');
    // As in ingress-nginx, the error backend is asked for / (the query string stays).
    expect(r.echo?.path).toBe('/?x=1');
    expect(r.echo?.headers['x-code']).toBe('404');
    expect(r.echo?.headers['x-format']).toBe('application/json');
    expect(r.echo?.headers['x-original-uri']).toBe('/missing?x=1');
    expect(r.echo?.headers['x-namespace']).toBe(NS);
    expect(r.echo?.headers['x-ingress-name']).toBe('errs');
    // A status not in the list passes through from the app.
    const teapot = await s.get('errors.test', '/t', { headers: { 'x-echo-status': '418' } });
    expect([teapot.status, teapot.echo?.service]).toEqual([418, 'app']);
    // Another Ingress on the same host without the annotation is not affected.
    const plain = await s.get('errors.test', '/plain', { headers: { 'x-echo-status': '404' } });
    expect([plain.status, plain.echo?.service]).toEqual([404, 'app']);
  });

  test('default-backend also serves a path whose Service has no endpoints', async () => {
    const r = await s.get('errors.test', '/empty/page');
    expect([r.status, r.echo?.service, r.echo?.path]).toEqual([200, 'errors', '/empty/page']);
  });

  test('service-upstream proxies to the Service cluster IP and port instead of the endpoints', async () => {
    expect((await s.get('vip.test', '/')).echo?.service).toBe('vip');
    expect((await s.get('pods.test', '/')).echo?.service).toBe('pods');
    expect(s.conf).toContain(`server 127.0.0.1:${backends.by.vip!.port} max_fails=0;`);
  });

  test.each([
    ['bad-protocol', 'backend-protocol', /HTTP, HTTPS, GRPC, GRPCS/],
    ['bad-size', 'proxy-body-size', /size/],
    ['bad-vhost', 'upstream-vhost', /DNS name|not allowed/],
    ['bad-alias', 'server-alias', /not allowed|DNS name/],
    ['bad-errors', 'custom-http-errors', /400 to 599/],
    ['bad-next', 'proxy-next-upstream', /http_999/],
    ['bad-timeout', 'proxy-read-timeout', /seconds/],
    ['bad-default-backend', 'default-backend', /Service name/],
  ])('invalid %s: the whole Ingress is rejected, naming %s', async (name, key, reason) => {
    const rej = s.model.rejections.find((r) => r.ingress.name === name);
    expect(rej?.whole).toBe(true);
    expect(rej?.field).toBe(`metadata.annotations[${P}/${key}]`);
    expect(rej?.reason).toMatch(reason);
    expect(s.conf).not.toContain('evil');
    expect(s.conf).not.toContain('return 200');
  });
});

describe('proxy and error keys in the global ConfigMap', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app', 'fallback');
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor(NS, 'app', [backends.by.app!]),
        ...serviceFor(NS, 'fallback', [backends.by.fallback!]),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'ops' }, data: { 'proxy-body-size': '100', 'custom-http-errors': '503', 'proxy-read-timeout': '1' } } as KubeObject,
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'cluster-default', namespace: NS, creationTimestamp: '2025-01-01T00:00:00Z' },
          spec: { ingressClassName: 'portico', defaultBackend: { service: { name: 'fallback', port: { number: 80 } } } },
        } as KubeObject,
        ingress('web', 'web.test', [['/', 'app']]),
        ingress('big', 'big.test', [['/', 'app']], { [`${P}/proxy-body-size`]: '0' }),
      ],
      { configMap: 'ops/portico' },
    );
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('proxy-body-size from the ConfigMap applies to every location; the annotation overrides it (0 = unlimited)', async () => {
    expect((await s.get('web.test', '/', { method: 'POST', body: 'x'.repeat(200) })).status).toBe(413);
    expect((await s.get('web.test', '/', { method: 'POST', body: 'x'.repeat(50) })).status).toBe(200);
    expect((await s.get('big.test', '/', { method: 'POST', body: 'x'.repeat(5000) })).status).toBe(200);
  });

  test('proxy-read-timeout from the ConfigMap', async () => {
    expect((await s.get('web.test', '/', { headers: { 'x-echo-delay-ms': '2000' } })).status).toBe(504);
  });

  test('global custom-http-errors are rendered by the cluster default backend', async () => {
    const r = await s.get('web.test', '/gone', { headers: { 'x-echo-status': '503' } });
    expect([r.status, r.echo?.service, r.echo?.headers['x-code'], r.echo?.headers['x-original-uri']]).toEqual([503, 'fallback', '503', '/gone']);
    expect(s.model.warnings).toEqual([]);
  });
});

/** A gRPC-shaped h2c backend (no gRPC library): answers every call with one message and grpc-status 0 trailers. */
function startH2cBackend(): Promise<{ port: number; seen: Array<Record<string, string>>; stop(): Promise<void> }> {
  const seen: Array<Record<string, string>> = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      seen.push({ path: String(headers[':path']), authority: String(headers[':authority'] ?? headers.host ?? ''), contentType: String(headers['content-type']), bytes: String(Buffer.concat(chunks).length) });
      const message = Buffer.from('pong');
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
      stream.end(frame);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ port: (server.address() as AddressInfo).port, seen, stop: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

describe('backend-protocol GRPC end to end (HTTP/2 over TLS to nginx, h2c to the backend)', () => {
  let backend: Awaited<ReturnType<typeof startH2cBackend>>;
  let s: Scenario;

  beforeAll(async () => {
    backend = await startH2cBackend();
    const svc = serviceFor(NS, 'grpc', [{ name: 'grpc', port: backend.port, pid: 0, stop: async () => undefined }]);
    s = await startScenario([INGRESS_CLASS, ...svc, ingress('grpc', 'grpc.test', [['/', 'grpc']], { [`${P}/backend-protocol`]: 'GRPC' })]);
  });

  afterAll(async () => {
    await s?.stop();
    await backend?.stop();
  });

  test('a unary call reaches the backend with its method path and returns the message and grpc-status trailers', async () => {
    const client = http2.connect(`https://127.0.0.1:${s.httpsPort}`, { servername: 'grpc.test', rejectUnauthorized: false });
    try {
      const result = await new Promise<{ status: number; body: Buffer; trailers: Record<string, unknown> }>((resolve, reject) => {
        const req = client.request({ ':method': 'POST', ':path': '/echo.v1.Echo/Say', ':authority': 'grpc.test', 'content-type': 'application/grpc', te: 'trailers' });
        let status = 0;
        let trailers: Record<string, unknown> = {};
        const chunks: Buffer[] = [];
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('trailers', (t) => (trailers = t));
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve({ status, body: Buffer.concat(chunks), trailers }));
        req.on('error', reject);
        req.end(Buffer.from([0, 0, 0, 0, 4, ...Buffer.from('ping')]));
      });
      expect(result.status).toBe(200);
      expect(result.body.subarray(5).toString()).toBe('pong');
      expect(result.trailers['grpc-status']).toBe('0');
      expect(backend.seen).toEqual([{ path: '/echo.v1.Echo/Say', authority: 'grpc.test', contentType: 'application/grpc', bytes: '9' }]);
    } finally {
      client.close();
    }
  });
});
