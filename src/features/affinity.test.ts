import { describe, expect, test } from '@jest/globals';
import { affinityFeature, setCookieValue, type AffinityAnnotation } from './affinity.js';
import { parseFamily } from '../../test/support/annotation-input.js';

function parse(annotations: Record<string, string>, options: { luaModule?: string } = {}) {
  return parseFamily(affinityFeature, annotations, { options });
}

describe('affinity: cookie', () => {
  test('off by default; session-cookie-* without affinity warns', () => {
    expect(parse({}).result?.cookie).toBeUndefined();
    expect(parse({ 'session-cookie-name': 'x' }).warnings[0]).toMatch(/only apply together with affinity: cookie/);
  });

  test('defaults: INGRESSCOOKIE, a session cookie on the Ingress path', () => {
    const r = parse({ affinity: 'cookie' }).result!;
    expect(r).toEqual({ cookie: 'INGRESSCOOKIE', path: undefined, maxAge: undefined, expires: undefined, domain: undefined, secure: false, sameSite: undefined });
    expect(setCookieValue(r, '/app')).toBe('INGRESSCOOKIE=$request_id; Path=/app; HttpOnly$portico_https_secure');
  });

  test('all attributes', () => {
    const r = parse({
      affinity: 'cookie',
      'session-cookie-name': 'route',
      'session-cookie-path': '/shop',
      'session-cookie-max-age': '3600',
      'session-cookie-domain': '.example.com',
      'session-cookie-samesite': 'none',
    }).result!;
    expect(setCookieValue(r, r.path!)).toBe('route=$request_id; Path=/shop; Domain=.example.com; Max-Age=3600; Secure; SameSite=None; HttpOnly');
  });

  test('session-cookie-expires: an Expires= date from Lua when the module is there, as ingress-nginx; Max-Age otherwise', () => {
    const lua = { luaModule: '/usr/lib/nginx/modules/ngx_http_lua_module.so' };
    const both = parse({ affinity: 'cookie', 'session-cookie-expires': '172800', 'session-cookie-max-age': '259200' }, lua);
    expect(both.warnings).toEqual([]);
    expect(setCookieValue(both.result!, '/')).toBe('INGRESSCOOKIE=$request_id; Path=/; Expires=$portico_cookie_expires_172800; Max-Age=259200; HttpOnly$portico_https_secure');
    // Only -expires: only Expires=, as ingress-nginx (no Max-Age).
    const only = parse({ affinity: 'cookie', 'session-cookie-expires': '60' }, lua).result!;
    expect([only.expires, only.maxAge]).toEqual([60, undefined]);
  });

  test('without the Lua module session-cookie-expires becomes Max-Age, with a warning; persistent mode warns', () => {
    const r = parse({ affinity: 'cookie', 'session-cookie-expires': '172800', 'affinity-mode': 'persistent' });
    expect(r.result?.maxAge).toBe(172800);
    expect(r.warnings.join('\n')).toMatch(/sent as Max-Age/);
    expect(r.warnings.join('\n')).toMatch(/persistent is not available/);
  });

  test('use-regex without session-cookie-path warns, as ingress-nginx', () => {
    expect(parse({ affinity: 'cookie', 'use-regex': 'true' }).warnings).toEqual([
      'session-cookie-path should be set when use-regex is true: the cookie Path is otherwise the path regex, taken literally by browsers',
    ]);
    expect(parse({ affinity: 'cookie', 'use-regex': 'true', 'session-cookie-path': '/foo' }).warnings).toEqual([]);
    expect(parse({ affinity: 'cookie', 'use-regex': 'false' }).warnings).toEqual([]);
  });

  test('session-cookie-name: any RFC 6265 token, as ingress-nginx (".", "-" included)', () => {
    for (const name of ['my-cookie', 'session.id', "x!#%&'*+-.^_`|~"]) {
      expect([name, parse({ affinity: 'cookie', 'session-cookie-name': name }).result?.cookie]).toEqual([name, name]);
    }
  });

  test.each([
    ['affinity', 'ip'],
    ['affinity-mode', 'sticky'],
    ['session-cookie-name', '$Version'],
    ['session-cookie-name', 'a b'],
    ['session-cookie-name', 'a=b'],
    ['session-cookie-path', '/a;b'],
    ['session-cookie-path', '/$uri'],
    ['session-cookie-path', 'relative'],
    ['session-cookie-max-age', '1h'],
    ['session-cookie-expires', '-5'],
    ['session-cookie-domain', 'exa mple.com'],
    ['session-cookie-domain', '*.example.com'],
    ['session-cookie-secure', 'yes'],
    ['session-cookie-samesite', 'Sometimes'],
  ])('%s %j is rejected', (key, value) => {
    expect(parse({ affinity: 'cookie', [key]: value }).error?.annotation).toBe(key);
  });
});
