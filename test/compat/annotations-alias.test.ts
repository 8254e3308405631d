// Replays kubernetes/ingress-nginx test/e2e/annotations/alias.go ("server-alias") as real requests through
// Portico's render pipeline, a real nginx and an echo backend. Each It runs in its own namespace in
// ingress-nginx, so each case here has its own scenario (they all use the hosts foo and bar).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const ALIAS = { 'nginx.ingress.kubernetes.io/server-alias': 'bar' };

describe('ingress-nginx annotations/alias.go', () => {
  let backends: Backends;
  beforeAll(async () => {
    backends = await startBackends('echo');
  });
  afterAll(async () => {
    await backends?.stopAll();
  });

  async function withScenario(ingresses: KubeObject[], check: (s: Awaited<ReturnType<typeof startScenario>>) => Promise<void>): Promise<void> {
    const s = await startScenario([INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), ...ingresses]);
    try {
      expect(s.model.warnings).toEqual([]);
      await check(s);
    } finally {
      await s.stop();
    }
  }

  // It("should return status code 200 for host 'foo' and 404 for 'bar'")
  test("should return status code 200 for host 'foo' and 404 for 'bar'", async () => {
    await withScenario([singleIngress('foo', 'foo', 'echo')], async (s) => {
      const foo = await s.get('foo', '/');
      expect([foo.status, foo.echo?.host]).toEqual([200, 'foo']);
      const bar = await s.get('bar', '/');
      expect(bar.status).toBe(404);
      expect(bar.body).toContain('404 Not Found');
    });
  });

  // It("should return status code 200 for host 'foo' and 'bar'")
  test("should return status code 200 for host 'foo' and 'bar'", async () => {
    await withScenario([singleIngress('foo', 'foo', 'echo', { annotations: ALIAS })], async (s) => {
      for (const host of ['foo', 'bar']) {
        const r = await s.get(host, '/');
        expect([r.status, r.echo?.host]).toEqual([200, host]);
      }
    });
  });

  // It("should return status code 200 for hosts defined in two ingresses, different path with one alias")
  test('should return status code 200 for hosts defined in two ingresses, different path with one alias', async () => {
    await withScenario([singleIngress('app-a', 'foo', 'echo', { path: '/app-a' }), singleIngress('app-b', 'foo', 'echo', { path: '/app-b', annotations: ALIAS })], async (s) => {
      for (const host of ['foo', 'bar']) {
        const r = await s.get(host, '/app-a');
        expect([r.status, r.echo?.host, r.echo?.path]).toEqual([200, host, '/app-a']);
      }
    });
  });
});
