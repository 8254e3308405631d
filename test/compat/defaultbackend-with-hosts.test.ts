// Replays kubernetes/ingress-nginx test/e2e/defaultbackend/with_hosts.go ("[Default Backend] change default
// settings") through Portico's render pipeline, a real nginx and an echo backend: an Ingress whose only
// backend is spec.defaultBackend, with a rule naming a host and no paths, gets its annotation
// (proxy-buffer-size: 8k) on the location that serves that host.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';

describe('ingress-nginx defaultbackend/with_hosts.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'default-backend-annotations', namespace: 'default', annotations: { 'nginx.ingress.kubernetes.io/proxy-buffer-size': '8k' } },
      spec: { ingressClassName: 'portico', defaultBackend: { service: { name: 'echo', port: { number: 80 } } }, rules: [{ host: 'foo.com' }] },
    } as KubeObject;
    s = await startScenario([INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), ingress]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should apply the annotation to the default backend")
  test('should apply the annotation to the default backend', async () => {
    expect(s.model.rejections).toEqual([]);
    expect(s.conf).toContain('proxy_buffer_size 8k;');
    const r = await s.get('foo.com', '/');
    expect([r.status, r.echo?.service]).toEqual([200, 'echo']);
  });
});
