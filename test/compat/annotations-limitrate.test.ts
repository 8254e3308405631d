// Replays kubernetes/ingress-nginx test/e2e/annotations/limitrate.go ("limit-rate") as real requests through
// Portico's render pipeline, a real nginx and an echo backend. ingress-nginx asserts `limit_rate 1k;` and then
// `limit_rate 90k;` in nginx.conf; here the 1 KB/s answer is also seen to be throttled.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';
import { expectThrottled, timedPost } from './limit-rate.js';

const P = 'nginx.ingress.kubernetes.io';
const HOST = 'limit-rate-annotation';

describe('ingress-nginx annotations/limitrate.go', () => {
  let backends: Backends;
  let s: Scenario | undefined;
  const objects = (limitRate: string, extra: Record<string, string> = {}) => [
    INGRESS_CLASS,
    ...serviceFor('default', 'echo', [backends.by.echo!]),
    singleIngress(HOST, HOST, 'echo', { annotations: { [`${P}/proxy-buffering`]: 'on', [`${P}/limit-rate`]: limitRate, ...extra } }),
  ];

  beforeAll(async () => {
    backends = await startBackends('echo');
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("Check limit-rate annotation")
  test('Check limit-rate annotation', async () => {
    s = await startScenario(objects('1'));
    expect(s.conf).toContain('limit_rate 1k;');
    expect(s.model.warnings).toEqual([]);
    await expectThrottled(s, HOST);

    // The Ingress is updated to 90: nginx.conf says so after the reload, and the answer still arrives whole.
    await s.update(objects('90'));
    expect(s.conf).toContain('limit_rate 90k;');
    expect(s.conf).not.toContain('limit_rate 1k;');
    const r = await timedPost(s, HOST);
    expect(r.status).toBe(200);
  });

  // Not an It of limitrate.go: limit-rate-after (documented with it) lets the first KB out at full speed.
  test('limit-rate-after is written beside limit-rate', async () => {
    await s!.update(objects('1', { [`${P}/limit-rate-after`]: '64' }));
    expect(s!.conf).toContain('limit_rate 1k;');
    expect(s!.conf).toContain('limit_rate_after 64k;');
    expect((await timedPost(s!, HOST)).status).toBe(200);
  });
});
