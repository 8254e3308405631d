// Replays kubernetes/ingress-nginx test/e2e/annotations/cors.go ("cors-*", every It) as real requests through
// Portico's render pipeline, a real nginx and an echo backend: the header values byte for byte.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/cors.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    const cors = (name: string, extra: Record<string, string> = {}) =>
      singleIngress(name, `${name}.cors.foo.com`, 'echo', { annotations: { [`${P}/enable-cors`]: 'true', ...extra } });
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      cors('default'),
      cors('methods', { [`${P}/cors-allow-methods`]: 'POST, GET' }),
      cors('maxage', { [`${P}/cors-max-age`]: '200' }),
      cors('nocred', { [`${P}/cors-allow-credentials`]: 'false' }),
      cors('origin', { [`${P}/cors-allow-origin`]: 'https://origin.cors.com:8080' }),
      cors('headers', { [`${P}/cors-allow-headers`]: 'DNT, User-Agent' }),
      cors('expose', { [`${P}/cors-expose-headers`]: 'X-CustomResponseHeader, X-CustomSecondHeader' }),
      cors('multi', { [`${P}/cors-allow-origin`]: 'https://origin.cors.com:8080, https://origin2.cors.com' }),
      cors('multi-no', { [`${P}/cors-allow-origin`]: 'http://origin2.cors.com, https://origin.com' }),
      cors('multi-bad', { [`${P}/cors-allow-origin`]: 'origin.cors.com:8080, https://origin2.cors.com, https://origin.com' }),
      cors('star', { [`${P}/cors-allow-origin`]: '*' }),
      cors('star-extra', { [`${P}/cors-allow-origin`]: '*, foo.bar.com' }),
      cors('nomatch', { [`${P}/cors-allow-origin`]: 'https://foo.bar.com' }),
      cors('port', { [`${P}/cors-allow-origin`]: 'http://origin.cors.com:8080, http://origin.com:8080' }),
      cors('port-no', { [`${P}/cors-allow-origin`]: 'https://origin2.cors.com, http://origin.com' }),
      cors('wild', { [`${P}/cors-allow-origin`]: 'http://*.origin.cors.com, http://*.origin.com:8080' }),
      cors('wild-port', { [`${P}/cors-allow-origin`]: 'http://origin.cors.com:8080, http://*.origin.com:8080' }),
      cors('blank', { [`${P}/cors-allow-origin`]: '      ' }),
      cors('trailing', { [`${P}/cors-allow-origin`]: 'https://origin-123.cors.com:8080,   ,https://origin-321.cors.com:8080,' }),
      cors('schemes', { [`${P}/cors-allow-origin`]: 'test://localhost, tauri://localhost:3000' }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should enable cors")
  test('should enable cors', async () => {
    const r = await s.get('default.cors.foo.com', '/', { method: 'OPTIONS' });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-methods']).toBe('GET, PUT, POST, DELETE, PATCH, OPTIONS');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['access-control-allow-headers']).toBe('DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization');
    expect(r.headers['access-control-max-age']).toBe('1728000');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
  });

  // It("should set cors methods to only allow POST, GET")
  test('should set cors methods to only allow POST, GET', async () => {
    expect((await s.get('methods.cors.foo.com', '/')).headers['access-control-allow-methods']).toBe('POST, GET');
  });

  // It("should set cors max-age")
  test('should set cors max-age', async () => {
    expect((await s.get('maxage.cors.foo.com', '/')).headers['access-control-max-age']).toBe('200');
  });

  // It("should disable cors allow credentials")
  test('should disable cors allow credentials', async () => {
    expect((await s.get('nocred.cors.foo.com', '/')).headers['access-control-allow-credentials']).toBeUndefined();
  });

  // It("should allow origin for cors")
  test('should allow origin for cors', async () => {
    const r = await s.get('origin.cors.foo.com', '/', { headers: { Origin: 'https://origin.cors.com:8080' } });
    expect(r.headers['access-control-allow-origin']).toBe('https://origin.cors.com:8080');
  });

  // It("should allow headers for cors")
  test('should allow headers for cors', async () => {
    expect((await s.get('headers.cors.foo.com', '/')).headers['access-control-allow-headers']).toBe('DNT, User-Agent');
  });

  const allowOrigin = async (name: string, origin?: string) => {
    const r = await s.get(`${name}.cors.foo.com`, '/', origin === undefined ? {} : { headers: { Origin: origin } });
    expect(r.status).toBe(200);
    return r.headers['access-control-allow-origin'];
  };

  // It("should expose headers for cors")
  test('should expose headers for cors', async () => {
    expect((await s.get('expose.cors.foo.com', '/')).headers['access-control-expose-headers']).toBe('X-CustomResponseHeader, X-CustomSecondHeader');
  });

  // It("should allow - single origin for multiple cors values")
  test('should allow - single origin for multiple cors values', async () => {
    expect(await allowOrigin('multi', 'https://origin.cors.com:8080')).toBe('https://origin.cors.com:8080');
  });

  // It("should not allow - single origin for multiple cors values")
  test('should not allow - single origin for multiple cors values', async () => {
    expect(await allowOrigin('multi-no', 'http://no.origin.com')).toBeUndefined();
  });

  // It("should allow correct origins - single origin for multiple cors values")
  test('should allow correct origins - single origin for multiple cors values', async () => {
    // "origin.cors.com:8080" has no scheme: ingress-nginx skips it (logged), the other origins still apply.
    expect(await allowOrigin('multi-bad', 'origin.cors.com:8080')).toBeUndefined();
    expect(await allowOrigin('multi-bad', 'https://origin2.cors.com')).toBe('https://origin2.cors.com');
    expect(await allowOrigin('multi-bad', 'https://origin.com')).toBe('https://origin.com');
    expect(s.model.rejections.map((j) => j.ingress.name)).not.toContain('multi-bad');
    expect(s.model.warnings.map((w) => `${w.object}: ${w.message}`)).toContain(
      'Ingress default/multi-bad: cors-allow-origin "origin.cors.com:8080" is skipped: an origin is SCHEME://HOST[:PORT] (a browser always sends the scheme)',
    );
  });

  // It("should not break functionality")
  test('should not break functionality', async () => {
    expect(await allowOrigin('star')).toBe('*');
  });

  // It("should not break functionality - without `*`")
  test('should not break functionality - without `*`', async () => {
    expect(await allowOrigin('default')).toBe('*');
  });

  // It("should not break functionality with extra domain")
  test('should not break functionality with extra domain', async () => {
    expect(await allowOrigin('star-extra')).toBe('*');
    expect(s.model.rejections.map((j) => j.ingress.name)).not.toContain('star-extra');
  });

  // It("should not match")
  test('should not match', async () => {
    expect(await allowOrigin('nomatch', 'https://fooxbar.com')).toBeUndefined();
  });

  // It("should allow - single origin with required port")
  test('should allow - single origin with required port', async () => {
    expect(await allowOrigin('port', 'http://origin.com:8080')).toBe('http://origin.com:8080');
  });

  // It("should not allow - single origin with port and origin without port")
  test('should not allow - single origin with port and origin without port', async () => {
    expect(await allowOrigin('port-no', 'http://origin.com:8080')).toBeUndefined();
  });

  // It("should not allow - single origin without port and origin with required port")
  test('should not allow - single origin without port and origin with required port', async () => {
    expect(await allowOrigin('port', 'http://origin.com')).toBeUndefined();
  });

  // It("should allow - matching origin with wildcard origin (2 subdomains)")
  test('should allow - matching origin with wildcard origin (2 subdomains)', async () => {
    expect(await allowOrigin('wild', 'http://foo.origin.cors.com')).toBe('http://foo.origin.cors.com');
    expect(await allowOrigin('wild', 'http://bar-foo.origin.cors.com')).toBe('http://bar-foo.origin.cors.com');
  });

  // It("should not allow - unmatching origin with wildcard origin (2 subdomains)")
  test('should not allow - unmatching origin with wildcard origin (2 subdomains)', async () => {
    expect(await allowOrigin('wild', 'http://bar.foo.origin.cors.com')).toBeUndefined();
  });

  // It("should allow - matching origin+port with wildcard origin")
  test('should allow - matching origin+port with wildcard origin', async () => {
    expect(await allowOrigin('wild-port', 'http://abc.origin.com:8080')).toBe('http://abc.origin.com:8080');
  });

  // It("should not allow - portless origin with wildcard origin")
  test('should not allow - portless origin with wildcard origin', async () => {
    expect(await allowOrigin('wild-port', 'http://abc.origin.com')).toBeUndefined();
  });

  // It("should allow correct origins - missing subdomain + origin with wildcard origin and correct origin")
  test('should allow correct origins - missing subdomain + origin with wildcard origin and correct origin', async () => {
    expect(await allowOrigin('wild-port', 'http://origin.com:8080')).toBeUndefined();
    expect(await allowOrigin('wild-port', 'http://bar.origin.com:8080')).toBe('http://bar.origin.com:8080');
  });

  // It("should allow - missing origins (should allow all origins)")
  test('should allow - missing origins (should allow all origins)', async () => {
    for (const origin of ['http://origin.com', 'http://book.origin.com', 'test.origin.com']) expect(await allowOrigin('blank', origin)).toBe('*');
  });

  // It("should allow correct origin but not others - cors allow origin annotations contain trailing comma")
  test('should allow correct origin but not others - cors allow origin annotations contain trailing comma', async () => {
    const allowed = async (origin: string) => (await s.get('trailing.cors.foo.com', '/', { headers: { Origin: origin } })).headers['access-control-allow-origin'];
    expect(await allowed('https://origin-123.cors.com:8080')).toBe('https://origin-123.cors.com:8080');
    expect(await allowed('https://origin-321.cors.com:8080')).toBe('https://origin-321.cors.com:8080');
    expect(await allowed('https://unknown.cors.com:8080')).toBeUndefined();
  });

  // It("should allow - origins with non-http[s] protocols")
  test('should allow - origins with non-http[s] protocols', async () => {
    for (const origin of ['test://localhost', 'tauri://localhost:3000']) {
      const r = await s.get('schemes.cors.foo.com', '/', { headers: { Origin: origin } });
      expect([r.status, r.headers['access-control-allow-origin']]).toEqual([200, origin]);
    }
  });
});
