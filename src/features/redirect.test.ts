import { describe, expect, test } from '@jest/globals';
import { DEFAULT_GLOBAL_CONFIG, globalsFor, parseGlobalConfig } from './registry.js';
import { DEFAULT_MODEL_OPTIONS } from '../model/types.js';
import { appRootFeature } from './app-root.js';
import { checkRedirectURL, redirectFeature, wwwCounterpart } from './redirect.js';
import { redirectsToHttps, sslRedirectFeature } from './ssl-redirect.js';
import { AnnotationError, type Feature, type AnnotationInput } from './feature.js';

function parse<T, G extends object>(family: Feature<T, G>, annotations: Record<string, string>, config = DEFAULT_GLOBAL_CONFIG) {
  const warnings: string[] = [];
  const input = { get: (k: string) => annotations[k], warn: (m: string) => warnings.push(m), config, options: { ...DEFAULT_MODEL_OPTIONS, httpsPort: 8443 } } as unknown as AnnotationInput;
  try {
    return { result: family.parse(input, globalsFor(family, config)), warnings };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err, warnings };
    throw err;
  }
}

describe('permanent-redirect, temporal-redirect, from-to-www-redirect', () => {
  test('permanent-redirect is 301 unless permanent-redirect-code says otherwise', () => {
    expect(parse(redirectFeature, { 'permanent-redirect': 'https://a.test/x?y=1' }).result).toEqual({ url: 'https://a.test/x?y=1', code: 301, fromToWww: false });
    expect(parse(redirectFeature, { 'permanent-redirect': 'https://a.test/', 'permanent-redirect-code': '308' }).result?.code).toBe(308);
  });

  test('temporal-redirect is 302 and wins over permanent-redirect, with a warning', () => {
    const r = parse(redirectFeature, { 'temporal-redirect': 'http://t.test/', 'permanent-redirect': 'https://p.test/' });
    expect(r.result).toEqual({ url: 'http://t.test/', code: 302, fromToWww: false });
    expect(r.warnings).toHaveLength(1);
  });

  test.each([
    ['javascript:alert(1)', /absolute http/],
    ['/relative', /absolute http/],
    ['https://a.test/$host', /only URL characters/],
    ['https://a.test/"; return 200 "x', /only URL characters/],
    ['https://a.test/ x', /only URL characters/],
    ['https://a.test/{x}', /only URL characters/],
    ['https://a.test/\\x', /only URL characters/],
    ['https://a.test/\u00e9', /only URL characters/],
    ['https://a.test/\nreturn 200;', /only URL characters/],
    ['https:///path', /host|not a valid URL/],
  ])('redirect URL %j is refused', (url, reason) => {
    expect(checkRedirectURL(url)).toMatch(reason);
    expect(parse(redirectFeature, { 'permanent-redirect': url }).error?.annotation).toBe('permanent-redirect');
  });

  test.each(['3o1', '-301', '', '301;'])('redirect code %j (not a number) is refused', (code) => {
    expect(parse(redirectFeature, { 'permanent-redirect': 'https://a.test/', 'permanent-redirect-code': code }).error?.annotation).toBe('permanent-redirect-code');
  });

  // ingress-nginx's redirect parser uses 301 / 302 for a code outside 300..308 / 300..307.
  test.each([
    ['permanent', '500', 301],
    ['permanent', '200', 301],
    ['permanent', '309', 301],
    ['temporal', '308', 302],
    ['temporal', '999', 302],
  ])('%s-redirect-code %j falls back to %d with a warning', (kind, code, expected) => {
    const r = parse(redirectFeature, { [`${kind}-redirect`]: 'https://a.test/', [`${kind}-redirect-code`]: code });
    expect(r.result).toMatchObject({ url: 'https://a.test/', code: expected });
    expect(r.warnings).toEqual([`annotation ${kind}-redirect-code: "${code}" must be from 300 to ${kind === 'temporal' ? 307 : 308}; ${expected} is used instead, as in ingress-nginx`]);
  });

  test('from-to-www-redirect counterpart names', () => {
    expect(wwwCounterpart('www.shop.test')).toBe('shop.test');
    expect(wwwCounterpart('shop.test')).toBe('www.shop.test');
    expect(wwwCounterpart('*.shop.test')).toBeUndefined();
    expect(wwwCounterpart('www.test')).toBeUndefined();
    expect(wwwCounterpart('')).toBeUndefined();
    expect(parse(redirectFeature, { 'from-to-www-redirect': 'TRUE' }).result?.fromToWww).toBe(true);
    expect(parse(redirectFeature, { 'from-to-www-redirect': '1' }).error?.annotation).toBe('from-to-www-redirect');
  });
});

