import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmod, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../src/store/types.js';
import { apr1Hash, basic, shaHash, startAuthService, startDnsServer, type AuthService } from './support/auth.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';

function ing(name: string, host: string, service: string, annotations: Record<string, string> = {}, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${P}/${k}`, v])), creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: 'portico',
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }],
    },
  } as KubeObject;
}

function secret(name: string, data: Record<string, string>, namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', stringData: data } as KubeObject;
}

const FROM_1 = { localAddress: '127.0.0.1' };
const FROM_2 = { localAddress: '127.0.0.2' };

describe('access-control annotations through a real nginx', () => {
  let backends: Backends;
  let auth: AuthService;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app', 'other');
    auth = await startAuthService();
    const authUrl = `http://127.0.0.1:${auth.port}/verify`;
    const objects: KubeObject[] = [
      INGRESS_CLASS,
      ...serviceFor('default', 'app', [backends.by.app!]),
      ...serviceFor('team', 'app', [backends.by.other!]),
      secret('htpasswd', { auth: `alice:${shaHash('wonderland')}\nbob:${await apr1Hash('builder')}\n` }),
      secret('usermap', { carol: shaHash('c4rol') }, 'secrets'),
      secret('garbage', { auth: 'this is not htpasswd' }),
      ing('allow', 'allow.test', 'app', { 'allowlist-source-range': '127.0.0.1/32, 10.0.0.0/8' }),
      ing('white', 'white.test', 'app', { 'whitelist-source-range': '127.0.0.2' }),
      ing('deny', 'deny.test', 'app', { 'denylist-source-range': '127.0.0.2/32' }),
      ing('open', 'open.test', 'app'),
      ing('basic', 'basic.test', 'app', { 'auth-type': 'basic', 'auth-secret': 'htpasswd', 'auth-realm': 'Staff only' }),
      ing('basic-map', 'map.test', 'app', { 'auth-type': 'basic', 'auth-secret': 'secrets/usermap', 'auth-secret-type': 'auth-map' }),
      ing('basic-missing', 'missing.test', 'app', { 'auth-type': 'basic', 'auth-secret': 'nope' }),
      ing('basic-garbage', 'garbage.test', 'app', { 'auth-type': 'basic', 'auth-secret': 'garbage' }),
      ing('ext', 'ext.test', 'app', { 'auth-url': authUrl, 'auth-response-headers': 'X-Auth-User, X-Auth-Saw-Original-Url, X-Auth-Saw-Body-Bytes, X-Auth-Saw-Method' }),
      ing('ext-signin', 'signin.test', 'app', { 'auth-url': authUrl, 'auth-signin': 'https://login.example.com/start?app=1' }),
      ing('ext-post', 'extpost.test', 'app', { 'auth-url': authUrl, 'auth-method': 'POST', 'auth-response-headers': 'X-Auth-Saw-Method' }),
      ing('cors', 'cors.test', 'app', {
        'enable-cors': 'true',
        'cors-allow-origin': 'https://app.example.com, https://*.example.org, http://localhost:3000',
        'cors-allow-methods': 'GET, POST',
        'cors-allow-headers': 'X-Custom, Content-Type',
        'cors-expose-headers': 'X-Served-By',
        'cors-allow-credentials': 'false',
        'cors-max-age': '600',
      }),
      ing('cors-any', 'cors-any.test', 'app', { 'enable-cors': 'true' }),
      ing('rps', 'rps.test', 'app', { 'limit-rps': '2', 'limit-burst-multiplier': '1' }),
      ing('conn', 'conn.test', 'app', { 'limit-connections': '1' }),
      ing('snippet', 'snippet.test', 'app', { 'configuration-snippet': 'add_header X-Snippet "on" always;' }),
      ing('all', 'all.test', 'app', {
        'enable-cors': 'true',
        'cors-allow-origin': 'https://app.example.com',
        'allowlist-source-range': '127.0.0.1',
        'auth-type': 'basic',
        'auth-secret': 'htpasswd',
        'auth-url': authUrl,
      }),
    ];
    s = await startScenario(objects);
    // mkdtemp makes the state dir 0700; nginx workers (nobody, when the tests run as root) must traverse it
    // to read the htpasswd files, as they can under a real state dir (0755).
    await chmod(s.stateDir, 0o711);
  });

  afterAll(async () => {
    await s?.stop();
    await auth?.stop();
    await backends?.stopAll();
  });

  test('allowlist-source-range admits listed client addresses and answers 403 to others', async () => {
    const ok = await s.get('allow.test', '/x', FROM_1);
    expect([ok.status, ok.echo?.service]).toEqual([200, 'app']);
    expect(ok.echo?.headers['x-real-ip']).toBe('127.0.0.1');
    expect((await s.get('allow.test', '/x', FROM_2)).status).toBe(403);
  });

  test('whitelist-source-range is the same, under its old name', async () => {
    expect((await s.get('white.test', '/', FROM_2)).status).toBe(200);
    expect((await s.get('white.test', '/', FROM_1)).status).toBe(403);
  });

  test('denylist-source-range refuses listed addresses only', async () => {
    expect((await s.get('deny.test', '/', FROM_2)).status).toBe(403);
    expect((await s.get('deny.test', '/', FROM_1)).status).toBe(200);
    expect((await s.get('open.test', '/', FROM_2)).status).toBe(200);
  });

  test('basic auth: 401 with the realm without or with wrong credentials, 200 with right ones ({SHA} and apr1)', async () => {
    const none = await s.get('basic.test', '/');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="Staff only"');
    expect((await s.get('basic.test', '/', { headers: basic('alice', 'wrong') })).status).toBe(401);
    expect((await s.get('basic.test', '/', { headers: basic('mallory', 'wonderland') })).status).toBe(401);
    const alice = await s.get('basic.test', '/', { headers: basic('alice', 'wonderland') });
    expect([alice.status, alice.echo?.service]).toEqual([200, 'app']);
    expect((await s.get('basic.test', '/', { headers: basic('bob', 'builder') })).status).toBe(200);
  });

  test('basic auth with auth-map from a Secret in another namespace; the htpasswd file is 0600 under auth/', async () => {
    expect((await s.get('map.test', '/')).status).toBe(401);
    expect((await s.get('map.test', '/', { headers: basic('carol', 'c4rol') })).status).toBe(200);
    expect((await s.get('map.test', '/', { headers: basic('carol', 'nope') })).status).toBe(401);
    const file = join(s.stateDir, 'auth', (await readdir(join(s.stateDir, 'auth'))).find((f) => f.startsWith('default_basic-map.'))!);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(s.conf).toContain(`auth_basic_user_file "${file}";`);
  });

  test('a missing auth Secret closes the paths with 503, even with credentials; one without a usable line answers 401; both warn', async () => {
    expect((await s.get('missing.test', '/')).status).toBe(503);
    expect((await s.get('missing.test', '/', { headers: basic('alice', 'wonderland') })).status).toBe(503);
    // As ingress-nginx (its e2e: Secret "auth": "foo:" answers 401): unusable lines sign nobody in.
    expect((await s.get('garbage.test', '/')).status).toBe(401);
    expect((await s.get('garbage.test', '/', { headers: basic('alice', 'wonderland') })).status).toBe(401);
    const warned = s.model.warnings.map((w) => `${w.object}: ${w.message}`);
    expect(warned).toContainEqual(expect.stringMatching(/^Ingress default\/basic-missing: auth-secret: Secret default\/nope not found/));
    expect(warned).toContainEqual(expect.stringMatching(/^Ingress default\/basic-garbage: auth-secret: .*not USER:HASH/));
  });

  test('auth-url: 401 and 403 from the auth service reach the client; 200 lets the request through', async () => {
    expect((await s.get('ext.test', '/page')).status).toBe(401);
    expect((await s.get('ext.test', '/page', { headers: { authorization: 'Bearer forbidden' } })).status).toBe(403);
    const ok = await s.get('ext.test', '/page?q=1', { method: 'POST', body: 'payload', headers: { authorization: 'Bearer good' } });
    expect([ok.status, ok.echo?.service, ok.echo?.path, ok.echo?.body]).toEqual([200, 'app', '/page?q=1', 'payload']);
  });

  test('auth-response-headers are copied from the auth answer to the upstream request; the auth request has no body', async () => {
    const ok = await s.get('ext.test', '/page?q=1', { method: 'POST', body: 'payload', headers: { authorization: 'Bearer good' } });
    const h = ok.echo!.headers;
    expect(h['x-auth-user']).toBe('alice');
    expect(h['x-auth-saw-original-url']).toBe('http://ext.test/page?q=1');
    expect(h['x-auth-saw-body-bytes']).toBe('0');
    expect(h['x-auth-saw-method']).toBe('GET');
  });

  test('auth-method sets the method of the auth request', async () => {
    const ok = await s.get('extpost.test', '/', { headers: { authorization: 'Bearer good' } });
    expect(ok.echo?.headers['x-auth-saw-method']).toBe('POST');
  });

  test('auth-signin: a 401 becomes a redirect to the sign-in URL with rd= the original URL; 403 stays 403', async () => {
    const r = await s.get('signin.test', '/deep/link?x=2');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('https://login.example.com/start?app=1&rd=http://signin.test/deep/link?x=2');
    expect((await s.get('signin.test', '/', { headers: { authorization: 'Bearer forbidden' } })).status).toBe(403);
    expect((await s.get('signin.test', '/', { headers: { authorization: 'Bearer good' } })).status).toBe(200);
  });

  test('the internal auth location cannot be requested directly', async () => {
    expect((await s.get('ext.test', '/_portico_auth;default;ext')).status).toBe(404);
  });

  test('CORS preflight: 204 with the CORS headers for an allowed origin', async () => {
    const r = await s.get('cors.test', '/api', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(r.headers['access-control-allow-methods']).toBe('GET, POST');
    expect(r.headers['access-control-allow-headers']).toBe('X-Custom, Content-Type');
    expect(r.headers['access-control-max-age']).toBe('600');
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
  });

  test('CORS: "*." matches exactly one label; ports count; other origins get no Access-Control-Allow-Origin', async () => {
    const origin = async (o: string) => (await s.get('cors.test', '/api', { headers: { origin: o } })).headers['access-control-allow-origin'];
    expect(await origin('https://a.example.org')).toBe('https://a.example.org');
    expect(await origin('http://localhost:3000')).toBe('http://localhost:3000');
    expect(await origin('https://a.b.example.org')).toBeUndefined();
    expect(await origin('https://example.org')).toBeUndefined();
    expect(await origin('http://app.example.com')).toBeUndefined();
    expect(await origin('https://app.example.com.evil.test')).toBeUndefined();
    expect(await origin('http://localhost:3001')).toBeUndefined();
    const pre = await s.get('cors.test', '/api', { method: 'OPTIONS', headers: { origin: 'https://evil.test' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-methods']).toBeUndefined();
  });

  test('CORS on a normal request: the backend answers and the headers are added', async () => {
    const r = await s.get('cors.test', '/api', { headers: { origin: 'https://app.example.com' } });
    expect([r.status, r.echo?.service]).toEqual([200, 'app']);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(r.headers['access-control-expose-headers']).toBe('X-Served-By');
  });

  test('CORS with the defaults: any origin, credentials allowed', async () => {
    const r = await s.get('cors-any.test', '/', { method: 'OPTIONS', headers: { origin: 'https://anything.test' } });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
    expect(r.headers['access-control-allow-methods']).toBe('GET, PUT, POST, DELETE, PATCH, OPTIONS');
  });

  test('CORS "if" blocks do not drop access control: source range, basic auth and auth-url still apply to allowed origins', async () => {
    const origin = { origin: 'https://app.example.com' };
    expect((await s.get('all.test', '/', { ...FROM_2, headers: { ...origin, ...basic('alice', 'wonderland') } })).status).toBe(403);
    const noCreds = await s.get('all.test', '/', { ...FROM_1, headers: origin });
    expect([noCreds.status, noCreds.headers['access-control-allow-origin']]).toEqual([401, 'https://app.example.com']);
    // Basic auth passes but the auth service sees no Bearer token (Authorization carries Basic): 401.
    expect((await s.get('all.test', '/', { ...FROM_1, headers: { ...origin, ...basic('alice', 'wonderland') } })).status).toBe(401);
    expect((await s.get('all.test', '/', { ...FROM_1, headers: { origin: 'https://evil.test', ...basic('alice', 'wonderland') } })).status).toBe(401);
    const through = await s.get('all.test', '/', { ...FROM_1, headers: { ...origin, ...basic('alice', 'wonderland'), 'x-auth-token': 'good' } });
    expect([through.status, through.echo?.service, through.headers['access-control-allow-origin']]).toEqual([200, 'app', 'https://app.example.com']);
    expect((await s.get('all.test', '/', { ...FROM_1, headers: { ...origin, ...basic('alice', 'bad'), 'x-auth-token': 'good' } })).status).toBe(401);
  });

  test('limit-rps: a burst over rate + burst gets 503s; traffic within the limit gets 200', async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, () => s.get('rps.test', '/', FROM_1)));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((c) => c === 503).length).toBeGreaterThan(0);
    expect(statuses.filter((c) => c === 200).length).toBeGreaterThan(0);
    expect(statuses.every((c) => c === 200 || c === 503)).toBe(true);
    // Another client address has its own bucket.
    expect((await s.get('rps.test', '/', FROM_2)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1200));
    for (let i = 0; i < 3; i++) {
      expect((await s.get('rps.test', '/', FROM_1)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 550));
    }
    expect(s.conf).toContain('limit_req zone=portico_rps_default_rps burst=2 nodelay;');
  });

  test('limit-connections: concurrent requests over the limit get 503; one at a time gets 200', async () => {
    const slow = { headers: { 'x-echo-delay-ms': '400' } };
    const replies = await Promise.all(Array.from({ length: 4 }, () => s.get('conn.test', '/', slow)));
    expect(replies.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect((await s.get('conn.test', '/')).status).toBe(200);
    expect((await s.get('conn.test', '/')).status).toBe(200);
  });

  test('snippets are ignored with a warning without --allow-snippet-annotations', async () => {
    const r = await s.get('snippet.test', '/');
    expect(r.status).toBe(200);
    expect(r.headers['x-snippet']).toBeUndefined();
    expect(s.conf).not.toContain('X-Snippet');
    expect(s.model.warnings.map((w) => w.message)).toContain(
      'configuration-snippet is ignored: snippet annotations are not allowed (--allow-snippet-annotations)',
    );
  });
});

