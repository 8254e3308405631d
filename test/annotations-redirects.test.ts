import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { makeCertificate, tlsSecret, type TestCertificate } from './support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';
const NS = 'redir';

interface IngressSpec {
  host: string;
  paths: Array<[path: string, service: string, pathType?: string]>;
  annotations?: Record<string, string>;
  tls?: string;
  created?: string;
}

function ingress(name: string, spec: IngressSpec): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, annotations: spec.annotations ?? {}, creationTimestamp: spec.created ?? '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: 'portico',
      ...(spec.tls ? { tls: [{ hosts: [spec.host], secretName: spec.tls }] } : {}),
      rules: [
        {
          host: spec.host,
          http: {
            paths: spec.paths.map(([path, service, pathType]) => ({ path, pathType: pathType ?? 'Prefix', backend: { service: { name: service, port: { number: 80 } } } })),
          },
        },
      ],
    },
  } as KubeObject;
}

describe('redirect annotations through real nginx', () => {
  let backends: Backends;
  let s: Scenario;
  let objects: KubeObject[];
  let acmeCert: TestCertificate;

  beforeAll(async () => {
    backends = await startBackends('app', 'solver', 'other');
    const secure = await makeCertificate('secure.test');
    acmeCert = await makeCertificate('acme.test', 30);
    objects = [
      INGRESS_CLASS,
      ...serviceFor(NS, 'app', [backends.by.app!]),
      ...serviceFor(NS, 'solver', [backends.by.solver!]),
      ...serviceFor(NS, 'other', [backends.by.other!]),
      tlsSecret(NS, 'secure-tls', secure),
      tlsSecret(NS, 'acme-tls', acmeCert),
      // app-root: the oldest Ingress of the host decides.
      ingress('approot', { host: 'approot.test', paths: [['/', 'app']], annotations: { [`${P}/app-root`]: '/app1' }, created: '2026-01-01T00:00:00Z' }),
      ingress('approot-newer', { host: 'approot.test', paths: [['/x', 'other']], annotations: { [`${P}/app-root`]: '/ignored' }, created: '2026-02-01T00:00:00Z' }),
      // ssl-redirect per Ingress on one TLS host.
      ingress('secure', { host: 'secure.test', paths: [['/a', 'app']], tls: 'secure-tls' }),
      ingress('secure-noredirect', { host: 'secure.test', paths: [['/b', 'other']], annotations: { [`${P}/ssl-redirect`]: 'false' }, created: '2026-02-01T00:00:00Z' }),
      ingress('secure-slash', { host: 'secure.test', paths: [['/keep', 'app']], annotations: { [`${P}/preserve-trailing-slash`]: 'true' }, created: '2026-02-02T00:00:00Z' }),
      ingress('force', { host: 'force.test', paths: [['/', 'app']], annotations: { [`${P}/force-ssl-redirect`]: 'true' } }),
      // cert-manager HTTP-01: the solver Ingress is separate and has no TLS; the host's TLS comes from the other one.
      ingress('acme', { host: 'acme.test', paths: [['/', 'app']], tls: 'acme-tls' }),
      ingress('cm-acme-http-solver-exact', { host: 'acme.test', paths: [['/.well-known/acme-challenge/tok3n-exact', 'solver', 'Exact']], created: '2026-03-01T00:00:00Z' }),
      ingress('cm-acme-http-solver-is', {
        host: 'acme.test',
        paths: [['/.well-known/acme-challenge/tok3n-is', 'solver', 'ImplementationSpecific']],
        created: '2026-03-02T00:00:00Z',
      }),
      // permanent and temporal redirects.
      ingress('moved', { host: 'redirect.test', paths: [['/old', 'app']], annotations: { [`${P}/permanent-redirect`]: 'https://example.com/new?from=old' } }),
      ingress('moved-308', {
        host: 'redirect.test',
        paths: [['/old308', 'app']],
        annotations: { [`${P}/permanent-redirect`]: 'https://example.com/308', [`${P}/permanent-redirect-code`]: '308' },
      }),
      ingress('temporal', { host: 'redirect.test', paths: [['/tmp', 'app']], annotations: { [`${P}/temporal-redirect`]: 'http://example.org/maintenance' } }),
      // from-to-www-redirect both ways, and a www name another Ingress defines is not taken.
      ingress('www', { host: 'www.shop.test', paths: [['/', 'app']], annotations: { [`${P}/from-to-www-redirect`]: 'true' } }),
      ingress('bare', { host: 'blog.test', paths: [['/', 'app']], annotations: { [`${P}/from-to-www-redirect`]: 'true' } }),
      ingress('taken', { host: 'taken.test', paths: [['/', 'app']], annotations: { [`${P}/from-to-www-redirect`]: 'true' } }),
      ingress('taken-www', { host: 'www.taken.test', paths: [['/', 'other']] }),
      // Invalid values reject the whole Ingress.
      ingress('bad-url', { host: 'bad1.test', paths: [['/', 'app']], annotations: { [`${P}/permanent-redirect`]: 'https://x.test/"; return 200 "pwned' } }),
      ingress('bad-scheme', { host: 'bad2.test', paths: [['/', 'app']], annotations: { [`${P}/temporal-redirect`]: 'javascript:alert(1)' } }),
      ingress('bad-code', { host: 'bad3.test', paths: [['/', 'app']], annotations: { [`${P}/permanent-redirect`]: 'https://x.test/', [`${P}/permanent-redirect-code`]: '3O1' } }),
      ingress('bad-approot', { host: 'bad4.test', paths: [['/', 'app']], annotations: { [`${P}/app-root`]: '/app;return 200' } }),
      ingress('bad-bool', { host: 'bad5.test', paths: [['/', 'app']], annotations: { [`${P}/ssl-redirect`]: 'yes' } }),
    ];
    s = await startScenario(objects);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('app-root: / answers 302 to the root of the oldest Ingress; other paths are proxied', async () => {
    const r = await s.get('approot.test', '/');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('http://approot.test/app1');
    const app = await s.get('approot.test', '/app1');
    expect([app.status, app.echo?.service, app.echo?.path]).toEqual([200, 'app', '/app1']);
    expect((await s.get('approot.test', '/x')).echo?.service).toBe('other');
    // Only / is redirected, not /?q (the path is what counts).
    expect((await s.get('approot.test', '/?q=1')).status).toBe(302);
  });

  test('ssl-redirect: a TLS host redirects with 308 and drops one trailing slash by default', async () => {
    const r = await s.get('secure.test', '/a/?x=1');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://secure.test/a/?x=1');
    const slash = await s.get('secure.test', '/a/deep/');
    expect(slash.status).toBe(308);
    expect(slash.headers.location).toBe('https://secure.test/a/deep');
    const tls = await s.getTls('secure.test', '/a/deep/');
    expect([tls.status, tls.echo?.service, tls.echo?.path]).toEqual([200, 'app', '/a/deep/']);
  });

  test('ssl-redirect "false" on one Ingress serves its paths on plain http; the others still redirect', async () => {
    const r = await s.get('secure.test', '/b/page');
    expect([r.status, r.echo?.service, r.echo?.path]).toEqual([200, 'other', '/b/page']);
    expect((await s.get('secure.test', '/a')).status).toBe(308);
  });

  test('preserve-trailing-slash keeps the slash in the https redirect', async () => {
    const r = await s.get('secure.test', '/keep/');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://secure.test/keep/');
  });

  test('force-ssl-redirect redirects a host without TLS', async () => {
    const r = await s.get('force.test', '/p?q=2');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://force.test/p?q=2');
    // Without the annotation a host without TLS is served on http.
    expect((await s.get('approot.test', '/app1')).status).toBe(200);
  });

  test('cert-manager HTTP-01: the solver path answers on plain http on a TLS host; everything else redirects', async () => {
    for (const token of ['tok3n-exact', 'tok3n-is']) {
      const r = await s.get('acme.test', `/.well-known/acme-challenge/${token}`);
      expect([token, r.status, r.echo?.service, r.echo?.path]).toEqual([token, 200, 'solver', `/.well-known/acme-challenge/${token}`]);
    }
    expect((await s.get('acme.test', '/')).status).toBe(308);
    expect((await s.getTls('acme.test', '/')).echo?.service).toBe('app');
  });

  test('a renewed certificate in the TLS Secret is served after re-render and reload', async () => {
    const before = (await s.getTls('acme.test', '/')) as { peerCertificate?: { fingerprint256?: string } };
    const renewed = await makeCertificate('acme.test', 90);
    const next = objects.map((o) => (o.kind === 'Secret' && o.metadata?.name === 'acme-tls' ? tlsSecret(NS, 'acme-tls', renewed) : o));
    await s.update(next);
    const after = (await s.getTls('acme.test', '/')) as { status: number; peerCertificate?: { fingerprint256?: string; valid_to?: string } };
    expect(after.status).toBe(200);
    expect(before.peerCertificate?.fingerprint256).toBeDefined();
    expect(after.peerCertificate?.fingerprint256).not.toBe(before.peerCertificate?.fingerprint256);
    const expected = new (await import('node:crypto')).X509Certificate(renewed.cert).fingerprint256;
    expect(after.peerCertificate?.fingerprint256).toBe(expected);
    // The solver path still answers on http after the reload.
    expect((await s.get('acme.test', '/.well-known/acme-challenge/tok3n-exact')).echo?.service).toBe('solver');
  });

  test('permanent-redirect answers 301 (or permanent-redirect-code) with the URL as written', async () => {
    const r = await s.get('redirect.test', '/old/anything');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://example.com/new?from=old');
    const r308 = await s.get('redirect.test', '/old308');
    expect([r308.status, r308.headers.location]).toEqual([308, 'https://example.com/308']);
  });

  test('temporal-redirect answers 302', async () => {
    const r = await s.get('redirect.test', '/tmp');
    expect([r.status, r.headers.location]).toEqual([302, 'http://example.org/maintenance']);
  });

  test('from-to-www-redirect: shop.test → www.shop.test and www.blog.test → blog.test, keeping scheme, port and path', async () => {
    const r = await s.get('shop.test', '/cart?id=3');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`http://www.shop.test:${s.httpPort}/cart?id=3`);
    const back = await s.get('www.blog.test', '/post/1');
    expect([back.status, back.headers.location]).toEqual([308, `http://blog.test:${s.httpPort}/post/1`]);
    const tls = await s.getTls('shop.test', '/x');
    expect([tls.status, tls.headers.location]).toEqual([308, `https://www.shop.test:${s.httpsPort}/x`]);
    expect((await s.get('www.shop.test', '/cart')).echo?.service).toBe('app');
  });

  test('from-to-www-redirect never takes a host another Ingress defines', async () => {
    expect((await s.get('www.taken.test', '/')).echo?.service).toBe('other');
    expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/from-to-www-redirect: host www\.taken\.test is served by another rule/));
  });

  test.each([
    ['bad-url', 'permanent-redirect', /only URL characters/],
    ['bad-scheme', 'temporal-redirect', /absolute http/],
    // A code outside 300..308 falls back to 301 (test/annotations-fallback.test.ts); one that is no number is refused.
    ['bad-code', 'permanent-redirect-code', /whole number/],
    ['bad-approot', 'app-root', /not allowed/],
    ['bad-bool', 'ssl-redirect', /"true" or "false"/],
  ])('invalid %s: the whole Ingress is rejected, naming %s', async (name, key, reason) => {
    const rej = s.model.rejections.find((r) => r.ingress.name === name);
    expect(rej?.whole).toBe(true);
    expect(rej?.field).toBe(`metadata.annotations[${P}/${key}]`);
    expect(rej?.reason).toMatch(reason);
    const host = `bad${['bad-url', 'bad-scheme', 'bad-code', 'bad-approot', 'bad-bool'].indexOf(name) + 1}.test`;
    expect((await s.get(host, '/')).status).toBe(404);
    expect(s.conf).not.toContain('pwned');
  });
});

