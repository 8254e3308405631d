// Replays kubernetes/ingress-nginx test/e2e/annotations/preservetrailingslash.go ("preserve-trailing-slash")
// as real requests through Portico's render pipeline, a real nginx and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { makeCertificate, tlsSecret } from '../support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const HOST = 'forcesslredirect.bar.com';

describe('ingress-nginx annotations/preservetrailingslash.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      tlsSecret('default', HOST, await makeCertificate(HOST)),
      singleIngress(HOST, HOST, 'echo', { tlsSecret: HOST, annotations: { [`${P}/ssl-redirect`]: 'true', [`${P}/preserve-trailing-slash`]: 'true' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should allow preservation of trailing slashes")
  test('should allow preservation of trailing slashes', async () => {
    const r = await s.get(HOST, '/');
    expect([r.status, r.headers.location]).toEqual([308, `https://${HOST}/`]);
  });
});
