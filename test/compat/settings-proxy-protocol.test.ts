// Replays kubernetes/ingress-nginx test/e2e/settings/proxy_protocol.go ("use-proxy-protocol") as real
// PROXY protocol v1 connections to a real nginx rendered by Portico, with an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { makeCertificate, tlsSecret } from '../support/certs.js';
import { rawRequest } from '../support/http.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'proxy-protocol';

describe('ingress-nginx settings/proxy_protocol.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const start = async (data: Record<string, string>, tls = false): Promise<Scenario> => {
    const cert = tls ? [tlsSecret('default', 'pp-tls', await makeCertificate(HOST))] : [];
    const objects = [
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      ...cert,
      singleIngress(HOST, HOST, 'echo', tls ? { tlsSecret: 'pp-tls' } : {}),
      configMap({ 'use-proxy-protocol': 'true', ...data }),
    ];
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

  // It("should respect port passed by the PROXY Protocol")
  test('should respect port passed by the PROXY Protocol', async () => {
    const s = await start({});
    expect(s.conf).toMatch(/listen \d+ default_server proxy_protocol;/);
    const r = await rawRequest({ port: s.httpPort, proxyLine: 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 1234', host: HOST });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    expect([h.host, h['x-forwarded-port'], h['x-forwarded-proto'], h['x-forwarded-for']]).toEqual([HOST, '1234', 'http', '192.168.0.1']);
  });

  // It("should respect proto passed by the PROXY Protocol server port")
  test('should respect proto passed by the PROXY Protocol server port', async () => {
    const s = await start({});
    const r = await rawRequest({ port: s.httpPort, proxyLine: 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443', host: HOST });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    expect([h.host, h['x-forwarded-port'], h['x-forwarded-proto'], h['x-forwarded-for']]).toEqual([HOST, '443', 'https', '192.168.0.1']);
  });

  // It("should enable PROXY Protocol for HTTPS")
  test('should enable PROXY Protocol for HTTPS', async () => {
    const s = await start({}, true);
    expect(s.conf).toMatch(/listen \d+ ssl http2 proxy_protocol;/);
    const r = await rawRequest({ port: s.httpsPort, proxyLine: 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 1234', host: HOST, tls: true });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    expect([h.host, h['x-forwarded-port'], h['x-forwarded-proto'], h['x-scheme'], h['x-forwarded-for']]).toEqual([HOST, '1234', 'https', 'https', '192.168.0.1']);
  });

  // nginx.tmpl with use-forwarded-headers and compute-full-forwarded-for behind a PROXY load balancer:
  // $full_x_forwarded_for is the incoming X-Forwarded-For plus the PROXY header's source address.
  test('with use-forwarded-headers and compute-full-forwarded-for, the incoming X-Forwarded-For is kept and the PROXY source appended', async () => {
    const s = await start({ 'use-forwarded-headers': 'true', 'compute-full-forwarded-for': 'true' });
    const r = await rawRequest({ port: s.httpPort, proxyLine: 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 80', host: HOST, headers: { 'X-Forwarded-For': '203.0.113.9' } });
    expect([r.status, r.echo!.headers['x-forwarded-for'], r.echo!.headers['x-real-ip']]).toEqual([200, '203.0.113.9, 192.168.0.1', '192.168.0.1']);
  });

  // The https redirect follows the PROXY header too: a TCP load balancer's port 443 is https, never redirected.
  test('a PROXY destination port of 443 is not redirected to https, port 80 is', async () => {
    const s = await start({}, true);
    const https = await rawRequest({ port: s.httpPort, proxyLine: 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443', host: HOST });
    expect(https.status).toBe(200);
    const http = await rawRequest({ port: s.httpPort, proxyLine: 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 80', host: HOST });
    expect(http.status).toBe(308);
  });

  // Context("when use-forwarded-headers setting is true"): the X-Forwarded-For of a PROXY source in
  // proxy-real-ip-cidr is believed, else the PROXY header's source is the client.
  const throughTrustedProxy = async (cidr: string) => {
    const s = await start({ 'use-forwarded-headers': 'true', 'proxy-real-ip-cidr': cidr });
    const r = await rawRequest({ port: s.httpPort, proxyLine: 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 1234', host: HOST, headers: { 'X-Forwarded-For': '192.168.0.111' } });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    return [h.host, h['x-forwarded-port'], h['x-forwarded-proto'], h['x-forwarded-for']];
  };

  // The e2e's 10.0.0.0/8 is the cluster network its client connects from; here that is 127.0.0.0/8.
  // It("should not trust X-Forwarded headers when the client IP address is not trusted"): the PROXY source
  // 192.168.0.1 is outside proxy-real-ip-cidr.
  test('should not trust X-Forwarded headers when the client IP address is not trusted', async () => {
    expect(await throughTrustedProxy('127.0.0.0/8')).toEqual([HOST, '1234', 'http', '192.168.0.1']);
  });

  // It("should trust X-Forwarded headers when the client IP address is trusted"). Difference (README): ingress-nginx
  // then takes the client from X-Forwarded-For (192.168.0.111), rewriting the request header with headers-more;
  // Portico keeps the PROXY header's source as the client address (not built yet).
  test('should trust X-Forwarded headers when the client IP address is trusted', async () => {
    expect(await throughTrustedProxy('127.0.0.0/8,192.168.0.1/32')).toEqual([HOST, '1234', 'http', '192.168.0.1']);
  });
});
