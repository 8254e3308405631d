// Which port a redirect's Location names, when nginx listens on one port and clients connect to another
// (a Service mapping 80 → 8080, a NodePort 30080 → 80), compared with ingress-nginx's rules:
//   - http → https (ssl-redirect, force-ssl-redirect): `https://HOST/...`, never a port, whatever the client
//     connected to; with use-port-in-redirects, the https listen port (ingress-nginx: --https-port).
//   - app-root and auth-signin's rd=: the Host header as the client sent it, so the port it connected to.
//   - from-to-www-redirect: the port nginx accepted the connection on ($server_port), always written.
// Real nginx, real requests, through a real TCP port mapping; requests never follow redirects.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../src/store/types.js';
import { startAuthService, type AuthService } from './support/auth.js';
import { makeCertificate, tlsSecret } from './support/certs.js';
import { request } from './support/http.js';
import { startPortMap, type PortMap } from './support/port-map.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from './support/scenario.js';

const P = 'nginx.ingress.kubernetes.io';
const NS = 'ports';

function ingress(name: string, host: string, path: string, annotations: Record<string, string> = {}, tls?: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS, annotations, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: 'portico',
      ...(tls ? { tls: [{ hosts: [host], secretName: tls }] } : {}),
      rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } }] } }],
    },
  } as KubeObject;
}

function configMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'portico', namespace: NS }, data } as KubeObject;
}

describe('redirect Location ports behind a port mapping', () => {
  let backends: Backends;
  let auth: AuthService;
  let s: Scenario;
  /** Clients connect here ("the Service's port"); nginx listens on s.httpPort / s.httpsPort. */
  let httpMap: PortMap;
  let httpsMap: PortMap;
  let objects: KubeObject[];

  // A client that connected to `port` sends it in the Host header (curl and browsers omit only 80 and 443).
  const viaMap = (host: string, path: string) => request({ port: httpMap.port, host: `${host}:${httpMap.port}`, path });
  const viaMapTls = (host: string, path: string) => request({ port: httpsMap.port, host: `${host}:${httpsMap.port}`, path, tls: { servername: host } });

  beforeAll(async () => {
    backends = await startBackends('app');
    auth = await startAuthService();
    const cert = await makeCertificate('secure.test');
    const shopCert = await makeCertificate('shop.test');
    objects = [
      INGRESS_CLASS,
      ...serviceFor(NS, 'app', [backends.by.app!]),
      tlsSecret(NS, 'secure-tls', cert),
      tlsSecret(NS, 'shop-tls', shopCert),
      ingress('secure', 'secure.test', '/a', {}, 'secure-tls'),
      ingress('force', 'force.test', '/', { [`${P}/force-ssl-redirect`]: 'true' }),
      ingress('port-in', 'portin.test', '/', { [`${P}/force-ssl-redirect`]: 'true', [`${P}/use-port-in-redirects`]: 'true' }),
      ingress('approot', 'approot.test', '/', { [`${P}/app-root`]: '/app1' }),
      ingress('www', 'shop.test', '/', { [`${P}/from-to-www-redirect`]: 'true' }, 'shop-tls'),
      ingress('signin', 'signin.test', '/', { [`${P}/auth-url`]: `http://127.0.0.1:${auth.port}/check`, [`${P}/auth-signin`]: 'https://login.example.com/start' }),
    ];
    s = await startScenario(objects, { configMap: `${NS}/portico` });
    httpMap = await startPortMap({ port: s.httpPort });
    httpsMap = await startPortMap({ port: s.httpsPort });
  });

  afterAll(async () => {
    await httpMap?.stop();
    await httpsMap?.stop();
    await s?.stop();
    await auth?.stop();
    await backends?.stopAll();
  });

  test('http → https: https://HOST/... with no port, through the mapping, direct, and with a bare Host', async () => {
    for (const r of [await viaMap('secure.test', '/a/b?x=1'), await s.get(`secure.test:${s.httpPort}`, '/a/b?x=1'), await s.get('secure.test', '/a/b?x=1')]) {
      expect([r.status, r.headers.location]).toEqual([308, 'https://secure.test/a/b?x=1']);
    }
    // A path no rule matches (the host's fallback location) redirects the same way.
    expect((await viaMap('secure.test', '/elsewhere')).headers.location).toBe('https://secure.test/elsewhere');
    expect((await viaMap('force.test', '/p/')).headers.location).toBe('https://force.test/p');
  });

  test('use-port-in-redirects (annotation): the https redirect names the https listen port', async () => {
    const r = await viaMap('portin.test', '/p');
    expect([r.status, r.headers.location]).toEqual([308, `https://portin.test:${s.httpsPort}/p`]);
  });

  test('app-root: the scheme, host and port the client used (its Host header)', async () => {
    expect((await viaMap('approot.test', '/')).headers.location).toBe(`http://approot.test:${httpMap.port}/app1`);
    expect((await viaMapTls('approot.test', '/')).headers.location).toBe(`https://approot.test:${httpsMap.port}/app1`);
    expect((await s.get('approot.test', '/')).headers.location).toBe('http://approot.test/app1');
  });

  test('auth-signin: rd= is the URL the client used', async () => {
    const r = await viaMap('signin.test', '/deep?x=2');
    expect([r.status, r.headers.location]).toEqual([302, `https://login.example.com/start?rd=http://signin.test:${httpMap.port}/deep?x=2`]);
  });

  test('from-to-www-redirect: the port nginx accepted on, for both schemes (so pods listen on the Service ports)', async () => {
    const r = await viaMap('www.shop.test', '/cart/');
    expect([r.status, r.headers.location]).toEqual([308, `http://shop.test:${s.httpPort}/cart`]);
    const t = await viaMapTls('www.shop.test', '/x');
    expect([t.status, t.headers.location]).toEqual([308, `https://shop.test:${s.httpsPort}/x`]);
  });

  test('use-port-in-redirects in the ConfigMap applies to every Ingress; the annotation "false" turns it off again', async () => {
    await s.update([
      ...objects,
      configMap({ 'use-port-in-redirects': 'true' }),
      ingress('no-port', 'noport.test', '/', { [`${P}/force-ssl-redirect`]: 'true', [`${P}/use-port-in-redirects`]: 'false' }),
    ]);
    try {
      expect((await viaMap('secure.test', '/a')).headers.location).toBe(`https://secure.test:${s.httpsPort}/a`);
      expect((await viaMap('secure.test', '/elsewhere')).headers.location).toBe(`https://secure.test:${s.httpsPort}/elsewhere`);
      expect((await viaMap('noport.test', '/n')).headers.location).toBe('https://noport.test/n');
      // app-root keeps the client's Host, as ingress-nginx's `$scheme://$http_host` does.
      expect((await viaMap('approot.test', '/')).headers.location).toBe(`http://approot.test:${httpMap.port}/app1`);
    } finally {
      await s.update(objects);
    }
  });
});
