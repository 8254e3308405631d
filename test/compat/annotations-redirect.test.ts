// Replays kubernetes/ingress-nginx test/e2e/annotations/redirect.go ("permanent-redirect
// permanent-redirect-code") as real requests through Portico's render pipeline and a real nginx.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const REDIRECT_URL = 'http://redirect.example.com';

describe('ingress-nginx annotations/redirect.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    // Both Its use host "redirect" in their own namespace; here each has its own host.
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('redirect', 'redirect', 'echo', { path: '/something', annotations: { [`${P}/permanent-redirect`]: REDIRECT_URL } }),
      singleIngress('redirect-code', 'redirect-code', 'echo', {
        path: '/something',
        annotations: { [`${P}/permanent-redirect`]: REDIRECT_URL, [`${P}/permanent-redirect-code`]: '302' },
      }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should respond with a standard redirect code")
  test('should respond with a standard redirect code', async () => {
    const r = await s.get('redirect', '/something');
    expect([r.status, r.headers.location]).toEqual([301, REDIRECT_URL]);
  });

  // It("should respond with a custom redirect code")
  test('should respond with a custom redirect code', async () => {
    const r = await s.get('redirect-code', '/something');
    expect([r.status, r.headers.location]).toEqual([302, REDIRECT_URL]);
  });
});
