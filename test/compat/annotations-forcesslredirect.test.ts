// Replays kubernetes/ingress-nginx test/e2e/annotations/forcesslredirect.go ("force-ssl-redirect") as real
// requests through Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/forcesslredirect.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('forcesslredirect', 'forcesslredirect.bar.com', 'echo', { annotations: { [`${P}/force-ssl-redirect`]: 'true' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should redirect to https"): 308, no port, and the one trailing "/" of "/" dropped (preserve-trailing-slash off).
  test('should redirect to https', async () => {
    const r = await s.get('forcesslredirect.bar.com', '/');
    expect([r.status, r.headers.location]).toEqual([308, 'https://forcesslredirect.bar.com']);
  });
});
