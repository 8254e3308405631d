// The Kubernetes blog's "Before You Migrate: Five Surprising Ingress-NGINX Behaviors You Need to Know"
// (kubernetes.io/blog/2026/02/27/ingress-nginx-before-you-migrate/; its examples follow ingress-nginx's
// internal/ingress/controller/template/template.go buildLocation and nginx's own matching), one test each,
// as real requests through Portico's render pipeline, a real nginx and echo backends. Where Portico keeps
// the Ingress API's documented meaning instead, the test asserts Portico's behaviour and README's
// "Differences from ingress-nginx" table says why.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';

function ingress(name: string, host: string, paths: Array<{ path: string; pathType: string; service: string }>, annotations?: Record<string, string>, created = '2026-01-01T00:00:00Z'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', annotations, creationTimestamp: created },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: paths.map((p) => ({ path: p.path, pathType: p.pathType, backend: { service: { name: p.service, port: { number: 80 } } } })) } }],
    },
  } as KubeObject;
}

describe('Kubernetes blog: five surprising ingress-nginx behaviours', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('httpbin', 'other');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'httpbin', [backends.by.httpbin!]),
      ...serviceFor('default', 'other', [backends.by.other!]),
      // 1. regex-match-ingress
      ingress('regex-match-ingress', 'regex-match.example.com', [{ path: '/[A-Z]{3}', pathType: 'ImplementationSpecific', service: 'httpbin' }], { [`${P}/use-regex`]: 'true' }),
      // 2. use-regex on one Ingress of a host, none on the other
      ingress('regex-a', 'regex-host.example.com', [{ path: '/[A-Z]{3}', pathType: 'ImplementationSpecific', service: 'httpbin' }], { [`${P}/use-regex`]: 'true' }),
      ingress('regex-b', 'regex-host.example.com', [
        { path: '/headers', pathType: 'Exact', service: 'other' },
        { path: '/a.c', pathType: 'Prefix', service: 'other' },
      ], undefined, '2026-01-02T00:00:00Z'),
      // 3. rewrite-target without use-regex
      ingress('rewrite-a', 'rewrite.example.com', [{ path: '/ip', pathType: 'Prefix', service: 'httpbin' }], { [`${P}/rewrite-target`]: '/uuid' }),
      ingress('rewrite-b', 'rewrite.example.com', [{ path: '/b.d', pathType: 'Prefix', service: 'other' }], undefined, '2026-01-02T00:00:00Z'),
      // 4. a path with a trailing slash
      ingress('trailing-slash', 'trailing-slash.example.com', [{ path: '/my-path/', pathType: 'Exact', service: 'httpbin' }, { path: '/prefix/', pathType: 'Prefix', service: 'httpbin' }]),
      // 5. URL normalisation
      ingress('normalisation', 'normalisation.example.com', [{ path: '/uuid', pathType: 'Exact', service: 'httpbin' }]),
    ]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // "1. Regex matches are prefix-based and case insensitive": /[A-Z]{3} also serves /uuid and /abcdef.
  test('1. a use-regex path is a case-insensitive prefix match (same as ingress-nginx)', async () => {
    for (const path of ['/ABC', '/uuid', '/abcdef/x']) expect([path, (await s.get('regex-match.example.com', path)).echo?.service]).toEqual([path, 'httpbin']);
    expect((await s.get('regex-match.example.com', '/ab')).status).toBe(404);
  });

  // "2. The use-regex annotation applies to all paths on a host, across all Ingresses": regex-b's Prefix
  // path /a.c becomes a regex, so /a-c matches it. Portico keeps Exact paths exact (ingress-nginx makes
  // them case-insensitive prefix regexes too): a documented difference.
  test('2. use-regex is host-wide: another Ingress\'s Prefix path becomes a regex; Exact paths stay exact (difference)', async () => {
    expect((await s.get('regex-host.example.com', '/a-c')).echo?.service).toBe('other');
    expect((await s.get('regex-host.example.com', '/headers')).echo?.service).toBe('other');
    // ingress-nginx: "/headers" Exact is `~* "^/headers"`, so /HEADERS/x goes to "other"; here /HEADERS is
    // matched by regex-a's /[A-Z]{3} prefix regex instead, and /headers/x as well.
    expect((await s.get('regex-host.example.com', '/headers/x')).echo?.service).toBe('httpbin');
  });

  // "3. rewrite-target implies use-regex": rewrite-b (no annotation) gets regex paths on that host.
  test('3. rewrite-target puts the host in regex mode (same as ingress-nginx)', async () => {
    const r = await s.get('rewrite.example.com', '/ip');
    expect([r.echo?.service, r.echo?.path]).toEqual(['httpbin', '/uuid']);
    expect((await s.get('rewrite.example.com', '/bad')).echo?.service).toBe('other');
  });

  // "4. Requests missing a trailing slash are redirected to the same path with a trailing slash": in
  // ingress-nginx /my-path answers 301 to /my-path/. Portico keeps the Ingress API's meaning (a Prefix
  // path's trailing slash is ignored; no implicit 301): a documented difference.
  test('4. no implicit trailing-slash 301: /prefix is served by Prefix /prefix/ (difference)', async () => {
    const prefix = await s.get('trailing-slash.example.com', '/prefix');
    expect([prefix.status, prefix.echo?.path]).toEqual([200, '/prefix']);
    expect((await s.get('trailing-slash.example.com', '/my-path/')).status).toBe(200);
    expect((await s.get('trailing-slash.example.com', '/my-path')).status).toBe(404);
  });

  // "5. URLs are normalized before matching": /foo/../uuid and //uuid match Exact /uuid.
  test('5. the URL is normalised before matching (same as ingress-nginx)', async () => {
    for (const path of ['/foo/../uuid', '/./uuid', '//uuid', '/%75uid']) {
      const r = await s.get('normalisation.example.com', path);
      expect([path, r.status, r.echo?.service]).toEqual([path, 200, 'httpbin']);
    }
    expect((await s.get('normalisation.example.com', '/uuid/x')).status).toBe(404);
  });
});
