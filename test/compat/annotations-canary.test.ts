// Replays kubernetes/ingress-nginx test/e2e/annotations/canary.go, Context("Single canary Ingress"), as real
// requests through Portico's render pipeline, a real nginx and echo backends.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';

/** framework.NewSingleCatchAllIngress: spec.defaultBackend only, no rules. */
function catchAllIngress(name: string, service: string, created: string, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', annotations, creationTimestamp: created },
    spec: { ingressClassName: 'portico', defaultBackend: { service: { name: service, port: { number: 80 } } } },
  } as KubeObject;
}

describe('ingress-nginx annotations/canary.go: Single canary Ingress', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo', 'echo-canary');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      ...serviceFor('default', 'echo-canary', [backends.by['echo-canary']!]),
      // The canary is created first, so it is the older one.
      catchAllIngress('foo-canary', 'echo-canary', '2026-01-01T00:00:00Z', {
        'nginx.ingress.kubernetes.io/canary': 'true',
        'nginx.ingress.kubernetes.io/canary-by-header': 'CanaryByHeader',
      }),
      catchAllIngress('foo', 'echo', '2026-01-02T00:00:00Z'),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should not use canary as a catch-all server")
  test('should not use canary as a catch-all server', async () => {
    const r = await s.get('any.host', '/');
    expect([r.status, r.echo?.service]).toEqual([200, 'echo']);
    expect(s.model.rejections.map((j) => j.ingress.name)).not.toContain('foo');
    expect(s.model.warnings.map((w) => `${w.object}: ${w.message}`)).toContainEqual('Ingress default/foo-canary: spec.defaultBackend of a canary Ingress is not used: a canary never becomes a default backend');
  });
});
