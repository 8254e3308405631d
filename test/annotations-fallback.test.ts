import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { warningLine } from '../src/report/messages.js';
import type { KubeObject } from '../src/store/types.js';
import { basic, shaHash, startAuthService, startDnsServer, type AuthService } from './support/auth.js';
import { makeCertificate, tlsSecret } from './support/certs.js';
import { startController, type RunningController } from './support/controller.js';
import { waitFor } from './support/processes.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

/**
 * Issue 12, items 5 and 6: Ingresses written for ingress-nginx keep being served.
 * Item 5: a malformed value that ingress-nginx replaces by its default (its annotation parsers under
 * internal/ingress/annotations/{proxy,redirect,rewrite,canary}) falls back here too, with a warning line,
 * instead of taking the Ingress's routes down; a value that could carry text into nginx.conf is still refused.
 * Item 6: values ingress-nginx accepts and Portico refused. Real nginx, real echo backends, real requests.
 */

const P = 'nginx.ingress.kubernetes.io';

jest.setTimeout(60000);

interface PathSpec {
  path: string;
  service: string;
  pathType?: 'Prefix' | 'Exact' | 'ImplementationSpecific';
}

function ing(name: string, host: string, paths: PathSpec[] | string, annotations: Record<string, string> = {}, created = '2026-01-01T00:00:00Z'): KubeObject {
  const list = typeof paths === 'string' ? [{ path: '/', service: paths }] : paths;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${P}/${k}`, v])), creationTimestamp: created },
    spec: {
      ingressClassName: 'portico',
      rules: [
        {
          host,
          http: { paths: list.map((p) => ({ path: p.path, pathType: p.pathType ?? 'Prefix', backend: { service: { name: p.service, port: { number: 80 } } } })) },
        },
      ],
    },
  } as KubeObject;
}

function warningsOf(s: Scenario, name: string): string[] {
  return s.model.warnings.filter((w) => w.ingress?.name === name).map((w) => warningLine(w));
}

function rejectionOf(s: Scenario, name: string) {
  return s.model.rejections.find((r) => r.ingress.name === name);
}

describe('item 5: malformed values fall back to ingress-nginx\'s default, with a warning', () => {
  let backends: Backends;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app', 'canary');
    s = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'app', [backends.by.app!]),
      ...serviceFor('default', 'canary', [backends.by.canary!]),
      ing('proxy-values', 'proxy.test', 'app', { 'proxy-read-timeout': 'abc', 'proxy-connect-timeout': '0', 'proxy-body-size': '1t' }),
      // Each passes a naive size/count check, and nginx -t refuses the whole config with it (issue 11, item 9).
      ing('proxy-buffers', 'buffers.test', 'app', { 'proxy-buffers-number': '2' }),
      ing('proxy-buffer-huge', 'buffers.test', [{ path: '/huge', service: 'app' }], { 'proxy-buffer-size': '2048m' }),
      ing('code-500', 'code.test', [{ path: '/moved', service: 'app' }], { 'permanent-redirect': 'https://example.com/new', 'permanent-redirect-code': '500' }),
      ing('temporal-308', 'code.test', [{ path: '/tmp', service: 'app' }], { 'temporal-redirect': 'https://example.com/maintenance', 'temporal-redirect-code': '308' }),
      ing('approot-foo', 'approot.test', 'app', { 'app-root': 'foo' }),
      ing('rewrite-empty', 'rewrite.test', [{ path: '/api', service: 'app' }], { 'rewrite-target': '' }),
      ing('main', 'canary.test', 'app'),
      ing('canary-value-alone', 'canary.test', 'canary', { canary: 'true', 'canary-by-header-value': 'yes', 'canary-weight': '100' }, '2026-01-02T00:00:00Z'),
      // Characters that could reach nginx.conf: still a rejection of the whole Ingress.
      ing('injection', 'injection.test', 'app', { 'proxy-read-timeout': '5; return 200 pwned' }),
      ing('injection-code', 'injection2.test', 'app', { 'permanent-redirect': 'https://example.com/', 'permanent-redirect-code': '301;' }),
    ]);
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('proxy-read-timeout "abc", proxy-connect-timeout "0", proxy-body-size "1t": served with the defaults (1m body limit)', async () => {
    const small = await s.get('proxy.test', '/x', { method: 'POST', body: 'a'.repeat(1000) });
    expect([small.status, small.echo?.service, small.echo?.path]).toEqual([200, 'app', '/x']);
    // The default client_max_body_size (1m) applies, not "1t" and not a rejection.
    expect((await s.get('proxy.test', '/x', { method: 'POST', body: 'a'.repeat(1_100_000) })).status).toBe(413);
    expect(warningsOf(s, 'proxy-values').sort()).toEqual([
      'warning: Ingress default/proxy-values: annotation proxy-body-size: "1t" must be a size such as 8m, 512k or 1024 (0 = unlimited); the default (ConfigMap or built-in) is used instead, as in ingress-nginx',
      'warning: Ingress default/proxy-values: annotation proxy-connect-timeout: "0" must be from 1 to 3600 seconds; the default (ConfigMap or built-in) is used instead, as in ingress-nginx',
      'warning: Ingress default/proxy-values: annotation proxy-read-timeout: "abc" must be a whole number of seconds, e.g. 30 or 30s; the default (ConfigMap or built-in) is used instead, as in ingress-nginx',
    ]);
  });

  test('proxy-buffers-number "2" and proxy-buffer-size "2048m", which nginx -t refuses, keep the defaults: the config loads and both Ingresses serve', async () => {
    expect((await s.get('buffers.test', '/x')).echo?.service).toBe('app');
    expect((await s.get('buffers.test', '/huge/x')).echo?.service).toBe('app');
    expect(s.conf).not.toMatch(/proxy_buffers 2 |2048m/);
    expect([...warningsOf(s, 'proxy-buffers'), ...warningsOf(s, 'proxy-buffer-huge')]).toEqual([
      'warning: Ingress default/proxy-buffers: annotation proxy-buffers-number: "2" must be at least 3: nginx requires proxy_busy_buffers_size (two buffers) to be less than all proxy_buffers minus one; the default (ConfigMap or built-in) is used instead, as in ingress-nginx',
      'warning: Ingress default/proxy-buffer-huge: annotation proxy-buffer-size: "2048m" must be at most 1024m (nginx refuses buffers larger than proxy_max_temp_file_size, 1024m); the default (ConfigMap or built-in) is used instead, as in ingress-nginx',
    ]);
  });

  test('permanent-redirect-code "500" answers 301; temporal-redirect-code "308" answers 302 (ingress-nginx\'s defaults)', async () => {
    const moved = await s.get('code.test', '/moved');
    expect([moved.status, moved.headers.location]).toEqual([301, 'https://example.com/new']);
    const tmp = await s.get('code.test', '/tmp');
    expect([tmp.status, tmp.headers.location]).toEqual([302, 'https://example.com/maintenance']);
    expect(warningsOf(s, 'code-500')).toEqual([
      'warning: Ingress default/code-500: annotation permanent-redirect-code: "500" must be from 300 to 308; 301 is used instead, as in ingress-nginx',
    ]);
    expect(warningsOf(s, 'temporal-308')).toEqual([
      'warning: Ingress default/temporal-308: annotation temporal-redirect-code: "308" must be from 300 to 307; 302 is used instead, as in ingress-nginx',
    ]);
  });

  test('app-root "foo" (no leading slash) is ignored: / is proxied, not redirected', async () => {
    const r = await s.get('approot.test', '/');
    expect([r.status, r.echo?.service, r.echo?.path]).toEqual([200, 'app', '/']);
    expect(warningsOf(s, 'approot-foo')).toEqual([
      'warning: Ingress default/approot-foo: annotation app-root: "foo" must start with "/"; no app-root redirect is used instead, as in ingress-nginx',
    ]);
  });

  test('an empty rewrite-target rewrites nothing and implies no regex', async () => {
    const r = await s.get('rewrite.test', '/api/users?id=1');
    expect([r.status, r.echo?.service, r.echo?.path]).toEqual([200, 'app', '/api/users?id=1']);
    expect(warningsOf(s, 'rewrite-empty')).toEqual(['warning: Ingress default/rewrite-empty: annotation rewrite-target is empty; no rewrite is done, as in ingress-nginx']);
  });

  test('canary-by-header-value without canary-by-header is ignored; the canary\'s weight still decides', async () => {
    for (const headers of [{}, { yes: 'yes' }] as Array<Record<string, string>>) {
      const r = await s.get('canary.test', '/', { headers });
      expect([r.status, r.echo?.service]).toEqual([200, 'canary']);
    }
    expect(warningsOf(s, 'canary-value-alone')).toEqual([
      'warning: Ingress default/canary-value-alone: canary-by-header-value is ignored without canary-by-header (the header to read), as in ingress-nginx',
    ]);
  });

  test('a value with characters that could reach nginx.conf still rejects the whole Ingress', async () => {
    expect(rejectionOf(s, 'injection')).toMatchObject({ whole: true, field: `metadata.annotations[${P}/proxy-read-timeout]`, reason: expect.stringMatching(/character ";" is not allowed/) });
    expect(rejectionOf(s, 'injection-code')).toMatchObject({ whole: true, field: `metadata.annotations[${P}/permanent-redirect-code]` });
    expect((await s.get('injection.test', '/')).status).toBe(404);
    expect((await s.get('injection2.test', '/')).status).toBe(404);
    expect(s.conf).not.toContain('pwned');
  });
});

describe('item 6: values ingress-nginx accepts are served', () => {
  let backends: Backends;
  let auth: AuthService;
  let dns: AuthService;
  let s: Scenario;
  const longName = `${'a'.repeat(120)}.${'b'.repeat(132)}`;

  beforeAll(async () => {
    backends = await startBackends('app', 'canary', 'sticky-a', 'sticky-b');
    auth = await startAuthService();
    dns = await startDnsServer();
    const longIngress = ing(longName, 'long.test', 'app', { 'auth-type': 'basic', 'auth-secret': 'htpasswd', 'limit-rps': '100', affinity: 'cookie' });
    ((longIngress as unknown as { spec: { tls?: unknown } }).spec).tls = [{ hosts: ['long.test'], secretName: longName }];
    const htpasswd: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'htpasswd', namespace: 'default' }, type: 'Opaque', stringData: { auth: `alice:${shaHash('wonderland')}\n` } } as KubeObject;
    s = await startScenario(
      [
        INGRESS_CLASS,
        htpasswd,
        ...serviceFor('default', 'app', [backends.by.app!]),
        ...serviceFor('default', 'canary', [backends.by.canary!]),
        ...serviceFor('default', 'sticky', [backends.by['sticky-a']!, backends.by['sticky-b']!]),
        // ingress-nginx's oauth2-proxy example: the auth service is reached through the request's own host.
        ing('oauth', 'app.portico.test', 'app', {
          'auth-url': `http://$host:${auth.port}/verify?uri=$request_uri`,
          'auth-signin': 'http://$host/oauth2/start?rd=$escaped_request_uri',
          'auth-response-headers': 'X-Auth-Saw-Path',
        }),
        ing('prefix-captures', 'prefix.test', [{ path: '/(api)/(v1)(/|$)(.*)', service: 'app', pathType: 'ImplementationSpecific' }], { 'rewrite-target': '/$4', 'x-forwarded-prefix': '/$1/$2' }),
        // A canary header pattern with its own capture group runs (as a map) after the location matched.
        ing('prefix-captures-canary', 'prefix.test', [{ path: '/(api)/(v1)(/|$)(.*)', service: 'canary', pathType: 'ImplementationSpecific' }], { canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-header-pattern': '^(on)$' }, '2026-01-02T00:00:00Z'),
        ing('prefix-relative', 'relative.test', 'app', { 'x-forwarded-prefix': 'app' }),
        ing('prefix-empty', 'empty.test', 'app', { 'x-forwarded-prefix': '' }),
        ing('cookie-main', 'cookie.test', 'app'),
        ing('cookie-canary', 'cookie.test', 'canary', { canary: 'true', 'canary-by-cookie': 'my.canary-cookie' }, '2026-01-02T00:00:00Z'),
        ing('sticky', 'sticky.test', 'sticky', { affinity: 'cookie', 'session-cookie-name': 'my.session-id' }),
        ing('tries', 'tries.test', 'app', { 'proxy-next-upstream-tries': '250' }),
        ing('cors', 'cors.test', 'app', { 'enable-cors': 'true', 'cors-allow-origin': 'tauri://localhost, https://app.example.com' }),
        // Its htpasswd and its TLS Secret's PEM file get names that fit one path component.
        longIngress,
        tlsSecret('default', longName, await makeCertificate('long.test')),
      ],
      { resolvers: [`127.0.0.1:${dns.port}`] },
    );
  });

  afterAll(async () => {
    await s?.stop();
    await dns?.stop();
    await auth?.stop();
    await backends?.stopAll();
  });

  test('everything above is accepted', () => {
    expect(s.model.rejections).toEqual([]);
  });

  test('auth-url https://$host/... reaches the auth service by the request\'s host; auth-signin keeps its rd=$escaped_request_uri', async () => {
    const denied = await s.get('app.portico.test', '/private/page?tab=2');
    expect(denied.status).toBe(302);
    // The sign-in URL already sets rd=: not added twice; the path (Portico's $escaped_request_uri leaves out the query).
    expect(denied.headers.location).toBe('http://app.portico.test/oauth2/start?rd=/private/page');
    const ok = await s.get('app.portico.test', '/private/page?tab=2', { headers: { authorization: 'Bearer good' } });
    expect([ok.status, ok.echo?.service, ok.echo?.path]).toEqual([200, 'app', '/private/page?tab=2']);
    // The auth request's URL was built per request from $request_uri.
    expect(ok.echo?.headers['x-auth-saw-path']).toBe('/verify?uri=/private/page?tab=2');
  });

  test('x-forwarded-prefix "/$1/$2" sends the path\'s capture groups, even when a canary pattern with groups runs after', async () => {
    const main = await s.get('prefix.test', '/api/v1/users');
    expect([main.status, main.echo?.service, main.echo?.path, main.echo?.headers['x-forwarded-prefix']]).toEqual([200, 'app', '/users', '/api/v1']);
    const canary = await s.get('prefix.test', '/API/v1/users', { headers: { 'x-canary': 'on' } });
    expect([canary.status, canary.echo?.service, canary.echo?.path, canary.echo?.headers['x-forwarded-prefix']]).toEqual([200, 'canary', '/users', '/API/v1']);
  });

  test('x-forwarded-prefix without a leading slash is sent as written; "" sends none', async () => {
    const relative = await s.get('relative.test', '/x');
    expect([relative.status, relative.echo?.headers['x-forwarded-prefix']]).toEqual([200, 'app']);
    const empty = await s.get('empty.test', '/x');
    expect([empty.status, empty.echo?.service, empty.echo?.headers['x-forwarded-prefix']]).toEqual([200, 'app', undefined]);
  });

  test('canary-by-cookie "my.canary-cookie": always / never decide, other cookies do not', async () => {
    const always = await s.get('cookie.test', '/', { headers: { cookie: 'other=1; my.canary-cookie=always' } });
    expect(always.echo?.service).toBe('canary');
    expect((await s.get('cookie.test', '/', { headers: { cookie: 'my.canary-cookie=never' } })).echo?.service).toBe('app');
    // A name that differs only where "." and "-" stand is another cookie.
    expect((await s.get('cookie.test', '/', { headers: { cookie: 'myXcanary_cookie=always' } })).echo?.service).toBe('app');
    expect((await s.get('cookie.test', '/')).echo?.service).toBe('app');
  });

  test('session-cookie-name "my.session-id": the issued cookie keeps every later request on the first endpoint', async () => {
    const first = await s.get('sticky.test', '/');
    const setCookie = String(first.headers['set-cookie'] ?? '');
    const m = /^my\.session-id=([^;]+);/.exec(setCookie);
    expect(m).not.toBeNull();
    const cookie = `my.session-id=${m![1]}`;
    const served = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await s.get('sticky.test', '/', { headers: { cookie } });
      served.add(r.echo!.service);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    expect([...served]).toEqual([first.echo!.service]);
  });

  test('proxy-next-upstream-tries "250" is written as is', async () => {
    expect(s.conf).toMatch(/^\s*proxy_next_upstream_tries 250;$/m);
    expect((await s.get('tries.test', '/')).echo?.service).toBe('app');
  });

  test('a CORS origin with any scheme (tauri://localhost) is allowed, and only that origin', async () => {
    const tauri = await s.get('cors.test', '/', { headers: { origin: 'tauri://localhost' } });
    expect([tauri.status, tauri.headers['access-control-allow-origin']]).toEqual([200, 'tauri://localhost']);
    const other = await s.get('cors.test', '/', { headers: { origin: 'tauri://evil' } });
    expect([other.status, other.headers['access-control-allow-origin']]).toEqual([200, undefined]);
  });

  test('an Ingress (and its TLS Secret) named with 253 characters, a 132-character label, with basic auth, a rate limit and affinity is served', async () => {
    expect(longName).toHaveLength(253);
    expect((await s.getTls('long.test', '/')).status).toBe(401);
    const ok = await s.getTls('long.test', '/', { headers: basic('alice', 'wonderland') });
    expect([ok.status, ok.echo?.service, ok.peerCertificate?.subjectaltname]).toEqual([200, 'app', 'DNS:long.test']);
  });
});

