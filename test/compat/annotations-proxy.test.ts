// Replays kubernetes/ingress-nginx test/e2e/annotations/proxy.go ("proxy-*") as real requests through
// Portico's render pipeline, a real nginx and echo backends. ingress-nginx asserts the text of its
// nginx.conf; each case asserts the behaviour that text implies, with Portico's own location directives
// as the supporting evidence where a request cannot show a value (a timeout of 20 s, a buffer size).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import type { Backend } from '../support/processes.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';
import { startStatusBackend } from './status-backend.js';

const P = 'nginx.ingress.kubernetes.io';
const MB = 1024 * 1024;

/** The location block Portico rendered for `/` of a host. */
function rootLocation(conf: string, host: string): string {
  const server = conf.split(/\n    server \{/).find((b) => b.includes(`server_name "${host}"`)) ?? '';
  const start = server.indexOf('location ');
  return start < 0 ? '' : server.slice(start);
}

/** A POST whose body goes out chunked (no Content-Length), as a streaming client sends it. */
function chunkedPost(port: number, host: string, body: string): Promise<{ status: number; echo: { headers: Record<string, string>; body: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', method: 'POST', headers: { host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, echo: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    // The rest follows once nginx has the headers and the first chunk, so the body is not all there at once.
    req.write(body.slice(0, 10));
    setTimeout(() => req.end(body.slice(10)), 200);
  });
}

const warningsFor = (s: Scenario, name: string) => s.model.warnings.filter((w) => w.object === `Ingress default/${name}`).map((w) => w.message);