describe('app-root', () => {
  test('a literal path other than /', () => {
    expect(parse(appRootFeature, { 'app-root': '/app1' }).result).toEqual({ path: '/app1' });
    expect(parse(appRootFeature, {}).result).toEqual({ path: undefined });
    for (const bad of ['/', '/a b', '/a;b', '/$uri', '/a"b', '/../etc', '../../etc/x', '/a{b}']) {
      expect([bad, parse(appRootFeature, { 'app-root': bad }).error?.annotation]).toEqual([bad, 'app-root']);
    }
    // ingress-nginx ignores an app-root that is not an absolute path, with a warning.
    for (const ignored of ['app', 'foo', 'http://a.test/x']) {
      expect([ignored, parse(appRootFeature, { 'app-root': ignored })]).toEqual([ignored, { result: { path: undefined }, warnings: [expect.stringMatching(/^annotation app-root: .*; no app-root redirect is used instead, as in ingress-nginx$/)] }]);
    }
  });
});

describe('ssl-redirect, force-ssl-redirect, preserve-trailing-slash', () => {
  test('annotations override the ConfigMap, which overrides the defaults', () => {
    expect(parse(sslRedirectFeature, {}).result).toEqual({
      sslRedirect: true,
      forceSslRedirect: false,
      preserveTrailingSlash: false,
      usePortInRedirects: false,
      httpsRedirect: 'https://$portico_redirect_host$portico_request_uri_trimmed',
    });
    const { config } = parseGlobalConfig({ data: { 'ssl-redirect': 'false', 'force-ssl-redirect': 'true', 'preserve-trailing-slash': 'true', 'use-port-in-redirects': 'true' } });
    expect(parse(sslRedirectFeature, {}, config).result).toEqual({
      sslRedirect: false,
      forceSslRedirect: true,
      preserveTrailingSlash: true,
      usePortInRedirects: true,
      httpsRedirect: 'https://$portico_redirect_host:8443$request_uri',
    });
    expect(parse(sslRedirectFeature, { 'use-port-in-redirects': 'false' }, config).result?.httpsRedirect).toBe('https://$portico_redirect_host$request_uri');
    expect(parse(sslRedirectFeature, { 'use-port-in-redirects': 'yes' }).error?.annotation).toBe('use-port-in-redirects');
    expect(parse(sslRedirectFeature, { 'ssl-redirect': 'true', 'force-ssl-redirect': 'false' }, config).result).toMatchObject({ sslRedirect: true, forceSslRedirect: false });
    expect(parse(sslRedirectFeature, { 'force-ssl-redirect': 'on' }).error?.annotation).toBe('force-ssl-redirect');
  });

  test('who is redirected: force always, ssl-redirect on TLS hosts, never under no-tls-redirect-locations', () => {
    const ann = (a: Record<string, string>) => ({ sslRedirect: parse(sslRedirectFeature, a).result! });
    const cfg = DEFAULT_GLOBAL_CONFIG;
    expect(redirectsToHttps(ann({}), '/', true, cfg)).toBe(true);
    expect(redirectsToHttps(ann({}), '/', false, cfg)).toBe(false);
    expect(redirectsToHttps(ann({ 'ssl-redirect': 'false' }), '/', true, cfg)).toBe(false);
    expect(redirectsToHttps(ann({ 'force-ssl-redirect': 'true' }), '/', false, cfg)).toBe(true);
    expect(redirectsToHttps(ann({ 'force-ssl-redirect': 'true' }), '/.well-known/acme-challenge/abc', true, cfg)).toBe(false);
    const { config, issues } = parseGlobalConfig({ data: { 'no-tls-redirect-locations': '/public, /health' } });
    expect(issues).toEqual([]);
    expect(redirectsToHttps(ann({}), '/health/z', true, config)).toBe(false);
    // The list replaces the default.
    expect(redirectsToHttps(ann({}), '/.well-known/acme-challenge/abc', true, config)).toBe(true);
    expect(parseGlobalConfig({ data: { 'no-tls-redirect-locations': '/a;b' } }).issues[0]?.key).toBe('no-tls-redirect-locations');
  });
});
