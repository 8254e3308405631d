// Replays kubernetes/ingress-nginx test/e2e/annotations/default_backend.go ("custom default-backend") as real
// requests through Portico's render pipeline and a real nginx.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const HOST = 'default-backend';

describe('ingress-nginx annotations/default_backend.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('http-svc');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'http-svc', [backends.by['http-svc']!]),
      singleIngress(HOST, HOST, 'invalid', { annotations: { 'nginx.ingress.kubernetes.io/default-backend': 'http-svc' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should use a custom default backend as upstream") (Context "when default backend annotation is enabled")
  test('should use a custom default backend as upstream', async () => {
    const uri = '/alma/armud';
    const r = await s.get(HOST, uri);
    expect(r.status).toBe(200);
    expect(r.echo?.service).toBe('http-svc');
    const h = r.echo!.headers;
    expect([h['x-code'], h['x-ingress-name'], h['x-service-name'], h['x-original-uri']]).toEqual(['503', HOST, 'invalid', uri]);
  });
});
