// Replays kubernetes/ingress-nginx test/e2e/annotations/affinity.go ("affinity session-cookie-name", every It)
// as real requests through Portico's render pipeline, a real nginx (http and https) and an echo backend.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { makeCertificate, tlsSecret } from '../support/certs.js';
import { installedLua } from '../../src/cli/options.js';
import { DEFAULT_MODEL_OPTIONS } from '../../src/model/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
/** One Ingress, two Prefix paths (/something, /somewhereelse) to the same Service. */
function twoPathIngress(host: string, annotations: Record<string, string>): KubeObject {
  const path = (p: string) => ({ path: p, pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: 80 } } } });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: host, namespace: 'default', annotations, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { ingressClassName: 'portico', rules: [{ host, http: { paths: [path('/something'), path('/somewhereelse')] } }] },
  } as KubeObject;
}

/** framework.NewSingleIngress with host "": a rule without a host. */
function noHostIngress(name: string, annotations: Record<string, string>): KubeObject {
  const ing = singleIngress(name, 'unused', 'echo', { annotations }) as KubeObject & { spec: { rules: Array<{ host?: string }> } };
  delete ing.spec.rules[0]!.host;
  return ing;
}

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
      singleIngress('sticky', 'sticky.foo.com', 'echo', { annotations: affinity({}) }),
      singleIngress('change', 'change.foo.com', 'echo', { annotations: affinity({}) }),
      singleIngress('path', 'path.foo.com', 'echo', { path: '/something', annotations: affinity({}) }),
      twoPathIngress('morethanonerule.foo.com', affinity({})),
      singleIngress('cookieexpires', 'cookieexpires.foo.com', 'echo', {
        annotations: { [`${P}/affinity`]: 'cookie', [`${P}/session-cookie-name`]: 'ExpiresCookie', [`${P}/session-cookie-expires`]: '172800', [`${P}/session-cookie-max-age`]: '259200' },
      }),
      singleIngress('cookiedomain', 'cookiedomain.foo.com', 'echo', { annotations: { [`${P}/affinity`]: 'cookie', [`${P}/session-cookie-name`]: 'DomainCookie', [`${P}/session-cookie-domain`]: 'foo.bar' } }),
      singleIngress('cookienodomain', 'cookienodomain.foo.com', 'echo', { annotations: { [`${P}/affinity`]: 'cookie', [`${P}/session-cookie-name`]: 'NoDomainCookie' } }),
      singleIngress('useregex', 'useregex.foo.com', 'echo', { path: '/foo/.*', pathType: 'ImplementationSpecific', annotations: affinity({ [`${P}/use-regex`]: 'true', [`${P}/session-cookie-path`]: '/foo/bar' }) }),
      singleIngress('useregexwarn', 'useregexwarn.foo.com', 'echo', { path: '/foo/.*', pathType: 'ImplementationSpecific', annotations: affinity({ [`${P}/use-regex`]: 'true' }) }),
      noHostIngress('default-no-host', affinity({})),
      singleIngress('alias', 'foo.com', 'echo', { path: '/bar', annotations: affinity({ [`${P}/server-alias`]: 'a1.foo.com,a2.foo.com' }) }),
    ], { luaModule: installedLua(DEFAULT_MODEL_OPTIONS.nginxModulesDir!) });
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

  // It("should set sticky cookie SERVERID")
  test('should set sticky cookie SERVERID', async () => {
    const r = await s.get('sticky.foo.com', '/');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('SERVERID=');
  });

  // It("should set the path to /something on the generated cookie")
  test('should set the path to /something on the generated cookie', async () => {
    const r = await s.get('path.foo.com', '/something');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('Path=/something');
  });

  // It("does not set the path to / on the generated cookie if there's more than one rule referring to the same backend")
  test("does not set the path to / on the generated cookie if there's more than one rule referring to the same backend", async () => {
    for (const path of ['/something', '/somewhereelse']) {
      const r = await s.get('morethanonerule.foo.com', path);
      expect(r.status).toBe(200);
      expect(cookieOf(r.headers)).toContain(`Path=${path}`);
    }
  });

  // It("should set cookie with expires")
  test('should set cookie with expires', async () => {
    const r = await s.get('cookieexpires.foo.com', '/');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('Max-Age=259200');
    // ingress-nginx's check: Expires= now + 48 h in GMT, formatted "Mon, 02-Jan-06 15:04" (to the minute). The
    // date is taken after the answer; either side of a minute boundary the one just before is accepted too.
    const expected = (at: number) => {
      const d = new Date(at + 48 * 3600 * 1000);
      const day = d.toUTCString().slice(0, 3);
      const two = (n: number) => String(n).padStart(2, '0');
      const month = d.toUTCString().slice(8, 11);
      return `${day}, ${two(d.getUTCDate())}-${month}-${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
    };
    const now = Date.now();
    expect([expected(now), expected(now - 60_000)].map((e) => cookieOf(r.headers).includes(`Expires=${e}`))).toContain(true);
    expect(cookieOf(r.headers)).toMatch(/Expires=\w{3}, \d{2}-\w{3}-\d{2} \d{2}:\d{2}:\d{2} GMT;/);
  });

  // Not an It of affinity.go: without the Lua module (not installed) the same Ingress sends Max-Age, no Expires=.
  test('should set cookie with expires: Max-Age only without the Lua module', async () => {
    expect(installedLua(DEFAULT_MODEL_OPTIONS.nginxModulesDir!)).toBe('/usr/lib/nginx/modules/ngx_http_lua_module.so');
    const plain = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('cookieexpires', 'cookieexpires.foo.com', 'echo', { annotations: { [`${P}/affinity`]: 'cookie', [`${P}/session-cookie-expires`]: '172800' } }),
    ]);
    try {
      const r = await plain.get('cookieexpires.foo.com', '/');
      expect(r.status).toBe(200);
      expect(cookieOf(r.headers)).toContain('Max-Age=172800');
      expect(cookieOf(r.headers)).not.toContain('Expires=');
      expect(plain.conf).not.toContain('ngx_http_lua_module');
      expect(plain.model.warnings.map((w) => w.message)).toEqual([expect.stringContaining('session-cookie-expires is sent as Max-Age')]);
    } finally {
      await plain.stop();
    }
  });

  // It("should set cookie with domain")
  test('should set cookie with domain', async () => {
    const r = await s.get('cookiedomain.foo.com', '/');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('Domain=foo.bar');
  });

  // It("should not set cookie without domain annotation")
  test('should not set cookie without domain annotation', async () => {
    const r = await s.get('cookienodomain.foo.com', '/');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toMatch(/^NoDomainCookie=/);
    expect(cookieOf(r.headers)).not.toContain('; Domain');
  });

  // It("should work with use-regex annotation and session-cookie-path")
  test('should work with use-regex annotation and session-cookie-path', async () => {
    const r = await s.get('useregex.foo.com', '/foo/bar');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('Path=/foo/bar');
    expect(cookieOf(r.headers)).toContain('SERVERID=');
  });

  // It("should warn user when use-regex is true and session-cookie-path is not set")
  test('should warn user when use-regex is true and session-cookie-path is not set', async () => {
    expect((await s.get('useregexwarn.foo.com', '/foo/bar')).status).toBe(200);
    expect(s.model.warnings.map((w) => `${w.object}: ${w.message}`)).toContainEqual(expect.stringMatching(/^Ingress default\/useregexwarn: .*session-cookie-path should be set when use-regex is true/));
  });

  // It("should set sticky cookie without host")
  test('should set sticky cookie without host', async () => {
    const r = await s.get('any.host', '/');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('SERVERID=');
  });

  // It("should work with server-alias annotation")
  test('should work with server-alias annotation', async () => {
    for (const host of ['foo.com', 'a1.foo.com', 'a2.foo.com']) {
      const r = await s.get(host, '/bar');
      expect([r.status, r.echo?.host]).toEqual([200, host]);
      expect(cookieOf(r.headers)).toContain('SERVERID=');
    }
  });

  // It("should change cookie name on ingress definition change")
  test('should change cookie name on ingress definition change', async () => {
    expect(cookieOf((await s.get('change.foo.com', '/')).headers)).toContain('SERVERID');
    await s.update([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      singleIngress('change', 'change.foo.com', 'echo', { annotations: { [`${P}/affinity`]: 'cookie', [`${P}/session-cookie-name`]: 'OTHERCOOKIENAME' } }),
    ]);
    const r = await s.get('change.foo.com', '/');
    expect(r.status).toBe(200);
    expect(cookieOf(r.headers)).toContain('OTHERCOOKIENAME');
  });
});
