// Replays kubernetes/ingress-nginx test/e2e/annotations/approot.go ("app-root") as real requests through
// Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/approot.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('approot', 'approot.bar.com', 'echo', { annotations: { [`${P}/app-root`]: '/foo' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should redirect to /foo"): 302 to $scheme://$http_host/foo, the Host header as the client sent it.
  test('should redirect to /foo', async () => {
    const r = await s.get('approot.bar.com', '/');
    expect([r.status, r.headers.location]).toEqual([302, 'http://approot.bar.com/foo']);
  });
});
