// Replays kubernetes/ingress-nginx test/e2e/settings/forwarded_headers.go ("use-forwarded-headers")
// as real requests through Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'forwarded-headers';
const CLIENT_HEADERS = { 'X-Forwarded-Port': '1234', 'X-Forwarded-Proto': 'myproto', 'X-Forwarded-For': '1.2.3.4', 'X-Forwarded-Host': 'myhost' };

describe('ingress-nginx settings/forwarded_headers.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const start = async (useForwardedHeaders: string): Promise<Scenario> => {
    const objects = [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo'), configMap({ 'use-forwarded-headers': useForwardedHeaders })];
    const s = await startScenario(objects, CONFIGMAP_REF);
    scenarios.push(s);
    return s;
  };

  beforeAll(async () => {
    backends = await startBackends('echo');
  });
  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backends?.stopAll();
  });

  // It("should trust X-Forwarded headers when setting is true")
  test('should trust X-Forwarded headers when setting is true', async () => {
    const s = await start('true');
    const r = await s.get(HOST, '/', { headers: CLIENT_HEADERS });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    expect([h.host, h['x-forwarded-host'], h['x-forwarded-proto'], h['x-forwarded-port'], h['x-forwarded-for']]).toEqual(['myhost', 'myhost', 'myproto', '1234', '1.2.3.4']);
    // "ensuring that first entry in X-Forwarded-Host is used as the best host"
    const list = await s.get(HOST, '/', { headers: { ...CLIENT_HEADERS, 'X-Forwarded-Host': 'myhost.com, another.host,example.net' } });
    expect([list.echo!.headers.host, list.echo!.headers['x-forwarded-host']]).toEqual(['myhost.com', 'myhost.com']);
  });

  // It("should not trust X-Forwarded headers when setting is false")
  test('should not trust X-Forwarded headers when setting is false', async () => {
    const s = await start('false');
    const r = await s.get(HOST, '/', { headers: { ...CLIENT_HEADERS, 'X-Forwarded-Scheme': 'https', 'X-Scheme': 'https' } });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    expect(h.host).toBe(HOST);
    expect(h['x-forwarded-host']).toBe(HOST);
    // ingress-nginx's pod listens on 80; this nginx on a free port: X-Forwarded-Port is the port the request reached.
    expect(h['x-forwarded-port']).toBe(String(s.httpPort));
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-original-forwarded-for']).toBe('1.2.3.4');
    expect(h['x-original-forwarded-host']).toBe('myhost');
    // The nginx.tmpl sets X-Forwarded-Scheme and X-Scheme from the connection: the client's own are replaced.
    expect([h['x-forwarded-scheme'], h['x-scheme']]).toEqual(['http', 'http']);
  });

  // The https redirect follows the trusted X-Forwarded-Proto (nginx.tmpl: $redirect_to_https from $pass_access_scheme):
  // behind a TLS-terminating load balancer, a request it forwarded as https is served, not redirected in a loop.
  test('with use-forwarded-headers, X-Forwarded-Proto: https is not redirected to https again', async () => {
    const s = await start('true');
    await s.update([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress(HOST, HOST, 'echo', { annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' } }),
      configMap({ 'use-forwarded-headers': 'true' }),
    ]);
    expect((await s.get(HOST, '/x', { headers: { 'X-Forwarded-Proto': 'https' } })).status).toBe(200);
    expect((await s.get(HOST, '/x', { headers: { 'X-Forwarded-Proto': 'http' } })).status).toBe(308);
    expect((await s.get(HOST, '/x')).status).toBe(308);
  });

  // Portico's addition (README, differences): the X-Forwarded-* headers are believed only from proxy-real-ip-cidr,
  // the peers trusted with the client address (ingress-nginx believes them from anyone; Portico's default
  // 0.0.0.0/0 is the same).
  test('X-Forwarded-Host/-Proto/-Port are believed only from proxy-real-ip-cidr', async () => {
    const s = await start('true');
    await s.update([INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo'), configMap({ 'use-forwarded-headers': 'true', 'proxy-real-ip-cidr': '127.0.0.1/32' })]);
    const trusted = await s.get(HOST, '/', { headers: CLIENT_HEADERS, localAddress: '127.0.0.1' });
    expect([trusted.echo!.headers.host, trusted.echo!.headers['x-forwarded-proto'], trusted.echo!.headers['x-forwarded-port']]).toEqual(['myhost', 'myproto', '1234']);
    const untrusted = await s.get(HOST, '/', { headers: CLIENT_HEADERS, localAddress: '127.0.0.2' });
    expect([untrusted.echo!.headers.host, untrusted.echo!.headers['x-forwarded-proto'], untrusted.echo!.headers['x-forwarded-port']]).toEqual([HOST, 'http', String(s.httpPort)]);
  });
});
