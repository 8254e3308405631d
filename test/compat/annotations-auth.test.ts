// Replays kubernetes/ingress-nginx test/e2e/annotations/auth.go (its basic-auth status codes, auth-file and
// auth-map Secrets, the auth-signin redirect, auth-response-headers, and the "cookie set by external
// authentication server" cases) as real requests through Portico's render pipeline, a real nginx, a real auth
// service and an echo backend. Its Its about auth-snippet, auth-cache-*, auth-keepalive* and auth-proxy-set-headers
// are about keys Portico does not support (README, "Partial or not supported").
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { installedSetMisc } from '../../src/cli/options.js';
import { DEFAULT_MODEL_OPTIONS } from '../../src/model/types.js';
import type { KubeObject } from '../../src/store/types.js';
import { basic, shaHash, startAuthService, type AuthService } from '../support/auth.js';
import { INGRESS_CLASS, renderChecked, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
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

describe('ingress-nginx annotations/auth.go: when external authentication is configured (auth-signin)', () => {
  let backends: Backends;
  let auth: AuthService;
  let s: Scenario;
  // The CLI finds Debian's libnginx-mod-http-set-misc (scripts/install-deps.sh) and escapes rd= with it.
  const setMiscModule = installedSetMisc(DEFAULT_MODEL_OPTIONS.nginxModulesDir!);

  beforeAll(async () => {
    backends = await startBackends('echo');
    auth = await startAuthService();
    const url = `http://127.0.0.1:${auth.port}/auth`;
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor('default', 'echo', [backends.by.echo!]),
        singleIngress('auth', 'auth', 'echo', { annotations: { [`${P}/auth-url`]: url, [`${P}/auth-signin`]: 'http://login.test/auth/start' } }),
        singleIngress('orig', 'orig.auth', 'echo', {
          annotations: { [`${P}/auth-url`]: url, [`${P}/auth-signin`]: 'http://login.test/auth/start', [`${P}/auth-signin-redirect-param`]: 'orig' },
        }),
      ],
      { setMiscModule },
    );
  });
  afterAll(async () => {
    await s?.stop();
    await auth?.stop();
    await backends?.stopAll();
  });

  test('the set-misc module is installed (scripts/install-deps.sh, the Dockerfile)', () => {
    expect(setMiscModule).toBe('/usr/lib/nginx/modules/ngx_http_set_misc_module.so');
  });

  // It("should return status code 200 when signed in")
  test('should return status code 200 when signed in', async () => {
    expect((await s.get('auth', '/', { headers: { authorization: 'Bearer good' } })).status).toBe(200);
  });

  // set-misc and the Lua module of dynamic endpoints both need NDK: nginx -t passes with NDK loaded once.
  test('with dynamic endpoints (Lua) as well, NDK is loaded once and nginx -t passes', async () => {
    const { conf } = await renderChecked(
      [INGRESS_CLASS, ...serviceFor('default', 'echo', [backends.by.echo!]), singleIngress('auth', 'auth', 'echo', { annotations: { [`${P}/auth-url`]: 'http://127.0.0.1:9/auth', [`${P}/auth-signin`]: 'http://login.test/start' } })],
      { setMiscModule, dynamicEndpoints: true, statusPort: 10246 },
    );
    expect(conf.match(/load_module "[^"]*ndk_http_module\.so";/g)).toHaveLength(1);
    expect(conf).toContain('set_escape_uri $portico_escaped_request_uri $request_uri;');
  });

  // It("should redirect to signin url when not signed in"): rd= is the URL with its URI query-escaped.
  test('should redirect to signin url when not signed in', async () => {
    const r = await s.get('auth', '/?a=b&c=d');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(`http://login.test/auth/start?rd=http://auth${encodeURIComponent('/?a=b&c=d')}`);
  });

  // Context("when external authentication is configured with a custom redirect param"),
  // It("should redirect to signin url when not signed in")
  test('with a custom redirect param: should redirect to signin url when not signed in', async () => {
    const r = await s.get('orig.auth', '/?a=b&c=d');
    expect([r.status, r.headers.location]).toEqual([302, `http://login.test/auth/start?orig=http://orig.auth${encodeURIComponent('/?a=b&c=d')}`]);
  });
});