describe('redirect keys in the global ConfigMap', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app');
    const cert = await makeCertificate('tls.test');
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor(NS, 'app', [backends.by.app!]),
        tlsSecret(NS, 'tls', cert),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'ops' }, data: { 'ssl-redirect': 'false', 'http-redirect-code': '301', 'no-tls-redirect-locations': '/public' } } as KubeObject,
        ingress('plain', { host: 'tls.test', paths: [['/', 'app']], tls: 'tls' }),
        ingress('wants', { host: 'tls.test', paths: [['/secure', 'app'], ['/public', 'app']], annotations: { [`${P}/ssl-redirect`]: 'true' }, created: '2026-02-01T00:00:00Z' }),
      ],
      { configMap: 'ops/portico' },
    );
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('ssl-redirect "false" globally serves http; the annotation turns it back on, with http-redirect-code', async () => {
    expect((await s.get('tls.test', '/x')).status).toBe(200);
    const r = await s.get('tls.test', '/secure');
    expect([r.status, r.headers.location]).toEqual([301, 'https://tls.test/secure']);
  });

  test('no-tls-redirect-locations exempts its prefixes', async () => {
    expect((await s.get('tls.test', '/public/file')).status).toBe(200);
    expect(s.model.warnings).toEqual([]);
  });
});
