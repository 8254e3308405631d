// Replays kubernetes/ingress-nginx test/e2e/ssl/http_redirect.go ("[SSL] redirect to HTTPS") as real
// requests through Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const HOST = 'redirect.com';

describe('ingress-nginx ssl/http_redirect.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    // framework.NewSingleIngressWithTLS names a Secret the test never creates.
    s = await startScenario([INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo', { tlsSecret: HOST })]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should redirect from HTTP to HTTPS when secret is missing")
  test('should redirect from HTTP to HTTPS when secret is missing', async () => {
    const r = await s.get(HOST, '/');
    expect([r.status, r.headers.location]).toEqual([308, `https://${HOST}`]);
  });
});
