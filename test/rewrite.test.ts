import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';

function ingress(name: string, host: string, paths: Array<[string, string]>, annotations: Record<string, string>, service = 'app'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'rw', annotations },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: paths.map(([path, pathType]) => ({ path, pathType, backend: { service: { name: service, port: { number: 80 } } } })) } }],
    },
  } as KubeObject;
}

/** The Ingress with a spec.defaultBackend of its own, younger than the rule-less one (which stays the catch-all). */
function withDefaultBackend(ing: KubeObject, service: string): KubeObject {
  const i = ing as KubeObject & { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  return { ...i, metadata: { ...i.metadata, creationTimestamp: '2026-01-02T00:00:00Z' }, spec: { ...i.spec, defaultBackend: { service: { name: service, port: { number: 80 } } } } } as KubeObject;
}

describe('rewrite-target and use-regex', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app', 'long', 'short', 'default');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('rw', 'app', [backends.by.app!]),
      ...serviceFor('rw', 'long', [backends.by.long!]),
      ...serviceFor('rw', 'short', [backends.by.short!]),
      ...serviceFor('rw', 'default', [backends.by.default!]),
      ingress('simple', 'simple.test', [['/testpath', 'Prefix']], { [`${P}/rewrite-target`]: '/' }),
      withDefaultBackend(ingress('captures', 'captures.test', [['/something(/|$)(.*)', 'ImplementationSpecific']], { [`${P}/rewrite-target`]: '/$2' }), 'default'),
      ingress('regex-long', 'regex.test', [['/api/v[0-9]+/users', 'ImplementationSpecific']], { [`${P}/use-regex`]: 'true' }, 'long'),
      ingress('regex-short', 'regex.test', [['/api', 'Prefix']], {}, 'short'),
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'fallback', namespace: 'rw' },
        spec: { ingressClassName: 'portico', defaultBackend: { service: { name: 'default', port: { number: 80 } } } },
      } as KubeObject,
    ]);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('path /testpath with rewrite-target / sends / upstream, keeping the query string', async () => {
    const r = await s.get('simple.test', '/testpath?q=1');
    expect(r.echo?.service).toBe('app');
    expect(r.echo?.path).toBe('/?q=1');
  });

  test.each([
    ['/something', '/'],
    ['/something/', '/'],
    ['/something/new', '/new'],
    ['/something/new/deeper?x=y', '/new/deeper?x=y'],
  ])('captures: %s is sent upstream as %s', async (request, upstreamPath) => {
    const r = await s.get('captures.test', request);
    expect(r.status).toBe(200);
    expect(r.echo?.path).toBe(upstreamPath);
  });

  test('captures: /somethingelse matches nothing and reaches the host\'s default backend untouched', async () => {
    const r = await s.get('captures.test', '/somethingelse');
    expect(r.echo?.service).toBe('default');
    expect(r.echo?.path).toBe('/somethingelse');
  });

  test('regex paths match case-insensitively and the longest regex is tried first', async () => {
    expect((await s.get('regex.test', '/API/V2/users/7')).echo?.service).toBe('long');
    expect((await s.get('regex.test', '/api/other')).echo?.service).toBe('short');
    // In regex mode a Prefix path is a regex anchored at the start, as in ingress-nginx.
    expect((await s.get('regex.test', '/apix')).echo?.service).toBe('short');
  });

  test('the rendered config shows the regex locations and rewrite lines', () => {
    expect(s.conf).toContain('location ~* "^/something(/|$)(.*)" {');
    expect(s.conf).toContain('rewrite "(?i)^/something(/|$)(.*)" "/$2" break;');
    expect(s.conf.indexOf('"^/api/v[0-9]+/users"')).toBeLessThan(s.conf.indexOf('location ~* "^/api" {'));
  });

  test('a rule-less spec.defaultBackend answers hosts no rule names and bare IPs, not the unmatched paths of named hosts', async () => {
    expect((await s.get('nothing-here.test', '/x')).echo?.service).toBe('default');
    expect((await s.get('127.0.0.1', '/x')).echo?.service).toBe('default');
    // As in ingress-nginx: a named host's unmatched paths go to its own Ingress's spec.defaultBackend, else 404.
    expect((await s.get('simple.test', '/elsewhere')).status).toBe(404);
    expect(s.model.rejections).toEqual([]);
  });
});
