// Replays kubernetes/ingress-nginx test/e2e/settings/enable_real_ip.go ("enable-real-ip") as real requests
// through Portico's render pipeline, a real nginx and an echo backend that shows the headers it received.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const HOST = 'forwarded-for-header';
const CLIENT_HEADERS = { 'X-Forwarded-Port': '1234', 'X-Forwarded-Proto': 'myproto', 'X-Forwarded-For': '1.2.3.4', 'X-Forwarded-Host': 'myhost' };

describe('ingress-nginx settings/enable_real_ip.go', () => {
  let backends: Backends;
  const scenarios: Scenario[] = [];
  const start = async (enableRealIp: string): Promise<Scenario> => {
    const objects = [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress(HOST, HOST, 'echo'), configMap({ 'enable-real-ip': enableRealIp })];
    const s = await startScenario(objects, CONFIGMAP_REF);
    scenarios.push(s);
    return s;
  };

  beforeAll(async () => {
    backends = await startBackends('echo');
  });
  afterAll(async () => {
    for (const s of scenarios) await s.stop();
    await backends?.stopAll();
  });

  // It("trusts X-Forwarded-For header only when setting is true")
  test('trusts X-Forwarded-For header only when setting is true', async () => {
    const s = await start('true');
    expect(s.model.warnings).toEqual([]);
    const r = await s.get(HOST, '/', { headers: CLIENT_HEADERS });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    // The client address is believed; Host, proto and port are not (that takes use-forwarded-headers).
    expect(h['x-forwarded-for']).toBe('1.2.3.4');
    expect(h.host).toBe(HOST);
    expect(h['x-forwarded-host']).toBe(HOST);
    expect(h['x-forwarded-proto']).toBe('http');
    // ingress-nginx's pod listens on 80; this nginx on a free port: X-Forwarded-Port is the port the request reached.
    expect(h['x-forwarded-port']).toBe(String(s.httpPort));
  });

  // It("should not trust X-Forwarded-For header when setting is false")
  test('should not trust X-Forwarded-For header when setting is false', async () => {
    const s = await start('false');
    const r = await s.get(HOST, '/', { headers: CLIENT_HEADERS });
    expect(r.status).toBe(200);
    const h = r.echo!.headers;
    expect(h.host).toBe(HOST);
    expect(h['x-forwarded-port']).toBe(String(s.httpPort));
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-original-forwarded-for']).toBe('1.2.3.4');
    expect(h['x-original-forwarded-host']).toBe('myhost');
    expect(h['x-forwarded-host']).toBe(HOST);
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
  });
});
