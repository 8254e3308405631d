// Replays kubernetes/ingress-nginx test/e2e/settings/configmap_change.go ("Configmap change") through
// Portico's render pipeline and a real nginx: a whitelist-source-range added to the ConfigMap applies after
// the reload (ingress-nginx asserts `allow 1.1.1.1;` and a new configuration checksum; here the client at
// 127.0.0.1 is refused). Its second step, error-log-level, is a key Portico does not support.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'configmap-change';

describe('ingress-nginx settings/configmap_change.go', () => {
  let backends: Backends;
  let s: Scenario;
  const objects = (data: Record<string, string>) => [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo'), configMap(data)];

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario(objects({}), CONFIGMAP_REF);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should reload after an update in the configuration")
  test('should reload after an update in the configuration', async () => {
    expect((await s.get(HOST, '/')).status).toBe(200);
    const before = s.conf;
    await s.update(objects({ 'whitelist-source-range': '1.1.1.1' }));
    expect(s.conf).toContain('allow 1.1.1.1;');
    expect(s.conf).not.toBe(before);
    expect((await s.get(HOST, '/')).status).toBe(403);
    // The client's own address in the list lets it in again.
    await s.update(objects({ 'whitelist-source-range': '1.1.1.1, 127.0.0.1' }));
    expect((await s.get(HOST, '/')).status).toBe(200);
  });
});