describe('global source ranges and snippets allowed by the operator', () => {
  let backends: Backends;
  let s: Scenario;
  const configMap = (data: Record<string, string>) =>
    ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: 'ingress' }, data }) as KubeObject;

  beforeAll(async () => {
    backends = await startBackends('app');
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor('default', 'app', [backends.by.app!]),
        configMap({ 'whitelist-source-range': '127.0.0.2/32' }),
        ing('plain', 'plain.test', 'app'),
        ing('own', 'own.test', 'app', { 'whitelist-source-range': '127.0.0.1' }),
        ing('snip', 'snip.test', 'app', {
          'configuration-snippet': 'add_header X-Snippet "on" always;\nadd_header X-Client $remote_addr always;',
          'server-snippet': 'location = /from-server-snippet {\n  return 200 "server snippet";\n}',
        }),
        ing('bad-snip', 'bad.test', 'app', { 'configuration-snippet': 'root /etc;' }),
      ],
      { configMap: 'ingress/portico', allowSnippetAnnotations: true },
    );
  });

  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('the ConfigMap whitelist-source-range applies to Ingresses that set none; an annotation overrides it', async () => {
    expect((await s.get('plain.test', '/', FROM_1)).status).toBe(403);
    expect((await s.get('plain.test', '/', FROM_2)).status).toBe(200);
    expect((await s.get('own.test', '/', FROM_1)).status).toBe(200);
    expect((await s.get('own.test', '/', FROM_2)).status).toBe(403);
  });

  test('with --allow-snippet-annotations, configuration-snippet and server-snippet reach nginx', async () => {
    const r = await s.get('snip.test', '/x', FROM_2);
    expect([r.status, r.echo?.service, r.headers['x-snippet'], r.headers['x-client']]).toEqual([200, 'app', 'on', '127.0.0.2']);
    const srv = await s.get('snip.test', '/from-server-snippet', FROM_2);
    expect([srv.status, srv.body]).toEqual([200, 'server snippet']);
  });

  test('a snippet naming a forbidden directive or path rejects its Ingress', async () => {
    expect(s.model.rejections).toContainEqual(
      expect.objectContaining({ ingress: { namespace: 'default', name: 'bad-snip' }, field: `metadata.annotations[${P}/configuration-snippet]`, whole: true }),
    );
    expect((await s.get('bad.test', '/', FROM_2)).status).toBe(404);
    expect(s.conf).not.toContain('/etc;');
  });

  test('the ConfigMap key allow-snippet-annotations: "false" turns snippets off again', async () => {
    await s.update([
      INGRESS_CLASS,
      ...serviceFor('default', 'app', [backends.by.app!]),
      configMap({ 'allow-snippet-annotations': 'false' }),
      ing('snip', 'snip.test', 'app', { 'configuration-snippet': 'add_header X-Snippet "on" always;' }),
    ]);
    const r = await s.get('snip.test', '/', FROM_2);
    expect([r.status, r.headers['x-snippet']]).toEqual([200, undefined]);
    expect(s.model.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('configuration-snippet is ignored'));
  });
});

