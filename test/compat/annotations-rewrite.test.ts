// Replays kubernetes/ingress-nginx test/e2e/annotations/rewrite.go ("rewrite-target use-regex
// enable-rewrite-log") as real requests through Portico's render pipeline, a real nginx and an echo backend:
// the path the backend received. Each It ran in its own namespace there; here each gets its own host.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';

describe('ingress-nginx annotations/rewrite.go', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('echo');
    const regex = { [`${P}/use-regex`]: 'true', [`${P}/rewrite-target`]: '/new/backend' };
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'echo', [backends.by.echo!]),
      // should rewrite request URL
      singleIngress('rewrite', 'rewrite.foo.com', 'echo', { path: '/something', annotations: { [`${P}/rewrite-target`]: '/' } }),
      // should use correct longest path match: the plain Ingress alone, then with a rewrite on "/" beside it
      singleIngress('kube-lego-alone', 'lego-alone.rewrite.bar.com', 'echo', { path: '/.well-known/acme/challenge' }),
      singleIngress('kube-lego', 'lego.rewrite.bar.com', 'echo', { path: '/.well-known/acme/challenge' }),
      singleIngress('rewrite-index', 'lego.rewrite.bar.com', 'echo', { path: '/', annotations: { [`${P}/rewrite-target`]: '/new/backend' } }),
      // should use ~* location modifier if regex annotation is present
      singleIngress('foo', 'modifier.rewrite.bar.com', 'echo', { path: '/foo' }),
      singleIngress('regex', 'modifier.rewrite.bar.com', 'echo', { path: '/foo.+', annotations: regex }),
      // should fail to use longest match for documented warning
      singleIngress('foo-bar-bar', 'warning.rewrite.bar.com', 'echo', { path: '/foo/bar/bar' }),
      singleIngress('regex-3', 'warning.rewrite.bar.com', 'echo', { path: '/foo/bar/[a-z]{3}', annotations: regex }),
      // should allow for custom rewrite parameters
      singleIngress('regex-param', 'param.rewrite.bar.com', 'echo', { path: '/foo/bar/(.+)', annotations: { [`${P}/use-regex`]: 'true', [`${P}/rewrite-target`]: '/new/backend/$1' } }),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  const upstreamPath = async (host: string, path: string): Promise<[number, string | undefined]> => {
    const r = await s.get(host, path);
    return [r.status, r.echo?.path];
  };

  // It("should rewrite request URL") (rewrite.go before 2019): lowercase and mixed case both reach "/".
  test('should rewrite request URL', async () => {
    expect(await upstreamPath('rewrite.foo.com', '/something')).toEqual([200, '/']);
    expect(await upstreamPath('rewrite.foo.com', '/SomeThing')).toEqual([200, '/']);
  });

  // It("should use correct longest path match")
  test('should use correct longest path match', async () => {
    expect(await upstreamPath('lego-alone.rewrite.bar.com', '/.well-known/acme/challenge')).toEqual([200, '/.well-known/acme/challenge']);
    expect(await upstreamPath('lego.rewrite.bar.com', '/.well-known/acme/challenge')).toEqual([200, '/.well-known/acme/challenge']);
  });

  // It("should use ~* location modifier if regex annotation is present")
  test('should use ~* location modifier if regex annotation is present', async () => {
    expect(await upstreamPath('modifier.rewrite.bar.com', '/foo')).toEqual([200, '/foo']);
    expect(await upstreamPath('modifier.rewrite.bar.com', '/foo/bar')).toEqual([200, '/new/backend']);
  });

  // It("should fail to use longest match for documented warning"): the longer regex wins over the plain path.
  test('should fail to use longest match for documented warning', async () => {
    expect(await upstreamPath('warning.rewrite.bar.com', '/foo/bar/bar')).toEqual([200, '/new/backend']);
  });

  // It("should allow for custom rewrite parameters")
  test('should allow for custom rewrite parameters', async () => {
    expect(await upstreamPath('param.rewrite.bar.com', '/foo/bar/bar')).toEqual([200, '/new/backend/bar']);
  });
});
