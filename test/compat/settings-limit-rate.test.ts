// Replays kubernetes/ingress-nginx test/e2e/settings/limit_rate.go ("Configmap - limit-rate") as real requests
// through Portico's render pipeline, a real nginx and an echo backend: the ConfigMap's limit-rate (KB/s)
// applies to an Ingress that sets none. ingress-nginx asserts `limit_rate 1k;`, then `limit_rate 90k;`.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';
import { expectThrottled, timedPost } from './limit-rate.js';

const P = 'nginx.ingress.kubernetes.io';
const HOST = 'limit-rate';

describe('ingress-nginx settings/limit_rate.go', () => {
  let backends: Backends;
  let s: Scenario | undefined;
  const objects = (data: Record<string, string>) => [
    INGRESS_CLASS,
    ...serviceFor('default', 'echo', [backends.by.echo!]),
    singleIngress(HOST, HOST, 'echo', { annotations: { [`${P}/proxy-buffering`]: 'on' } }),
    configMap(data),
  ];

  beforeAll(async () => {
    backends = await startBackends('echo');
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("Check limit-rate config")
  test('Check limit-rate config', async () => {
    s = await startScenario(objects({}), CONFIGMAP_REF);
    expect(s.conf).not.toContain('limit_rate');
    expect((await s.get(HOST, '/')).status).toBe(200);

    await s.update(objects({ 'limit-rate': '1' }));
    expect(s.conf).toContain('limit_rate 1k;');
    expect(s.model.warnings).toEqual([]);
    await expectThrottled(s, HOST);

    await s.update(objects({ 'limit-rate': '90' }));
    expect(s.conf).toContain('limit_rate 90k;');
    expect((await timedPost(s, HOST)).status).toBe(200);
  });

  // Not an It of limit_rate.go: a malformed ConfigMap value is a warning and the default (no limit) stays.
  test('a malformed limit-rate is ignored with a warning', async () => {
    await s!.update(objects({ 'limit-rate': '1m' }));
    expect(s!.conf).not.toContain('limit_rate');
    expect(s!.model.warnings.map((w) => w.message)).toEqual([expect.stringContaining('limit-rate')]);
  });
});
