// Replays kubernetes/ingress-nginx test/e2e/annotations/upstreamvhost.go ("upstream-vhost") as real
// requests through Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const HOST = 'upstreamvhost.foo.com';

describe('ingress-nginx annotations/upstreamvhost.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress(HOST, HOST, 'echo', { annotations: { 'nginx.ingress.kubernetes.io/upstream-vhost': 'upstreamvhost.bar.com' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("set host to upstreamvhost.bar.com"): ingress-nginx writes proxy_set_header Host "upstreamvhost.bar.com".
  test('set host to upstreamvhost.bar.com', async () => {
    const r = await s.get(HOST, '/');
    expect([r.status, r.echo?.host]).toEqual([200, 'upstreamvhost.bar.com']);
    // Only Host changes: X-Forwarded-Host stays the name the client asked for.
    expect(r.echo?.headers['x-forwarded-host']).toBe(HOST);
  });
});
