// Replays kubernetes/ingress-nginx test/e2e/settings/listen_nondefault_ports.go ("[Flag] custom HTTP and
// HTTPS ports") as real requests to a real nginx on free (non-default) ports, rendered by Portico.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startAuthService, type AuthService } from '../support/auth.js';
import { makeCertificate, tlsSecret } from '../support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const HOST = 'forwarded-headers';

describe('ingress-nginx settings/listen_nondefault_ports.go', () => {
  let backends: Backends;
  let auth: AuthService;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    auth = await startAuthService();
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      tlsSecret('default', 'fh-tls', await makeCertificate(HOST)),
      tlsSecret('default', 'auth-tls', await makeCertificate(`auth.${HOST}`)),
      singleIngress(HOST, HOST, 'echo', { tlsSecret: 'fh-tls', annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' } }),
      singleIngress('auth', `auth.${HOST}`, 'echo', { tlsSecret: 'auth-tls', annotations: { 'nginx.ingress.kubernetes.io/auth-url': `http://127.0.0.1:${auth.port}/auth` } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await auth?.stop();
    await backends?.stopAll();
  });

  // Context("with a plain HTTP ingress"), It("should set X-Forwarded-Port headers accordingly when listening on a non-default HTTP port")
  test('should set X-Forwarded-Port headers accordingly when listening on a non-default HTTP port', async () => {
    expect(s.httpPort).not.toBe(80);
    const r = await s.get(HOST, '/');
    expect([r.status, r.echo?.headers['x-forwarded-port']]).toEqual([200, String(s.httpPort)]);
  });

  // Context("with a TLS enabled ingress"), It("should set X-Forwarded-Port header to 443")
  test('should set X-Forwarded-Port header to 443', async () => {
    expect(s.httpsPort).not.toBe(443);
    const r = await s.getTls(HOST, '/');
    expect([r.status, r.echo?.headers['x-forwarded-port']]).toEqual([200, '443']);
  });

  // Context("when external authentication is configured"), It("should set the X-Forwarded-Port header to 443")
  test('when external authentication is configured: should set the X-Forwarded-Port header to 443', async () => {
    const r = await s.getTls(`auth.${HOST}`, '/', { headers: { authorization: 'Bearer good' } });
    expect([r.status, r.echo?.headers['x-forwarded-port']]).toEqual([200, '443']);
  });
});
