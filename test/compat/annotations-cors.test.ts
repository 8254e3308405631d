// Replays kubernetes/ingress-nginx test/e2e/annotations/cors.go ("enable-cors") as real requests through
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
});
