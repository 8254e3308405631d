// Replays kubernetes/ingress-nginx test/e2e/loadbalance/configmap.go ("[Load Balancer] load-balance") through
// Portico's render pipeline, a real nginx and two echo backends. ingress-nginx sets load-balance: ewma and
// reads the algorithm back from its Lua balancer. Difference (README): ewma is that Lua balancer's own, so
// Portico warns and keeps round robin; a method nginx has (least_conn) is taken from the ConfigMap.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'load-balance.com';

describe('ingress-nginx loadbalance/configmap.go', () => {
  let backends: Backends;
  let s: Scenario;
  const objects = (data: Record<string, string>) => [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.a!, backends.by.b!]), singleIngress(HOST, HOST, 'echo'), configMap({ 'worker-processes': '1', ...data })];

  beforeAll(async () => {
    backends = await startBackends('a', 'b');
    s = await startScenario(objects({ 'load-balance': 'ewma' }), CONFIGMAP_REF);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should apply the configmap load-balance setting")
  test('should apply the configmap load-balance setting', async () => {
    expect(s.model.warnings.map((w) => w.message)).toEqual([expect.stringContaining('ewma needs the Lua balancer of ingress-nginx')]);
    // Round robin instead: four requests, two per endpoint.
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push((await s.get(HOST, '/')).echo!.service);
    expect(seen.sort()).toEqual(['a', 'a', 'b', 'b']);
    await s.update(objects({ 'load-balance': 'least_conn' }));
    expect(s.model.warnings).toEqual([]);
    expect(s.conf).toMatch(/upstream [^{]+\{\s*least_conn;/);
    expect((await s.get(HOST, '/')).status).toBe(200);
  });
});