describe('ingress-nginx annotations/auth.go: basic auth status codes', () => {
  let backends: Backends;
  let s: Scenario;
  // ingress-nginx's buildSecret: "foo:" + bcrypt("bar") (cost 14 there; 5 here, the same check, 500 times less work).
  const BCRYPT_BAR = '$2a$05$abcdefghijklmnopqrstuuUq7qXkDOZJ5Q8HA9wCOH0FErWp6q0b6';
  const secret = (name: string, data: Record<string, string>): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: 'default' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }) as KubeObject;
  const basicAuth = (secretName: string, extra: Record<string, string> = {}) => ({ [`${P}/auth-type`]: 'basic', [`${P}/auth-secret`]: secretName, [`${P}/auth-realm`]: 'test auth', ...extra });

  beforeAll(async () => {
    backends = await startBackends('echo');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      secret('test', { auth: `foo:${BCRYPT_BAR}\n` }),
      secret('test-map', { foo: BCRYPT_BAR }),
      singleIngress('none', 'none.auth', 'echo'),
      singleIngress('invalid-secret', 'invalid-secret.auth', 'echo', { annotations: basicAuth('something') }),
      singleIngress('auth', 'auth', 'echo', { annotations: basicAuth('test') }),
      singleIngress('cors', 'cors.auth', 'echo', { annotations: basicAuth('test', { [`${P}/enable-cors`]: 'true' }) }),
      singleIngress('map', 'map.auth', 'echo', { annotations: basicAuth('test-map', { [`${P}/auth-secret-type`]: 'auth-map' }) }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should return status code 200 when no authentication is configured")
  test('should return status code 200 when no authentication is configured', async () => {
    const r = await s.get('none.auth', '/');
    expect([r.status, r.echo?.host]).toEqual([200, 'none.auth']);
  });

  // It("should return status code 503 when authentication is configured with an invalid secret")
  test('should return status code 503 when authentication is configured with an invalid secret', async () => {
    const r = await s.get('invalid-secret.auth', '/');
    expect(r.status).toBe(503);
    expect(r.body).toContain('503 Service Temporarily Unavailable');
  });

  // It("should return status code 401 when authentication is configured but Authorization header is not configured")
  test('should return status code 401 when authentication is configured but Authorization header is not configured', async () => {
    const r = await s.get('auth', '/');
    expect(r.status).toBe(401);
    expect(r.body).toContain('401 Authorization Required');
  });

  // It("should return status code 401 when authentication is configured and Authorization header is sent with invalid credentials")
  test('should return status code 401 when authentication is configured and Authorization header is sent with invalid credentials', async () => {
    const r = await s.get('auth', '/', { headers: basic('user', 'pass') });
    expect(r.status).toBe(401);
    expect(r.body).toContain('401 Authorization Required');
  });

  // It("should return status code 401 and cors headers when authentication and cors is configured but Authorization header is not configured")
  test('should return status code 401 and cors headers when authentication and cors is configured but Authorization header is not configured', async () => {
    const r = await s.get('cors.auth', '/');
    expect([r.status, r.headers['access-control-allow-origin']]).toEqual([401, '*']);
  });

  // It("should return status code 200 when authentication is configured and Authorization header is sent")
  test('should return status code 200 when authentication is configured and Authorization header is sent', async () => {
    expect((await s.get('auth', '/', { headers: basic('foo', 'bar') })).status).toBe(200);
  });

  // It("should return status code 200 when authentication is configured with a map and Authorization header is sent")
  test('should return status code 200 when authentication is configured with a map and Authorization header is sent', async () => {
    expect((await s.get('map.auth', '/', { headers: basic('foo', 'bar') })).status).toBe(200);
    expect((await s.get('map.auth', '/', { headers: basic('foo', 'baz') })).status).toBe(401);
  });
});

describe('ingress-nginx annotations/auth.go: when external authentication is configured', () => {
  let backends: Backends;
  let auth: AuthService;
  let s: Scenario;
  let url: string;
  const external = (extra: Record<string, string> = {}) => ({ [`${P}/auth-url`]: url, [`${P}/auth-signin`]: 'http://$host/auth/start', ...extra });
  const objects = (authAnnotations: Record<string, string>) => [
    INGRESS_CLASS,
    ...serviceFor('default', 'echo', [backends.by.echo!]),
    singleIngress('auth', 'auth', 'echo', { annotations: authAnnotations }),
    singleIngress('different', 'different', 'echo'),
  ];
  // The auth service lets "Bearer good" in, as httpbun's /basic-auth/user/password lets user:password in.
  const signedIn = { authorization: 'Bearer good' };

  beforeAll(async () => {
    backends = await startBackends('echo');
    auth = await startAuthService();
    url = `http://127.0.0.1:${auth.port}/auth`;
    s = await startScenario(objects(external()));
  });
  afterAll(async () => {
    await s?.stop();
    await auth?.stop();
    await backends?.stopAll();
  });

  // It("keeps processing new ingresses even if one of the existing ingresses is misconfigured")
  test('keeps processing new ingresses even if one of the existing ingresses is misconfigured', async () => {
    await s.update(objects(external({ [`${P}/auth-type`]: 'basic', [`${P}/auth-secret`]: 'something', [`${P}/auth-realm`]: 'test auth' })));
    expect((await s.get('different', '/')).status).toBe(200);
  });

  // It("should overwrite Foo header with auth response")
  test('should overwrite Foo header with auth response', async () => {
    await s.update(objects(external({ [`${P}/auth-response-headers`]: 'Foo' })));
    const r = await s.get('auth', '/', { headers: { ...signedIn, Foo: 'bar' } });
    expect(r.status).toBe(200);
    // The auth answer has no Foo: the client's own Foo: bar does not reach the backend.
    expect(r.echo!.headers.foo ?? '').not.toBe('bar');
  });
});
