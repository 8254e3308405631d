// Replays kubernetes/ingress-nginx test/e2e/annotations/ipdenylist.go ("denylist-source-range") as real
// requests through Portico's render pipeline, a real nginx and an echo backend. ingress-nginx asserts the
// server's `deny` (and, with a whitelist, `allow` and `deny all`) lines: here, what they mean for a client.
// The tests' clients are 127.0.0.1 and 127.0.0.2, so the same lists with a loopback address added show the
// deny side, and that the denylist is checked before the allowlist.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { CONFIGMAP_REF, configMap, singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const FROM_1 = { localAddress: '127.0.0.1' };
const FROM_2 = { localAddress: '127.0.0.2' };

describe('ingress-nginx annotations/ipdenylist.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    const deny = (name: string, list: string, whitelist?: string) =>
      singleIngress(name, `${name}.foo.com`, 'echo', {
        annotations: { [`${P}/denylist-source-range`]: list, ...(whitelist ? { [`${P}/whitelist-source-range`]: whitelist } : {}) },
      });
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      deny('ipdenylist', '18.0.0.0/8, 56.0.0.0/8'),
      deny('ipdenylist-lo', '18.0.0.0/8, 127.0.0.2/32'),
      deny('ipdenylist-white', '18.0.0.0/8, 56.0.0.0/8', '17.0.0.0/8, 55.0.0.0/8'),
      deny('ipdenylist-white-lo', '18.0.0.0/8, 127.0.0.2/32', '17.0.0.0/8, 127.0.0.0/8'),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should set valid ip denylist range when whitelist")
  test('should set valid ip denylist range when whitelist', async () => {
    // Only the listed ranges are denied: no `deny all` without a whitelist.
    const other = await s.get('ipdenylist.foo.com', '/', FROM_1);
    expect([other.status, other.echo?.service]).toEqual([200, 'echo']);
    expect((await s.get('ipdenylist-lo.foo.com', '/', FROM_2)).status).toBe(403);
    expect((await s.get('ipdenylist-lo.foo.com', '/', FROM_1)).status).toBe(200);
  });

  // It("should set valid ip denylist range when whitelist is set")
  test('should set valid ip denylist range when whitelist is set', async () => {
    // deny 18/8, 56/8; allow 17/8, 55/8; deny all: a client in none of them is refused.
    expect((await s.get('ipdenylist-white.foo.com', '/', FROM_1)).status).toBe(403);
    // The deny lines come first: 127.0.0.2 is in both lists and is refused; 127.0.0.1 is allowed.
    expect((await s.get('ipdenylist-white-lo.foo.com', '/', FROM_2)).status).toBe(403);
    const allowed = await s.get('ipdenylist-white-lo.foo.com', '/', FROM_1);
    expect([allowed.status, allowed.echo?.service]).toEqual([200, 'echo']);
    expect(s.model.warnings).toEqual([]);
  });
});

// The newer version of ipdenylist.go (two Its that trust X-Forwarded-For through use-forwarded-headers and send
// the client address in it).
describe('ingress-nginx annotations/ipdenylist.go, with use-forwarded-headers', () => {
  let backends: Backends;
  let s: Scenario;
  const from = (address: string) => ({ headers: { 'X-Forwarded-For': address } });

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor('default', 'echo', [backends.by.echo!]),
        singleIngress('deny-only', 'ipdenylist.foo.com', 'echo', { annotations: { [`${P}/denylist-source-range`]: '18.0.0.0/8, 56.0.0.1' } }),
        singleIngress('deny-allow', 'ipdenylist-allow.foo.com', 'echo', {
          annotations: { [`${P}/denylist-source-range`]: '18.1.0.0/16, 56.0.0.0/8', [`${P}/whitelist-source-range`]: '18.0.0.0/8, 55.0.0.0/8' },
        }),
        configMap({ 'use-forwarded-headers': 'true' }),
      ],
      CONFIGMAP_REF,
    );
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("only deny explicitly denied IPs, allow all others")
  test('only deny explicitly denied IPs, allow all others', async () => {
    const seen: Array<[string, number]> = [];
    for (const address of ['18.0.0.1', '56.0.0.1', '56.0.0.2']) seen.push([address, (await s.get('ipdenylist.foo.com', '/', from(address))).status]);
    expect(seen).toEqual([['18.0.0.1', 403], ['56.0.0.1', 403], ['56.0.0.2', 200]]);
  });

  // It("only allow explicitly allowed IPs, deny all others")
  test('only allow explicitly allowed IPs, deny all others', async () => {
    const seen: Array<[string, number]> = [];
    for (const address of ['18.1.0.1', '10.10.10.10', '18.4.0.1', '55.55.55.55']) seen.push([address, (await s.get('ipdenylist-allow.foo.com', '/', from(address))).status]);
    expect(seen).toEqual([['18.1.0.1', 403], ['10.10.10.10', 403], ['18.4.0.1', 200], ['55.55.55.55', 200]]);
  });
});
