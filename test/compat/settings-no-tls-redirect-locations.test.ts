// Replays kubernetes/ingress-nginx test/e2e/settings/no_tls_redirect_locations.go ("Add no tls redirect
// locations") as real requests through Portico's render pipeline, a real nginx and an echo backend.
// ingress-nginx checks that its Lua config gains `force_no_ssl_redirect = true` once the ConfigMap names the
// location; the behaviour that implies is asked here: a location that would redirect to https stops doing so.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { makeCertificate, tlsSecret, type TestCertificate } from '../support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'no-tls-redirect-locations';

describe('ingress-nginx settings/no_tls_redirect_locations.go', () => {
  let backends: Backends;
  let cert: TestCertificate;
  let s: Scenario;
  // The e2e Ingress has no TLS, so nothing would redirect; here the host has TLS (ssl-redirect, the default)
  // so that "not redirected" can be seen.
  const objects = (data: Record<string, string>): KubeObject[] => [
    INGRESS_CLASS,
    ...serviceFor('default', 'echo', [backends.by.echo!]),
    tlsSecret('default', HOST, cert),
    singleIngress(HOST, HOST, 'echo', { path: '/check-no-tls', tlsSecret: HOST }),
    singleIngress(`${HOST}-acme`, HOST, 'echo', { path: '/.well-known/acme-challenge' }),
    configMap(data),
  ];

  beforeAll(async () => {
    backends = await startBackends('echo');
    cert = await makeCertificate(HOST);
    s = await startScenario(objects({}), CONFIGMAP_REF);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("Check no tls redirect locations config"): redirected before the key, served on http after it.
  test('Check no tls redirect locations config', async () => {
    const before = await s.get(HOST, '/check-no-tls');
    expect([before.status, before.headers.location]).toEqual([308, `https://${HOST}/check-no-tls`]);
    await s.update(objects({ 'no-tls-redirect-locations': '/check-no-tls' }));
    const after = await s.get(HOST, '/check-no-tls');
    expect([after.status, after.echo?.path]).toEqual([200, '/check-no-tls']);
    // The key replaces ingress-nginx's default list, so the ACME path is redirected now, as there.
    expect((await s.get(HOST, '/.well-known/acme-challenge/token')).status).toBe(308);
  });

  // ingress-nginx's default of the key, /.well-known/acme-challenge, is never redirected (cert-manager HTTP-01).
  test('the default /.well-known/acme-challenge is never redirected', async () => {
    await s.update(objects({}));
    const r = await s.get(HOST, '/.well-known/acme-challenge/token');
    expect([r.status, r.echo?.path]).toEqual([200, '/.well-known/acme-challenge/token']);
  });
});
