// Replays kubernetes/ingress-nginx test/e2e/annotations/affinity.go ("affinity session-cookie-name") as real
// requests through Portico's render pipeline, a real nginx (http and https) and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { makeCertificate, tlsSecret } from '../support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const cookieOf = (headers: Record<string, unknown>): string => ([headers['set-cookie']].flat()[0] as string | undefined) ?? '';

describe('ingress-nginx annotations/affinity.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    const affinity = (extra: Record<string, string>) => ({ [`${P}/affinity`]: 'cookie', [`${P}/session-cookie-name`]: 'SERVERID', ...extra });
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      tlsSecret('default', 'tls-foo', await makeCertificate('tls.foo.com')),
      singleIngress('secure-true', 'secure-true.foo.com', 'echo', { path: '/bar', annotations: affinity({ [`${P}/session-cookie-secure`]: 'true' }) }),
      singleIngress('secure-false', 'secure-false.foo.com', 'echo', { path: '/bar', annotations: affinity({ [`${P}/session-cookie-secure`]: 'false' }) }),
      singleIngress('tls', 'tls.foo.com', 'echo', { tlsSecret: 'tls-foo', annotations: affinity({ [`${P}/session-cookie-secure`]: 'false' }) }),
      singleIngress('separate1', 'separate.foo.com', 'echo', { path: '/foo/bar', annotations: { [`${P}/affinity`]: 'cookie' } }),
      singleIngress('separate2', 'separate.foo.com', 'echo', { path: '/foo' }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should set secure in cookie with provided true annotation on http")
  test('should set secure in cookie with provided true annotation on http', async () => {
    const r = await s.get('secure-true.foo.com', '/bar');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('; Secure');
  });

  // It("should not set secure in cookie with provided false annotation on http")
  test('should not set secure in cookie with provided false annotation on http', async () => {
    const r = await s.get('secure-false.foo.com', '/bar');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toMatch(/^SERVERID=/);
    expect(cookieOf(r.headers)).not.toContain('; Secure');
  });

  // It("should set secure in cookie with provided false annotation on https")
  test('should set secure in cookie with provided false annotation on https', async () => {
    const r = await s.getTls('tls.foo.com', '/');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('; Secure');
  });

  // It("should not set affinity across all server locations when using separate ingresses")
  test('should not set affinity across all server locations when using separate ingresses', async () => {
    expect((await s.get('separate.foo.com', '/foo')).headers['set-cookie']).toBeUndefined();
    expect(cookieOf((await s.get('separate.foo.com', '/foo/bar')).headers)).toContain('Path=/foo/bar');
  });
});
