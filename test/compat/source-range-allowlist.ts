// The replay shared by ingress-nginx's annotations/ipallowlist.go and ipwhitelist.go, which assert the same
// thing under the two names of one key: the server's `allow 18.0.0.0/8; allow 56.0.0.0/8; deny all;`. Here,
// what that means for a client. The tests' clients are 127.0.0.1 and 127.0.0.2, so the same list with a
// loopback address added shows the allow side.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const FROM_1 = { localAddress: '127.0.0.1' };
const FROM_2 = { localAddress: '127.0.0.2' };

/** `word` is ingress-nginx's: "allowlist" or "whitelist", naming the key, the hosts and the It(...). */
export function replayAllowlist(word: 'allowlist' | 'whitelist'): void {
  describe(`ingress-nginx annotations/ip${word}.go`, () => {
    let backends: Backends;
    let s: Scenario;

    beforeAll(async () => {
      backends = await startBackends('echo');
      s = await startScenario([
        INGRESS_CLASS,
        ...serviceFor('default', 'echo', [backends.by.echo!]),
        singleIngress(`ip${word}`, `ip${word}.foo.com`, 'echo', { annotations: { [`${P}/${word}-source-range`]: '18.0.0.0/8, 56.0.0.0/8' } }),
        singleIngress(`ip${word}-lo`, `ip${word}-lo.foo.com`, 'echo', { annotations: { [`${P}/${word}-source-range`]: '18.0.0.0/8, 127.0.0.2/32' } }),
      ]);
    });
    afterAll(async () => {
      await s?.stop();
      await backends?.stopAll();
    });

    // It("should set valid ip allowlist range") / It("should set valid ip whitelist range")
    test(`should set valid ip ${word} range`, async () => {
      // deny all: a client outside 18.0.0.0/8 and 56.0.0.0/8 is refused.
      expect((await s.get(`ip${word}.foo.com`, '/', FROM_1)).status).toBe(403);
      // allow: a listed client passes, the others are still refused.
      const listed = await s.get(`ip${word}-lo.foo.com`, '/', FROM_2);
      expect([listed.status, listed.echo?.service]).toEqual([200, 'echo']);
      expect((await s.get(`ip${word}-lo.foo.com`, '/', FROM_1)).status).toBe(403);
      expect(s.model.warnings).toEqual([]);
    });
  });
}
