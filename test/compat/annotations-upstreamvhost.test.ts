// Replays kubernetes/ingress-nginx test/e2e/annotations/upstreamvhost.go ("upstream-vhost") as real requests
// through Portico's render pipeline, a real nginx and an echo backend. ingress-nginx checks its nginx.conf
// (`proxy_set_header Host "upstreamvhost.bar.com"`); here the Host header the backend received says it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/upstreamvhost.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('upstreamvhost', 'upstreamvhost.foo.com', 'echo', { annotations: { [`${P}/upstream-vhost`]: 'upstreamvhost.bar.com' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("set host to upstreamvhost.bar.com")
  test('set host to upstreamvhost.bar.com', async () => {
    const r = await s.get('upstreamvhost.foo.com', '/');
    expect(r.status).toBe(200);
    expect(r.echo?.headers.host).toBe('upstreamvhost.bar.com');
  });
});
