import { describe, expect, test } from '@jest/globals';
import { corsFeature, originPattern } from './cors.js';
import { parseFamily } from '../../test/support/annotation-input.js';

function parse(annotations: Record<string, string>) {
  return parseFamily(corsFeature, annotations);
}

describe('CORS annotations', () => {
  test('off unless enable-cors is "true"', () => {
    const stray = parse({ 'cors-allow-origin': 'https://a.test', 'cors-max-age': '5' });
    expect(stray.result?.enabled).toBe(false);
    expect(stray.warnings).toEqual(['cors-allow-origin, cors-max-age ignored without enable-cors: "true"']);
    expect(parse({ 'enable-cors': 'false' }).result?.enabled).toBe(false);
    expect(parse({ 'enable-cors': 'yes' }).error?.annotation).toBe('enable-cors');
  });

  test("ingress-nginx's defaults", () => {
    expect(parse({ 'enable-cors': 'true' }).result).toEqual({
      enabled: true,
      anyOrigin: true,
      originRegex: undefined,
      allowMethods: 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
      allowHeaders: 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
      exposeHeaders: '',
      allowCredentials: true,
      maxAge: 1728000,
    });
  });

  test('an origin list becomes one anchored regex; "*." is exactly one label', () => {
    const r = parse({ 'enable-cors': 'true', 'cors-allow-origin': 'https://A.example.com, https://*.example.org:8443' }).result!;
    expect(r.anyOrigin).toBe(false);
    const re = new RegExp(r.originRegex!, 'i');
    expect(re.test('https://a.example.com')).toBe(true);
    expect(re.test('https://x.example.org:8443')).toBe(true);
    expect(re.test('https://x.y.example.org:8443')).toBe(false);
    expect(re.test('https://example.org:8443')).toBe(false);
    expect(re.test('https://x.example.org')).toBe(false);
    expect(re.test('https://aXexample.com')).toBe(false);
    expect(re.test('https://a.example.com.evil')).toBe(false);
    expect(originPattern('http://localhost:3000').pattern).toBe('http://localhost:3000');
    // Any URI scheme, as ingress-nginx accepts (desktop and mobile app origins).
    expect(originPattern('tauri://localhost').pattern).toBe('tauri://localhost');
    expect(originPattern('web+app.x://a.test').pattern).toBe('web\\+app\\.x://a\\.test');
  });

  test('an origin without a scheme is skipped with a warning, as ingress-nginx; with none left the default "*" applies', () => {
    const some = parse({ 'enable-cors': 'true', 'cors-allow-origin': 'origin.test:8080, https://a.test' });
    expect([some.result?.anyOrigin, some.result?.originRegex]).toEqual([false, '^(https://a\\.test)$']);
    expect(some.warnings).toEqual(['cors-allow-origin "origin.test:8080" is skipped: an origin is SCHEME://HOST[:PORT] (a browser always sends the scheme)']);
    expect(parse({ 'enable-cors': 'true', 'cors-allow-origin': 'foo.bar.com' }).result?.anyOrigin).toBe(true);
    expect(parse({ 'enable-cors': 'true', 'cors-allow-origin': '   ' }).result?.anyOrigin).toBe(true);
  });

  test('"*" in the list means any origin', () => {
    expect(parse({ 'enable-cors': 'true', 'cors-allow-origin': 'https://a.test, *' }).result?.anyOrigin).toBe(true);
  });

  test.each([
    ['cors-allow-origin', 'https://a.test"; add_header X y; "'],
    ['cors-allow-origin', 'https://a.test$'],
    ['cors-allow-origin', 'https://a.test/path'],
    ['cors-allow-origin', 'https://*.*.a.test'],
    ['cors-allow-origin', 'https://a.*.test'],
    ['cors-allow-origin', '1http://a.test'],
    ['cors-allow-origin', 'ta|uri://a.test'],
    ['cors-allow-origin', 'https://a.test:70000'],
    ['cors-allow-origin', 'https://exаmple.com'],
    ['cors-allow-methods', 'GET; return 200'],
    ['cors-allow-methods', 'GET,*'],
    ['cors-allow-headers', 'X-A, $http_x'],
    ['cors-allow-headers', 'X-A\nX-B'],
    ['cors-expose-headers', 'X "A"'],
    ['cors-allow-credentials', 'maybe'],
    ['cors-max-age', '-1'],
    ['cors-max-age', '1d'],
  ])('%s %j is rejected', (key, value) => {
    expect(parse({ 'enable-cors': 'true', [key]: value }).error?.annotation).toBe(key);
  });
});
