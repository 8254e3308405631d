// Replays kubernetes/ingress-nginx test/e2e/annotations/fromtowwwredirect.go ("from-to-www-redirect", as of
// ingress-nginx 1.12, whose redirect names the port nginx accepted on: `:80`, `:443` there, the test's
// free ports here) as real requests through Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Ingress, KubeObject } from '../../src/store/types.js';
import { makeCertificate, tlsSecret } from '../support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const FROM_HOST = '127.0.0.1.nip.io'; // ingress-nginx uses "<nginx IP>.nip.io"; only the name matters here
const TO_HOST = `www.${FROM_HOST}`;

/** framework.NewSingleIngressWithTLS(fromHost, "/", fromHost, [fromHost, toHost], ...). */
function ingressWithTls(): KubeObject {
  const ing = singleIngress(FROM_HOST, FROM_HOST, 'echo', { tlsSecret: FROM_HOST, annotations: { [`${P}/from-to-www-redirect`]: 'true' } }) as Ingress;
  ing.spec!.tls![0]!.hosts = [FROM_HOST, TO_HOST];
  return ing;
}

describe('ingress-nginx annotations/fromtowwwredirect.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('fromtowwwredirect', 'fromtowwwredirect.bar.com', 'echo', { annotations: { [`${P}/from-to-www-redirect`]: 'true' } }),
      tlsSecret('default', FROM_HOST, await makeCertificate(FROM_HOST)),
      ingressWithTls(),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should redirect from www HTTP to HTTP")
  test('should redirect from www HTTP to HTTP', async () => {
    const r = await s.get('www.fromtowwwredirect.bar.com', '/foo');
    expect([r.status, r.headers.location]).toEqual([308, `http://fromtowwwredirect.bar.com:${s.httpPort}/foo`]);
  });

  // It("should redirect from www HTTPS to HTTPS"): www answers 308 to the bare name ("/" dropped), the bare
  // name is served. ingress-nginx reads the Host the backend saw from an `add-headers` response header
  // (ExpectedHost: $http_host); Portico has no add-headers, so the echo backend's own report says it.
  test('should redirect from www HTTPS to HTTPS', async () => {
    const www = await s.getTls(TO_HOST, '/');
    expect([www.status, www.headers.location]).toEqual([308, `https://${FROM_HOST}:${s.httpsPort}`]);
    const bare = await s.getTls(FROM_HOST, '/');
    expect([bare.status, bare.echo?.host]).toEqual([200, FROM_HOST]);
  });
});
