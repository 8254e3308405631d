// Replays kubernetes/ingress-nginx test/e2e/annotations/upstreamhashby.go ("upstream-hash-by-*") as real
// requests through Portico's render pipeline, a real nginx and six echo backends (its six replicas):
// 100 requests each, counting the distinct backends that answered.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const REPLICAS = ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5', 'pod-6'];

describe('ingress-nginx annotations/upstreamhashby.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends(...REPLICAS);
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', REPLICAS.map((n) => backends.by[n]!)),
      singleIngress('same', 'upstream-hash-by.foo.com', 'echo', { annotations: { [`${P}/upstream-hash-by`]: '$request_uri' } }),
      singleIngress('subset', 'subset.upstream-hash-by.foo.com', 'echo', {
        annotations: { [`${P}/upstream-hash-by`]: '$request_uri', [`${P}/upstream-hash-by-subset`]: 'true', [`${P}/upstream-hash-by-subset-size`]: '3' },
      }),
      singleIngress('plain', 'plain.upstream-hash-by.foo.com', 'echo'),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  const podsAnswering = async (host: string): Promise<Set<string>> => {
    const pods = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const r = await s.get(host, '/');
      expect(r.status).toBe(200);
      pods.add(r.echo!.service);
    }
    return pods;
  };

  // It("should connect to the same pod")
  test('should connect to the same pod', async () => {
    expect((await podsAnswering('upstream-hash-by.foo.com')).size).toBe(1);
    // Without the annotation the same 100 requests spread (round robin): the hash is what pins them.
    expect((await podsAnswering('plain.upstream-hash-by.foo.com')).size).toBe(REPLICAS.length);
  });

  // It("should connect to the same subset of pods")
  // Difference: ingress-nginx's Lua balancer spreads one key over a subset of 3 pods; nginx's own
  // `hash ... consistent` maps a key to one endpoint, so Portico ignores upstream-hash-by-subset(-size)
  // with a warning and every request of one URI reaches the same pod.
  test('should connect to the same subset of pods (Difference: one pod, subset ignored with a warning)', async () => {
    expect((await podsAnswering('subset.upstream-hash-by.foo.com')).size).toBe(1);
    const warnings = s.model.warnings.filter((w) => w.object === 'Ingress default/subset').map((w) => w.message).join('\n');
    expect(warnings).toContain('upstream-hash-by-subset');
  });
});
