// Replays kubernetes/ingress-nginx test/e2e/settings/load_balance.go ("Load Balance", an older file of its
// suite) and its successor test/e2e/loadbalance/round_robin.go ("[Load Balancer] round-robin") as real requests through Portico's render pipeline, a real nginx and three echo backends.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'load-balance.com';
const REPLICAS = ['http-svc-1', 'http-svc-2', 'http-svc-3'];

describe('ingress-nginx settings/load_balance.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends(...REPLICAS);
    // One worker: nginx's round robin state is per worker process (ingress-nginx's Lua balancer too), and
    // the test's 600 new connections would otherwise be shared among workers by the kernel.
    s = await startScenario(
      [INGRESS_CLASS, ...serviceFor('default', 'http-svc', REPLICAS.map((n) => backends.by[n]!)), singleIngress(HOST, HOST, 'http-svc'), configMap({ 'worker-processes': '1' })],
      CONFIGMAP_REF,
    );
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should evenly distribute requests with round-robin (default algorithm)")
  test('should evenly distribute requests with round-robin (default algorithm)', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const r = await s.get(HOST, '/');
      expect(r.status).toBe(200);
      counts[r.echo!.service] = (counts[r.echo!.service] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(REPLICAS);
    // load_balance.go accepted 198..202 per replica; round_robin.go asserts exactly 200, and so does this.
    expect(Object.values(counts)).toEqual([200, 200, 200]);
  });
});