describe('auth-url naming a host: resolved when requests arrive, never at nginx -t', () => {
  let backends: Backends;
  let auth: AuthService;
  let dns: AuthService;
  let s: Scenario;

  beforeAll(async () => {
    backends = await startBackends('app');
    auth = await startAuthService();
    dns = await startDnsServer();
    s = await startScenario(
      [
        INGRESS_CLASS,
        ...serviceFor('default', 'app', [backends.by.app!]),
        ing('named', 'named.test', 'app', { 'auth-url': `http://auth.portico.test:${auth.port}/verify` }),
        ing('unresolvable', 'unresolvable.test', 'app', { 'auth-url': 'http://no-such-host.invalid/verify' }),
        ing('neighbour', 'neighbour.test', 'app'),
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

  test('a host name resolved through the configured resolver reaches the auth service', async () => {
    expect((await s.get('named.test', '/')).status).toBe(401);
    const ok = await s.get('named.test', '/', { headers: { authorization: 'Bearer good' } });
    expect([ok.status, ok.echo?.service]).toEqual([200, 'app']);
  });

  test('a name that does not resolve passes nginx -t and fails only its own requests (closed: 500)', async () => {
    expect((await s.get('unresolvable.test', '/', { headers: { authorization: 'Bearer good' } })).status).toBe(500);
    expect((await s.get('neighbour.test', '/')).status).toBe(200);
  });

  test('without any resolver the Ingress is accepted, warned about, and fails closed', async () => {
    const noResolver = await startScenario([
      INGRESS_CLASS,
      ...serviceFor('default', 'app', [backends.by.app!]),
      ing('named', 'named.test', 'app', { 'auth-url': `http://auth.portico.test:${auth.port}/verify` }),
    ]);
    try {
      expect((await noResolver.get('named.test', '/', { headers: { authorization: 'Bearer good' } })).status).toBe(500);
      expect(noResolver.model.warnings.map((w) => w.message)).toContain(
        'auth-url: host auth.portico.test is resolved when requests arrive and no DNS resolver is configured; its requests answer 500',
      );
      expect(noResolver.conf).not.toMatch(/^\s*resolver /m);
      expect(s.conf).toMatch(new RegExp(`^\\s*resolver 127\\.0\\.0\\.1:${dns.port} valid=30s;$`, 'm'));
    } finally {
      await noResolver.stop();
    }
  });
});
