import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';

function ing(name: string, host: string, service: string, annotations: Record<string, string> = {}, opts: { created?: string; path?: string; pathType?: string } = {}): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z',
      annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${P}/${k}`, v])),
    },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: [{ path: opts.path ?? '/', pathType: opts.pathType ?? 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }],
    },
  } as KubeObject;
}

/** A canary Ingress, younger than the main one, for the same host and path. */
const canary = (name: string, host: string, annotations: Record<string, string>, path?: string) =>
  ing(name, host, 'canary', { canary: 'true', ...annotations }, { created: '2026-02-01T00:00:00Z', path });

async function count(s: Scenario, host: string, n: number, path = '/', headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await s.get(host, path, { headers });
    const who = r.echo?.service ?? `status ${r.status}`;
    seen[who] = (seen[who] ?? 0) + 1;
  }
  return seen;
}

describe('canary Ingresses through a real nginx', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('main', 'canary');
    const b = backends.by;
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'main', [b.main!]),
      ...serviceFor('default', 'canary', [b.canary!]),
      ing('main', 'hc.test', 'main'),
      canary('canary-hc', 'hc.test', { 'canary-by-header': 'X-Canary', 'canary-by-cookie': 'use_canary' }),
      ing('main-value', 'value.test', 'main'),
      canary('canary-value', 'value.test', { 'canary-by-header': 'X-Version', 'canary-by-header-value': 'v2.1' }),
      ing('main-pattern', 'pattern.test', 'main'),
      canary('canary-pattern', 'pattern.test', { 'canary-by-header': 'X-Version', 'canary-by-header-pattern': '^beta-[0-9]+$' }),
      ing('main-w0', 'w0.test', 'main'),
      canary('canary-w0', 'w0.test', { 'canary-weight': '0' }),
      ing('main-w100', 'w100.test', 'main'),
      canary('canary-w100', 'w100.test', { 'canary-weight': '100', 'canary-by-header': 'X-Canary' }),
      ing('main-w50', 'w50.test', 'main'),
      canary('canary-w50', 'w50.test', { 'canary-weight': '500', 'canary-weight-total': '1000' }),
      ing('main-paths', 'paths.test', 'main', {}, { path: '/app' }),
      canary('canary-orphan', 'paths.test', { 'canary-weight': '100' }, '/other'),
      canary('canary-second', 'hc.test', { 'canary-weight': '100' }),
      ing('main-rewrite', 'rewrite.test', 'main', { 'rewrite-target': '/$2' }, { path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific' }),
      canary('canary-rewrite', 'rewrite.test', { 'canary-by-header': 'X-Canary' }, '/api(/|$)(.*)'),
    ]);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('a canary Ingress on the same host and path is not a conflicting path', () => {
    const names = s.model.rejections.map((r) => r.ingress.name);
    for (const name of ['canary-hc', 'canary-value', 'canary-pattern', 'canary-w0', 'canary-w100', 'canary-w50', 'canary-rewrite']) expect(names).not.toContain(name);
  });

  test('canary-by-header: "always" goes to the canary, "never" and other values to the main backend', async () => {
    expect((await s.get('hc.test', '/x', { headers: { 'X-Canary': 'always' } })).echo?.service).toBe('canary');
    expect((await s.get('hc.test', '/x', { headers: { 'X-Canary': 'never' } })).echo?.service).toBe('main');
    expect((await s.get('hc.test', '/x', { headers: { 'X-Canary': 'sometimes' } })).echo?.service).toBe('main');
    expect((await s.get('hc.test', '/x')).echo?.service).toBe('main');
  });

  test('canary-by-cookie: "always" and "never"; the header decides before the cookie', async () => {
    expect((await s.get('hc.test', '/', { headers: { cookie: 'a=b; use_canary=always' } })).echo?.service).toBe('canary');
    expect((await s.get('hc.test', '/', { headers: { cookie: 'use_canary=never' } })).echo?.service).toBe('main');
    expect((await s.get('hc.test', '/', { headers: { cookie: 'use_canary=maybe' } })).echo?.service).toBe('main');
    expect((await s.get('hc.test', '/', { headers: { cookie: 'use_canary=always', 'X-Canary': 'never' } })).echo?.service).toBe('main');
    expect((await s.get('hc.test', '/', { headers: { cookie: 'use_canary=never', 'X-Canary': 'always' } })).echo?.service).toBe('canary');
    // An unknown header value falls through to the cookie.
    expect((await s.get('hc.test', '/', { headers: { cookie: 'use_canary=always', 'X-Canary': 'other' } })).echo?.service).toBe('canary');
  });

  test('canary-by-header-value: only that exact value (case-sensitive) selects the canary; "always" is not special', async () => {
    expect((await s.get('value.test', '/', { headers: { 'X-Version': 'v2.1' } })).echo?.service).toBe('canary');
    expect((await s.get('value.test', '/', { headers: { 'X-Version': 'V2.1' } })).echo?.service).toBe('main');
    expect((await s.get('value.test', '/', { headers: { 'X-Version': 'v2x1' } })).echo?.service).toBe('main');
    expect((await s.get('value.test', '/', { headers: { 'X-Version': 'always' } })).echo?.service).toBe('main');
  });

  test('canary-by-header-pattern: a regex on the header value', async () => {
    expect((await s.get('pattern.test', '/', { headers: { 'X-Version': 'beta-42' } })).echo?.service).toBe('canary');
    expect((await s.get('pattern.test', '/', { headers: { 'X-Version': 'beta-x' } })).echo?.service).toBe('main');
    expect((await s.get('pattern.test', '/', { headers: { 'X-Version': 'rc-beta-1' } })).echo?.service).toBe('main');
  });

  test('canary-weight 0 sends nothing to the canary, 100 sends everything; a header "never" still wins over the weight', async () => {
    expect(await count(s, 'w0.test', 30)).toEqual({ main: 30 });
    expect(await count(s, 'w100.test', 30)).toEqual({ canary: 30 });
    expect(await count(s, 'w100.test', 10, '/', { 'X-Canary': 'never' })).toEqual({ main: 10 });
  });

  test('canary-weight 500 of canary-weight-total 1000 splits roughly in half', async () => {
    const seen = await count(s, 'w50.test', 300);
    expect((seen.main ?? 0) + (seen.canary ?? 0)).toBe(300);
    // Binomial(300, 0.5): the standard deviation is about 8.7; 90..210 is more than 6 of them.
    expect(seen.canary).toBeGreaterThan(90);
    expect(seen.canary).toBeLessThan(210);
  });

  test("the main Ingress's rewrite-target applies to requests routed to the canary as well", async () => {
    const toCanary = await s.get('rewrite.test', '/api/users?id=7', { headers: { 'X-Canary': 'always' } });
    expect([toCanary.echo?.service, toCanary.echo?.path]).toEqual(['canary', '/users?id=7']);
    const toMain = await s.get('rewrite.test', '/api/users?id=7');
    expect([toMain.echo?.service, toMain.echo?.path]).toEqual(['main', '/users?id=7']);
  });

  test('a canary without a main Ingress for its path is rejected with a reason, and a second canary for one path too', async () => {
    expect(s.model.rejections).toContainEqual(
      expect.objectContaining({ ingress: { namespace: 'default', name: 'canary-orphan' }, reason: expect.stringContaining('no main (non-canary) Ingress serves path "/other"') }),
    );
    expect(s.model.rejections).toContainEqual(
      expect.objectContaining({ ingress: { namespace: 'default', name: 'canary-second' }, reason: expect.stringContaining('already has the canary Ingress default/canary-hc') }),
    );
    expect((await s.get('paths.test', '/other')).status).toBe(404);
    expect(await count(s, 'hc.test', 10)).toEqual({ main: 10 });
  });
});

describe('load balancing and cookie affinity through a real nginx', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('r1', 'r2');
    const b = backends.by;
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'pool', [b.r1!, b.r2!]),
      ing('rr', 'rr.test', 'pool'),
      ing('hashed', 'hash.test', 'pool', { 'upstream-hash-by': '$request_uri' }),
      ing('sticky', 'sticky.test', 'pool', { affinity: 'cookie', 'session-cookie-name': 'route', 'session-cookie-max-age': '3600' }, { path: '/app' }),
    ]);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('round robin (the default) spreads requests over both endpoints', async () => {
    const seen = await count(s, 'rr.test', 40);
    expect(seen.r1).toBeGreaterThan(5);
    expect(seen.r2).toBeGreaterThan(5);
  });

  test('two Ingresses with different balancing for one Service get distinct upstreams', () => {
    const pool = s.model.upstreams.filter((u) => u.service.name === 'pool');
    expect(pool.map((u) => u.loadBalance).sort()).toEqual(['hash', 'hash', 'round_robin']);
    expect(new Set(pool.map((u) => u.name)).size).toBe(3);
    expect(s.conf).toContain('hash "$request_uri" consistent;');
  });

  test('upstream-hash-by $request_uri pins each path to one endpoint, and different paths use both', async () => {
    const owners = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const seen = await count(s, 'hash.test', 6, `/item/${i}`);
      expect(Object.keys(seen)).toHaveLength(1);
      owners.add(Object.keys(seen)[0]!);
    }
    expect([...owners].sort()).toEqual(['r1', 'r2']);
  });

  test('affinity: cookie issues the cookie once and a client that keeps it stays on one endpoint', async () => {
    const endpoints = new Set<string>();
    for (let session = 0; session < 16; session++) {
      const first = await s.get('sticky.test', '/app/login');
      const setCookie = first.headers['set-cookie']?.[0] ?? '';
      expect(setCookie).toMatch(/^route=[0-9a-f]{32}; Path=\/app; Max-Age=3600; HttpOnly$/);
      const cookie = setCookie.split(';')[0]!;
      const firstBackend = first.echo!.service;
      endpoints.add(firstBackend);
      for (let i = 0; i < 5; i++) {
        const r = await s.get('sticky.test', `/app/page/${i}`, { headers: { cookie } });
        expect([r.echo?.service, r.headers['set-cookie']]).toEqual([firstBackend, undefined]);
      }
    }
    // Sixteen fresh sessions all on one endpoint would mean the cookie is not what decides.
    expect([...endpoints].sort()).toEqual(['r1', 'r2']);
  });
});