describe('ingress-nginx annotations/proxy.go', () => {
  let backends: Backends;
  let bad: Backend & { hits: () => number };
  let s: Scenario;
  let viaConfigMap: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    bad = await startStatusBackend('bad-gateway', 502);
    const ing = (name: string, annotations: Record<string, string> = {}, service = 'echo') =>
      singleIngress(name, `${name}.proxy.foo.com`, service, { annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${P}/${k}`, v])) });
    // Half of the flaky Service's endpoints answer 502: only proxy_next_upstream with http_502 hides them.
    const flaky = serviceFor('default', 'flaky', [bad, backends.by.echo!]);
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      ...flaky,
      ing('default'),
      ing('body8m', { 'proxy-body-size': '8m' }),
      ing('body15r', { 'proxy-body-size': '15r' }),
      ing('timeouts', { 'proxy-connect-timeout': '50', 'proxy-send-timeout': '20', 'proxy-read-timeout': '20' }),
      ing('badtimeouts', { 'proxy-connect-timeout': '50k', 'proxy-send-timeout': '20k', 'proxy-read-timeout': '20k' }),
      ing('buffering', { 'proxy-buffering': 'on', 'proxy-buffers-number': '8', 'proxy-buffer-size': '8k' }),
      ing('nobuffering', { 'proxy-request-buffering': 'off' }),
      ing('nextupstream', { 'proxy-next-upstream': 'error timeout http_502', 'proxy-next-upstream-timeout': '999999', 'proxy-next-upstream-tries': '888888' }, 'flaky'),
      ing('plain-flaky', {}, 'flaky'),
    ]);
    viaConfigMap = await startScenario(
      [
        INGRESS_CLASS,
        ...flaky,
        ing('cm', {}, 'flaky'),
        configMap({ 'proxy-next-upstream': 'timeout http_502', 'proxy-next-upstream-timeout': '53', 'proxy-next-upstream-tries': '44' }),
      ],
      CONFIGMAP_REF,
    );
  });
  afterAll(async () => {
    await s?.stop();
    await viaConfigMap?.stop();
    await bad?.stop();
    await backends?.stopAll();
  });

  // It("should set proxy client-max-body-size to 8m")
  test('should set proxy client-max-body-size to 8m', async () => {
    const big = 'x'.repeat(2 * MB);
    const r = await s.get('body8m.proxy.foo.com', '/', { method: 'POST', body: big });
    expect([r.status, r.echo?.body.length]).toEqual([200, 2 * MB]);
    // The default (1m) refuses the same body: the annotation is what let it through.
    expect((await s.get('default.proxy.foo.com', '/', { method: 'POST', body: big })).status).toBe(413);
  });

  // It("should not set proxy client-max-body-size to incorrect value")
  test('should not set proxy client-max-body-size to incorrect value', async () => {
    // The Ingress is served with the default 1m (ingress-nginx ignores the value): 512k passes, 2m is refused.
    expect((await s.get('body15r.proxy.foo.com', '/', { method: 'POST', body: 'x'.repeat(MB / 2) })).status).toBe(200);
    expect((await s.get('body15r.proxy.foo.com', '/', { method: 'POST', body: 'x'.repeat(2 * MB) })).status).toBe(413);
    expect(warningsFor(s, 'body15r')).toContainEqual(expect.stringContaining('proxy-body-size'));
  });

  // It("should set valid proxy timeouts")
  test('should set valid proxy timeouts', async () => {
    // A backend taking 1 s answers well inside 20 s; the values are the location's own.
    const r = await s.get('timeouts.proxy.foo.com', '/', { headers: { 'x-echo-delay-ms': '1000' } });
    expect(r.status).toBe(200);
    const loc = rootLocation(s.conf, 'timeouts.proxy.foo.com');
    expect(loc).toContain('proxy_connect_timeout 50s;');
    expect(loc).toContain('proxy_send_timeout 20s;');
    expect(loc).toContain('proxy_read_timeout 20s;');
    expect(warningsFor(s, 'timeouts')).toEqual([]);
  });

  // It("should not set invalid proxy timeouts")
  test('should not set invalid proxy timeouts', async () => {
    // Served, with the defaults of http{} (no per-location timeout), and a warning per key.
    expect((await s.get('badtimeouts.proxy.foo.com', '/')).status).toBe(200);
    const loc = rootLocation(s.conf, 'badtimeouts.proxy.foo.com');
    expect(loc).not.toMatch(/proxy_(connect|send|read)_timeout/);
    expect(s.conf).not.toMatch(/ 50ks;| 20ks;/);
    expect(warningsFor(s, 'badtimeouts').join('\n')).toMatch(/proxy-connect-timeout[\s\S]*proxy-read-timeout|proxy-read-timeout[\s\S]*proxy-connect-timeout/);
  });

  // It("should turn on proxy-buffering")
  test('should turn on proxy-buffering', async () => {
    const r = await s.get('buffering.proxy.foo.com', '/');
    expect(r.status).toBe(200);
    const loc = rootLocation(s.conf, 'buffering.proxy.foo.com');
    expect(loc).toContain('proxy_buffering on;');
    expect(loc).toContain('proxy_buffer_size 8k;');
    expect(loc).toContain('proxy_buffers 8 8k;');
    // ingress-nginx also writes proxy_request_buffering on (its default): the body reaches the backend whole.
    const posted = await chunkedPost(s.httpPort, 'buffering.proxy.foo.com', 'a chunked request body');
    expect([posted.status, posted.echo.headers['content-length'], posted.echo.headers['transfer-encoding']]).toEqual([200, '22', undefined]);
  });

  // It("should turn off proxy-request-buffering")
  test('should turn off proxy-request-buffering', async () => {
    // Unbuffered, nginx streams the client's chunked body on as it comes; buffered (the default) it sends
    // the whole body with a Content-Length.
    const streamed = await chunkedPost(s.httpPort, 'nobuffering.proxy.foo.com', 'a chunked request body');
    expect([streamed.status, streamed.echo.headers['transfer-encoding'], streamed.echo.body]).toEqual([200, 'chunked', 'a chunked request body']);
    const buffered = await chunkedPost(s.httpPort, 'default.proxy.foo.com', 'a chunked request body');
    expect([buffered.echo.headers['content-length'], buffered.echo.headers['transfer-encoding']]).toEqual(['22', undefined]);
  });

  // It("should build proxy next upstream")
  test('should build proxy next upstream', async () => {
    // Every request ends at the healthy endpoint: a 502 is retried on the next one.
    const served = [];
    for (let i = 0; i < 6; i++) served.push((await s.get('nextupstream.proxy.foo.com', '/')).status);
    expect(served).toEqual([200, 200, 200, 200, 200, 200]);
    expect(bad.hits()).toBeGreaterThan(0);
    const loc = rootLocation(s.conf, 'nextupstream.proxy.foo.com');
    expect(loc).toContain('proxy_next_upstream error timeout http_502;');
    expect(loc).toContain('proxy_next_upstream_timeout 999999s;');
    expect(loc).toContain('proxy_next_upstream_tries 888888;');
    expect(warningsFor(s, 'nextupstream')).toEqual([]);
    // Without http_502 (the default "error timeout") the 502 reaches the client.
    const plain = [];
    for (let i = 0; i < 6; i++) plain.push((await s.get('plain-flaky.proxy.foo.com', '/')).status);
    expect(plain).toContain(502);
  });

  // It("should build proxy next upstream using configmap values")
  test('should build proxy next upstream using configmap values', async () => {
    const served = [];
    for (let i = 0; i < 6; i++) served.push((await viaConfigMap.get('cm.proxy.foo.com', '/')).status);
    expect(served).toEqual([200, 200, 200, 200, 200, 200]);
    expect(viaConfigMap.conf).toContain('proxy_next_upstream timeout http_502;');
    expect(viaConfigMap.conf).toContain('proxy_next_upstream_timeout 53s;');
    expect(viaConfigMap.conf).toContain('proxy_next_upstream_tries 44;');
    expect(viaConfigMap.model.warnings).toEqual([]);
  });
});
