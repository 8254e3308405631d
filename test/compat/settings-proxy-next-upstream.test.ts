// Replays kubernetes/ingress-nginx test/e2e/settings/proxy_next_upstream.go ("proxy-next-upstream") as
// real requests through Portico's render pipeline and a real nginx: a Service with one endpoint answering
// 502 and one healthy echo backend, so only `proxy_next_upstream ... http_502` keeps every answer a 200.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import type { Backend } from '../support/processes.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';
import { startStatusBackend } from './status-backend.js';

const HOST = 'proxy-next-upstream.com';

describe('ingress-nginx settings/proxy_next_upstream.go', () => {
  let backends: Backends;
  let bad: Backend & { hits: () => number };
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    bad = await startStatusBackend('bad-gateway', 502);
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor('default', 'flaky', [bad, backends.by.echo!]),
        singleIngress(HOST, HOST, 'flaky'),
        configMap({ 'proxy-next-upstream': 'timeout http_502', 'proxy-next-upstream-timeout': '999999', 'proxy-next-upstream-tries': '888888' }),
      ],
      CONFIGMAP_REF,
    );
  });
  afterAll(async () => {
    await s?.stop();
    await bad?.stop();
    await backends?.stopAll();
  });

  // It("should build proxy next upstream using configmap values")
  test('should build proxy next upstream using configmap values', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) {
      const r = await s.get(HOST, '/');
      answers.push([r.status, r.echo?.service]);
    }
    expect(answers).toEqual(Array(6).fill([200, 'echo']));
    expect(bad.hits()).toBeGreaterThan(0);
    // All three values are nginx's, none replaced by a default.
    expect(s.conf).toContain('proxy_next_upstream timeout http_502;');
    expect(s.conf).toContain('proxy_next_upstream_timeout 999999s;');
    expect(s.conf).toContain('proxy_next_upstream_tries 888888;');
    expect(s.model.warnings).toEqual([]);
  });
});
