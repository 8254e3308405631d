// Replays kubernetes/ingress-nginx test/e2e/annotations/auth.go (basic auth with invalid Secret content, and
// the "cookie set by external authentication server" cases) as real requests through Portico's render pipeline, a real nginx, a real auth service and
// an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { basic, shaHash, startAuthService, type AuthService } from '../support/auth.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const HOST = 'auth';
const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/auth.go: cookie set by external authentication server', () => {
  let backends: Backends;
  let auth: AuthService;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('http-cookie-with-error');
    auth = await startAuthService();
    const url = `http://127.0.0.1:${auth.port}/cookies/set/alma/armud`;
    const svc = serviceFor('default', 'http-cookie-with-error', [backends.by['http-cookie-with-error']!]);
    s = await startScenario([
      INGRESS_CLASS,
      ...svc,
      singleIngress(HOST, HOST, 'http-cookie-with-error', { annotations: { [`${P}/auth-url`]: url } }),
      singleIngress(`${HOST}-error`, HOST, 'http-cookie-with-error', { path: '/error', annotations: { [`${P}/auth-url`]: url } }),
      singleIngress(`${HOST}-always`, HOST, 'http-cookie-with-error', { path: '/always', annotations: { [`${P}/auth-url`]: url, [`${P}/auth-always-set-cookie`]: 'true' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await auth?.stop();
    await backends?.stopAll();
  });

  // It("user retains cookie by default")
  test('user retains cookie by default', async () => {
    const r = await s.get(HOST, '/?a=b&c=d');
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toEqual(['alma=armud']);
  });

  // It("user does not retain cookie if upstream returns error status code") (the upstream answers 503)
  test('user does not retain cookie if upstream returns error status code', async () => {
    const r = await s.get(HOST, '/error?a=b&c=d', { headers: { 'x-echo-status': '503' } });
    expect(r.status).toBe(503);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  // It("user with annotated ingress retains cookie if upstream returns error status code")
  test('user with annotated ingress retains cookie if upstream returns error status code', async () => {
    const r = await s.get(HOST, '/always?a=b&c=d', { headers: { 'x-echo-status': '503' } });
    expect(r.status).toBe(503);
    expect(r.headers['set-cookie']).toEqual(['alma=armud']);
  });
});

describe('ingress-nginx annotations/auth.go: basic auth', () => {
  let backends: Backends;
  let s: Scenario;
  const secret = (name: string, auth: string): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: 'default' }, data: { auth: Buffer.from(auth).toString('base64') } }) as KubeObject;
  const basicAuth = (secretName: string) => ({ [`${P}/auth-type`]: 'basic', [`${P}/auth-secret`]: secretName, [`${P}/auth-realm`]: 'test auth' });

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      secret('test', 'foo:'),
      secret('mixed', `foo:\nalice:${shaHash('wonderland')}\n`),
      singleIngress('auth', 'auth', 'echo', { annotations: basicAuth('test') }),
      singleIngress('mixed', 'mixed.auth', 'echo', { annotations: basicAuth('mixed') }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should return status code 401 when authentication is configured with invalid content and Authorization header is sent")
  test('should return status code 401 when authentication is configured with invalid content and Authorization header is sent', async () => {
    expect((await s.get('auth', '/', { headers: basic('foo', 'bar') })).status).toBe(401);
    expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/line 1 of "auth": the password hash is not valid; the line is ignored/));
  });

  // The other lines of such a Secret still sign in (nginx skips the user it cannot check).
  test('an unusable line does not lock out the usable ones', async () => {
    expect((await s.get('mixed.auth', '/', { headers: basic('alice', 'wonderland') })).status).toBe(200);
    expect((await s.get('mixed.auth', '/', { headers: basic('foo', 'bar') })).status).toBe(401);
  });
});
