// Replays kubernetes/ingress-nginx test/e2e/annotations/xforwardedprefix.go ("x-forwarded-prefix") as real
// requests through Portico's render pipeline, a real nginx and an echo backend: the headers it received.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/xforwardedprefix.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('xfp', 'xfp.baz.com', 'echo', { annotations: { [`${P}/x-forwarded-prefix`]: '/test/value', [`${P}/rewrite-target`]: '/foo' } }),
      singleIngress('noxfp', 'noxfp.baz.com', 'echo', { annotations: { [`${P}/x-forwarded-prefix`]: '', [`${P}/rewrite-target`]: '/foo' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should set the X-Forwarded-Prefix to the annotation value")
  test('should set the X-Forwarded-Prefix to the annotation value', async () => {
    const r = await s.get('xfp.baz.com', '/');
    expect(r.status).toBe(200);
    expect(r.echo?.headers['x-forwarded-prefix']).toBe('/test/value');
  });

  // It("should not add X-Forwarded-Prefix if the annotation value is empty")
  test('should not add X-Forwarded-Prefix if the annotation value is empty', async () => {
    const r = await s.get('noxfp.baz.com', '/');
    expect(r.status).toBe(200);
    expect(r.echo?.headers).toBeDefined();
    expect(Object.keys(r.echo!.headers)).not.toContain('x-forwarded-prefix');
  });
});
