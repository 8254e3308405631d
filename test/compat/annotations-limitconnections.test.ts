// Replays kubernetes/ingress-nginx test/e2e/annotations/limitconnections.go ("limit-connections") as real
// requests through Portico's render pipeline, a real nginx and an echo backend that answers slowly, as
// ingress-nginx's slow echo service does for /sleep/10: 20 requests at once from one client address.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/limitconnections.go', () => {
  let backends: Backends;
  let s: Scenario;
  const connectionLimit = 8;
  const requests = 20;

  beforeAll(async () => {
    backends = await startBackends('slow-echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'slow-echo', [backends.by['slow-echo']!]),
      singleIngress('limit-connections', 'limit-connections', 'slow-echo', { annotations: { [`${P}/limit-connections`]: String(connectionLimit) } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should limit-connections")
  test('should limit-connections', async () => {
    // The backend holds each answer long enough that all 20 connections are open together: the limit is on
    // connections in flight, so the count is exact, not a matter of timing.
    const slow = { headers: { 'x-echo-delay-ms': '3000' } };
    const statuses = (await Promise.all(Array.from({ length: requests }, () => s.get('limit-connections', '/sleep/10', slow)))).map((r) => r.status);
    expect(statuses.filter((c) => c === 200).length).toBe(connectionLimit);
    expect(statuses.filter((c) => c === 503).length).toBe(requests - connectionLimit);
    expect(statuses.filter((c) => c !== 200 && c !== 503)).toEqual([]);
  });
});
