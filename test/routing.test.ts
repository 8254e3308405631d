import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

function ing(name: string, spec: Record<string, unknown>, extra: { annotations?: Record<string, string>; created?: string; namespace?: string } = {}): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: extra.namespace ?? 'default', annotations: extra.annotations, creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z' },
    spec: { ingressClassName: 'portico', ...spec },
  } as KubeObject;
}

const svc = (name: string, port: number | string = 80) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const rule = (host: string | undefined, paths: Array<[string, string, string]>) => ({
  host,
  http: { paths: paths.map(([path, pathType, service]) => ({ path, pathType, backend: svc(service) })) },
});

describe('Ingress rules through a real nginx', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('exact', 'prefix', 'aaa', 'catchall', 'wild', 'older', 'newer', 'default');
    const b = backends.by;
    const objects: KubeObject[] = [
      INGRESS_CLASS,
      ...serviceFor('default', 'exact', [b.exact!]),
      ...serviceFor('default', 'prefix', [b.prefix!]),
      ...serviceFor('default', 'aaa', [b.aaa!]),
      ...serviceFor('default', 'catchall', [b.catchall!]),
      ...serviceFor('default', 'wild', [b.wild!]),
      ...serviceFor('default', 'older', [b.older!]),
      ...serviceFor('default', 'newer', [b.newer!]),
      ...serviceFor('default', 'default', [b.default!]),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: 'default' }, spec: { ports: [{ port: 80 }] } } as KubeObject,
      ing('paths', {
        rules: [
          rule('paths.test', [
            ['/foo', 'Exact', 'exact'],
            ['/foo', 'Prefix', 'prefix'],
            ['/aaa/', 'Prefix', 'aaa'],
            ['/nobackend', 'Prefix', 'missing'],
            ['/empty', 'Prefix', 'empty'],
          ]),
        ],
      }),
      ing('catchall', { rules: [rule(undefined, [['/', 'Prefix', 'catchall']])] }),
      ing('wildcard', { rules: [rule('*.wild.test', [['/', 'Prefix', 'wild']])] }),
      ing('older', { rules: [rule('shared.test', [['/x', 'Prefix', 'older']])] }, { created: '2025-01-01T00:00:00Z' }),
      ing('newer', { rules: [rule('shared.test', [['/x', 'Prefix', 'newer'], ['/y', 'Prefix', 'newer']])] }, { created: '2026-06-01T00:00:00Z' }),
      ing('other-class', { ingressClassName: 'someone-else', rules: [rule('other.test', [['/', 'Prefix', 'exact']])] }),
    ];
    s = await startScenario(objects);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('Exact beats Prefix at equal length; Prefix matches whole path elements', async () => {
    expect((await s.get('paths.test', '/foo')).echo?.service).toBe('exact');
    expect((await s.get('paths.test', '/foo/')).echo?.service).toBe('prefix');
    expect((await s.get('paths.test', '/foo/bar')).echo?.service).toBe('prefix');
    expect((await s.get('paths.test', '/foobar')).status).toBe(404);
  });

  test('Prefix with a trailing slash: /aaa, /aaa/ and /aaa/x match, /aaaccc does not, and nothing redirects', async () => {
    for (const path of ['/aaa', '/aaa/', '/aaa/x']) {
      const r = await s.get('paths.test', path);
      expect([path, r.status, r.echo?.service]).toEqual([path, 200, 'aaa']);
      expect(r.echo?.path).toBe(path);
    }
    expect((await s.get('paths.test', '/aaaccc')).status).toBe(404);
  });

  test('Exact is case-sensitive and the query string reaches the backend intact', async () => {
    expect((await s.get('paths.test', '/FOO')).status).toBe(404);
    const r = await s.get('paths.test', '/foo?a=1&b=%20x');
    expect(r.echo?.service).toBe('exact');
    expect(r.echo?.path).toBe('/foo?a=1&b=%20x');
  });

  test('host matching ignores case and port; the rule without a host serves other hosts', async () => {
    expect((await s.get('PATHS.test:8080', '/foo')).echo?.service).toBe('exact');
    expect((await s.get('unknown.test', '/anything')).echo?.service).toBe('catchall');
    // A host with rules of its own does not fall through to the host-less rule.
    expect((await s.get('paths.test', '/zzz')).status).toBe(404);
  });

  test('a wildcard host matches exactly one more label', async () => {
    expect((await s.get('bar.wild.test', '/')).echo?.service).toBe('wild');
    expect((await s.get('baz.bar.wild.test', '/')).echo?.service).toBe('catchall');
    expect((await s.get('wild.test', '/')).echo?.service).toBe('catchall');
  });

  test('two Ingresses on one host merge; the older one wins a conflicting path', async () => {
    expect((await s.get('shared.test', '/x')).echo?.service).toBe('older');
    expect((await s.get('shared.test', '/y')).echo?.service).toBe('newer');
    expect(s.model.rejections).toContainEqual(
      expect.objectContaining({ ingress: { namespace: 'default', name: 'newer' }, field: 'spec.rules[0].http.paths[0]', whole: false }),
    );
  });

  test('a missing Service or one without endpoints answers 503', async () => {
    expect((await s.get('paths.test', '/nobackend')).status).toBe(503);
    expect((await s.get('paths.test', '/empty/x')).status).toBe(503);
  });

  test('an Ingress of another class is not routed', async () => {
    expect((await s.get('other.test', '/')).echo?.service).toBe('catchall');
    expect(s.model.owned.map((r) => r.name)).not.toContain('other-class');
  });

  test('proxying preserves method, body, Host and sets forwarding headers; responses carry Server', async () => {
    const r = await s.get('paths.test:1234', '/foo', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(r.echo).toMatchObject({ method: 'POST', body: 'hello', host: 'paths.test:1234' });
    expect(r.echo?.headers).toMatchObject({
      'x-real-ip': '127.0.0.1',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      // The Host header as sent, with its port, as ingress-nginx's $best_http_host.
      'x-forwarded-host': 'paths.test:1234',
      'x-forwarded-port': String(s.httpPort),
    });
    expect(r.headers.server).toMatch(/nginx/);
  });

  test('unknown hosts get 404 on both ports when nothing catches them', async () => {
    // paths.test has no "/" rule, so an unmatched path is 404 on https too.
    expect((await s.getTls('paths.test', '/zzz')).status).toBe(404);
  });
});
