// Replays kubernetes/ingress-nginx test/e2e/settings/tls.go, Context("should configure HSTS policy header"),
// as real https requests through Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { makeCertificate, tlsSecret, type TestCertificate } from '../support/certs.js';
import { connect as tlsConnect } from 'node:tls';
import { rawRequest } from '../support/http.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'settings-tls';

describe('ingress-nginx settings/tls.go: should configure HSTS policy header', () => {
  let backends: Backends;
  let cert: TestCertificate;
  const scenarios: Scenario[] = [];
  const objects = (data: Record<string, string>): KubeObject[] => [
    INGRESS_CLASS,
    ...serviceFor('default', 'echo', [backends.by.echo!]),
    tlsSecret('default', 'settings-tls', cert),
    singleIngress(HOST, HOST, 'echo', { tlsSecret: 'settings-tls' }),
    configMap(data),
  ];
  const start = async (data: Record<string, string>): Promise<Scenario> => {
    const s = await startScenario(objects(data), CONFIGMAP_REF);
    scenarios.push(s);
    return s;
  };

  beforeAll(async () => {
    backends = await startBackends('echo');
    cert = await makeCertificate(HOST);
  });
  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backends?.stopAll();
  });

  // It("setting max-age parameter")
  test('setting max-age parameter', async () => {
    const s = await start({ 'hsts-max-age': '86400' });
    expect((await s.getTls(HOST, '/')).headers['strict-transport-security']).toBe('max-age=86400; includeSubDomains');
  });

  // It("setting includeSubDomains parameter")
  test('setting includeSubDomains parameter', async () => {
    const s = await start({ 'hsts-max-age': '86400', 'hsts-include-subdomains': 'false' });
    expect((await s.getTls(HOST, '/')).headers['strict-transport-security']).toBe('max-age=86400');
  });

  // It("setting preload parameter")
  test('setting preload parameter', async () => {
    const s = await start({ 'hsts-max-age': '86400', 'hsts-preload': 'true', 'hsts-include-subdomains': 'false' });
    expect((await s.getTls(HOST, '/')).headers['strict-transport-security']).toBe('max-age=86400; preload');
  });

  // It("overriding what's set from the upstream"): read raw, as the e2e does with curl, so a doubled header shows.
  test("overriding what's set from the upstream", async () => {
    const s = await start({ 'hsts-max-age': '86400', 'hsts-preload': 'true', 'hsts-include-subdomains': 'false' });
    const r = await rawRequest({ port: s.httpsPort, host: HOST, tls: true, headers: { 'x-echo-response-header': 'Strict-Transport-Security: max-age=3600; preload' } });
    expect(r.status).toBe(200);
    const raw = r.rawHead!.toLowerCase();
    expect(raw).toContain('strict-transport-security: max-age=86400; preload');
    expect(raw).not.toContain('strict-transport-security: max-age=3600; preload');
  });

  // The other way round: hsts "false" leaves the backend's own header alone (ingress-nginx sets none then).
  test('with hsts "false" the backend\'s own header passes unchanged', async () => {
    const s = await start({ hsts: 'false' });
    const r = await s.getTls(HOST, '/', { headers: { 'x-echo-response-header': 'Strict-Transport-Security: max-age=3600' } });
    expect(r.headers['strict-transport-security']).toBe('max-age=3600');
  });
});

describe('ingress-nginx settings/tls.go: should configure TLS protocol', () => {
  let backends: Backends;
  let s: Scenario;
  const testCiphers = 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA';

  beforeAll(async () => {
    backends = await startBackends('echo');
    const cert = await makeCertificate(HOST);
    s = await startScenario(
      [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), tlsSecret('default', 'settings-tls', cert), singleIngress(HOST, HOST, 'echo', { tlsSecret: 'settings-tls' }), configMap({ 'ssl-ciphers': testCiphers, 'ssl-protocols': 'TLSv1.2' })],
      CONFIGMAP_REF,
    );
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("setting cipher suite"): a client offering everything gets TLS 1.2 and the list's first suite.
  test('setting cipher suite', async () => {
    expect(s.conf).toContain(`ssl_ciphers "${testCiphers}";`);
    const { protocol, cipher } = await new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
      const sock = tlsConnect({ port: s.httpsPort, host: '127.0.0.1', servername: HOST, rejectUnauthorized: false }, () => {
        const result = { protocol: sock.getProtocol(), cipher: sock.getCipher().name };
        sock.end();
        resolve(result);
      });
      sock.on('error', reject);
    });
    expect([protocol, cipher]).toEqual(['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384']);
    expect((await s.getTls(HOST, '/')).status).toBe(200);
  });
});

describe('ingress-nginx settings/tls.go: ports or X-Forwarded-Host check during HTTP tp HTTPS redirection', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const start = async (data: Record<string, string>): Promise<Scenario> => {
    const cert = await makeCertificate(HOST);
    const s = await startScenario([INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), tlsSecret('default', 'settings-tls', cert), singleIngress(HOST, HOST, 'echo', { tlsSecret: 'settings-tls' }), configMap(data)], CONFIGMAP_REF);
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

  // It("should not use ports during the HTTP to HTTPS redirection")
  test('should not use ports during the HTTP to HTTPS redirection', async () => {
    const s = await start({});
    const r = await s.get(HOST, '/');
    expect([r.status, r.headers.location]).toEqual([308, `https://${HOST}`]);
  });

  // It("should not use ports or X-Forwarded-Host during the HTTP to HTTPS redirection"): with use-forwarded-headers
  // the redirect names X-Forwarded-Host's host, without its port.
  test('should not use ports or X-Forwarded-Host during the HTTP to HTTPS redirection', async () => {
    const s = await start({ 'use-forwarded-headers': 'true' });
    const r = await s.get(HOST, '/', { headers: { 'X-Forwarded-Host': 'example.com:80' } });
    expect([r.status, r.headers.location]).toEqual([308, 'https://example.com']);
  });
});