describe('item 5 in portico run: a fallback is a warn log line and the Ingress serves', () => {
  let backends: Backends;
  let ctl: RunningController;

  beforeAll(async () => {
    backends = await startBackends('app');
    ctl = await startController({
      files: {
        '00-class.yaml': [INGRESS_CLASS],
        '01-services.yaml': serviceFor('default', 'app', [backends.by.app!]),
        '02-ingress.yaml': [ing('timeouts', 'run.test', 'app', { 'proxy-read-timeout': 'abc', 'permanent-redirect': 'https://example.com/new', 'permanent-redirect-code': '500' })],
      },
    });
  });

  afterAll(async () => {
    const code = await ctl?.stop();
    await backends?.stopAll();
    expect(code).toBe(0);
  });

  test('the Ingress answers with the default redirect code and each fallback is logged once as a warning', async () => {
    const r = await ctl.get('run.test', '/anything');
    expect([r.status, r.headers.location]).toEqual([301, 'https://example.com/new']);
    await waitFor(async () => ctl.logs.filter((l) => l.level === 'warn' && l.ingress === 'default/timeouts').length >= 2, 5000, 'warning lines');
    expect(ctl.logs.filter((l) => l.ingress === 'default/timeouts').map((l) => [l.level, l.message]).sort()).toEqual([
      ['warn', 'warning: Ingress default/timeouts: annotation permanent-redirect-code: "500" must be from 300 to 308; 301 is used instead, as in ingress-nginx'],
      ['warn', 'warning: Ingress default/timeouts: annotation proxy-read-timeout: "abc" must be a whole number of seconds, e.g. 30 or 30s; the default (ConfigMap or built-in) is used instead, as in ingress-nginx'],
    ]);
  });
});
