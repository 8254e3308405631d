// Replays kubernetes/ingress-nginx test/e2e/annotations/proxyssl.go ("proxy-ssl-*") as real requests through
// Portico's render pipeline and a real nginx. ingress-nginx creates a Secret with ca.crt, tls.crt and tls.key
// (framework.CreateIngressMASecret: an openssl-like CA and a certificate it signed), serves the host's TLS
// from it, asserts the proxy_ssl_* lines of its server block and sends a request to its echo Service, which
// speaks plain http, so those lines are never exercised there. Here every backend speaks TLS and requires a
// client certificate signed by the Secret's CA, so each annotation is seen in what the backend received: the
// client certificate nginx presented, the TLS version, the cipher, the SNI name, or a 502 when the backend's
// certificate is not trusted.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { certificateFiles, makeAuthority, makeSignedCertificate, type TestAuthority, type TestCertificate } from '../support/certs.js';
import { grpcCall, startGrpcBackend, type GrpcBackend } from '../support/grpc.js';
import { startEchoBackend, type Backend, type EchoTls } from '../support/processes.js';
import { INGRESS_CLASS, serviceFor, startScenario, type Scenario } from '../support/scenario.js';
import { configMap, CONFIGMAP_REF, singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const HOST = 'proxyssl.foo.com';

interface BackendEcho {
  service: string;
  tls: boolean;
  servername: string | null;
  tlsVersion: string;
  cipher: string;
  clientCertificate: string | null;
}

/** framework.CreateIngressMASecret: ca.crt, and tls.crt/tls.key signed by it. */
function maSecret(name: string, ca: TestAuthority, leaf: TestCertificate): KubeObject {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    data: { 'ca.crt': b64(ca.cert), 'tls.crt': b64(leaf.cert), 'tls.key': b64(leaf.key) },
  } as KubeObject;
}

describe('ingress-nginx annotations/proxyssl.go', () => {
  const backends: Backend[] = [];
  let grpcs: GrpcBackend;
  let grpcsUntrusted: GrpcBackend;
  let s: Scenario;
  let objects: KubeObject[];

  /** An Ingress of the e2e's shape (NewSingleIngressWithTLS, the Secret as its TLS) on `<name>.proxyssl.foo.com`. */
  const proxySslIngress = (name: string, service: string, annotations: Record<string, string>, path = '/', host = `${name}.${HOST}`) =>
    singleIngress(name, host, service, {
      path,
      tlsSecret: HOST,
      annotations: Object.fromEntries(Object.entries({ 'backend-protocol': 'HTTPS', 'proxy-ssl-secret': `default/${HOST}`, ...annotations }).map(([k, v]) => [`${P}/${k}`, v])),
    });

  const echoOf = async (name: string, path = '/'): Promise<{ status: number; echo?: BackendEcho; peerCn?: string }> => {
    const r = await s.getTls(`${name}.${HOST}`, path);
    return { status: r.status, echo: r.echo as unknown as BackendEcho | undefined, peerCn: r.peerCertificate?.subject?.CN };
  };

  beforeAll(async () => {
    const ca = await makeAuthority('proxyssl-ca');
    // OpenSSL's verify depth counts the intermediates below the trusted CA: two of them need depth 2.
    const intermediate = await makeAuthority('proxyssl-intermediate', ca);
    const issuing = await makeAuthority('proxyssl-issuing', intermediate);
    const rogue = await makeAuthority('rogue-ca');
    const names = [HOST, `*.${HOST}`];
    const leaf = await makeSignedCertificate(names, ca);
    const caFile = (await certificateFiles({ cert: ca.cert, key: ca.key })).certFile;
    const start = async (name: string, cert: TestCertificate, extra: Partial<EchoTls> = {}, chain: string[] = []) => {
      const b = await startEchoBackend(name, '127.0.0.1', { ...(await certificateFiles(cert, chain)), caFile, ...extra });
      backends.push(b);
      return serviceFor('default', name, [b]);
    };
    const untrusted = await makeSignedCertificate(names, rogue);
    // h2 over TLS, requiring a client certificate signed by the CA, as the echo backends do.
    grpcs = await startGrpcBackend('grpcs', { ...(await makeSignedCertificate(names, ca)), ca: ca.cert });
    grpcsUntrusted = await startGrpcBackend('grpcs-untrusted', { ...untrusted, ca: ca.cert });
    backends.push(grpcs, grpcsUntrusted);
    objects = [
      INGRESS_CLASS,
      configMap({}),
      maSecret(HOST, ca, leaf),
      // Each requires a client certificate signed by the CA.
      ...(await start('trusted', await makeSignedCertificate(names, ca))),
      ...(await start('untrusted', untrusted)),
      ...(await start('tls13-only', await makeSignedCertificate(names, ca), { minVersion: 'TLSv1.3' })),
      ...(await start('tls12-only', await makeSignedCertificate(names, ca), { maxVersion: 'TLSv1.2' })),
      ...(await start('internal-name', await makeSignedCertificate(['backend.internal'], ca))),
      ...(await start('chained', await makeSignedCertificate(names, issuing), {}, [issuing.cert, intermediate.cert])),
      // Asks for no client certificate and is signed by no CA nginx knows.
      ...(await start('open', untrusted, { caFile: undefined })),
      proxySslIngress('defaults', 'untrusted', {}),
      proxySslIngress('verify', 'trusted', { 'proxy-ssl-verify': 'on', 'proxy-ssl-verify-depth': '2', 'proxy-ssl-server-name': 'on' }),
      proxySslIngress('verify-untrusted', 'untrusted', { 'proxy-ssl-verify': 'on', 'proxy-ssl-verify-depth': '2', 'proxy-ssl-server-name': 'on' }),
      proxySslIngress('ciphers', 'tls12-only', { 'proxy-ssl-ciphers': 'HIGH:!AES' }),
      proxySslIngress('default-ciphers', 'tls12-only', {}),
      proxySslIngress('protocols', 'tls13-only', { 'proxy-ssl-protocols': 'TLSv1.2 TLSv1.3' }),
      proxySslIngress('default-protocols', 'tls13-only', {}),
      proxySslIngress('location-only', 'trusted', { 'proxy-ssl-verify': 'on', 'proxy-ssl-server-name': 'on' }, '/bar'),
      // Same host, another Ingress: HTTPS without proxy-ssl-* of its own, to a backend no CA of the Secret signed.
      singleIngress('location-only-other', `location-only.${HOST}`, 'open', { path: '/other', annotations: { [`${P}/backend-protocol`]: 'HTTPS' } }),
      proxySslIngress('name', 'internal-name', { 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'backend.internal', 'proxy-ssl-server-name': 'on' }),
      proxySslIngress('no-name', 'internal-name', { 'proxy-ssl-verify': 'on' }),
      proxySslIngress('depth-1', 'chained', { 'proxy-ssl-verify': 'on' }),
      proxySslIngress('depth-2', 'chained', { 'proxy-ssl-verify': 'on', 'proxy-ssl-verify-depth': '2' }),
      ...serviceFor('default', 'grpcs', [grpcs]),
      ...serviceFor('default', 'grpcs-untrusted', [grpcsUntrusted]),
      proxySslIngress('grpcs', 'grpcs', { 'backend-protocol': 'GRPCS', 'proxy-ssl-verify': 'on' }),
      proxySslIngress('grpcs-untrusted', 'grpcs-untrusted', { 'backend-protocol': 'GRPCS', 'proxy-ssl-verify': 'on' }),
      proxySslIngress('canary-main', 'trusted', { 'proxy-ssl-verify': 'on' }),
      proxySslIngress('canary-same', 'tls12-only', { 'proxy-ssl-verify': 'on', canary: 'true', 'canary-weight': '100' }, '/', `canary-main.${HOST}`),
      proxySslIngress('canary-main2', 'trusted', { 'proxy-ssl-verify': 'on' }),
      proxySslIngress('canary-differs', 'open', { canary: 'true', 'canary-weight': '100' }, '/', `canary-main2.${HOST}`),
      singleIngress('no-secret', `no-secret.${HOST}`, 'trusted', { tlsSecret: HOST, annotations: { [`${P}/backend-protocol`]: 'HTTPS' } }),
      proxySslIngress('missing-secret', 'trusted', { 'proxy-ssl-secret': 'default/nothing-here' }),
    ];
    s = await startScenario(objects, CONFIGMAP_REF);
  });
  afterAll(async () => {
    await s?.stop();
    for (const b of backends) await b.stop();
  });

  // It("should set valid proxy-ssl-secret")
  // ingress-nginx asserts proxy_ssl_certificate/_key/_trusted_certificate from the Secret, ciphers DEFAULT,
  // protocols TLSv1.2, verify off, depth 1; then 308 on http and 200 on https. Here: the backend got the
  // Secret's client certificate over TLSv1.2, without SNI (proxy-ssl-server-name defaults to off), and its
  // certificate, signed by another CA, was not verified.
  test('should set valid proxy-ssl-secret', async () => {
    expect((await s.get(`defaults.${HOST}`, '/')).status).toBe(308);
    const r = await echoOf('defaults');
    expect([r.status, r.peerCn, r.echo?.service, r.echo?.clientCertificate, r.echo?.tlsVersion, r.echo?.servername]).toEqual([200, HOST, 'untrusted', HOST, 'TLSv1.2', null]);
  });

  // It("should set valid proxy-ssl-secret, proxy-ssl-verify to on, proxy-ssl-verify-depth to 2, and proxy-ssl-server-name to on")
  test('should set valid proxy-ssl-secret, proxy-ssl-verify to on, proxy-ssl-verify-depth to 2, and proxy-ssl-server-name to on', async () => {
    expect((await s.get(`verify.${HOST}`, '/')).status).toBe(308);
    const r = await echoOf('verify');
    // SNI is the name verified: the request's host here (ingress-nginx: upstream_balancer, see README).
    expect([r.status, r.echo?.service, r.echo?.clientCertificate, r.echo?.servername]).toEqual([200, 'trusted', HOST, `verify.${HOST}`]);
    // The same annotations towards a backend whose certificate the CA did not sign: nginx refuses it.
    expect((await echoOf('verify-untrusted')).status).toBe(502);
  });

  // It("should set valid proxy-ssl-secret, proxy-ssl-ciphers to HIGH:!AES")
  test('should set valid proxy-ssl-secret, proxy-ssl-ciphers to HIGH:!AES', async () => {
    expect((await s.get(`ciphers.${HOST}`, '/')).status).toBe(308);
    const r = await echoOf('ciphers');
    expect([r.status, r.echo?.tlsVersion, r.echo?.clientCertificate]).toEqual([200, 'TLSv1.2', HOST]);
    expect(r.echo?.cipher).not.toMatch(/AES/);
    // Without the annotation (DEFAULT) the same backend negotiates an AES cipher: the list above changed it.
    expect((await echoOf('default-ciphers')).echo?.cipher).toMatch(/AES/);
  });

  // It("should set valid proxy-ssl-secret, proxy-ssl-protocols")
  test('should set valid proxy-ssl-secret, proxy-ssl-protocols', async () => {
    expect((await s.get(`protocols.${HOST}`, '/')).status).toBe(308);
    const r = await echoOf('protocols');
    expect([r.status, r.echo?.service, r.echo?.tlsVersion, r.echo?.clientCertificate]).toEqual([200, 'tls13-only', 'TLSv1.3', HOST]);
    // The default, TLSv1.2 only, cannot reach a TLSv1.3-only backend.
    expect((await echoOf('default-protocols')).status).toBe(502);
  });

  // It("proxy-ssl-location-only flag should change the nginx config server part")
  // ingress-nginx (proxy-ssl-location-only "false", its default) also writes the host's first proxy-ssl Secret
  // into its server block, where every location of the host inherits it; with "true" only the Ingress's own
  // locations get it. Here: with "false" another Ingress's HTTPS path on the host is verified with that
  // CA (its backend's certificate is not signed by it: 502); with "true" it is not (200).
  test('proxy-ssl-location-only flag should change the nginx config server part', async () => {
    expect((await s.getTls(`location-only.${HOST}`, '/bar')).status).toBe(200);
    expect((await s.getTls(`location-only.${HOST}`, '/other')).status).toBe(502);
    await s.update(objects.map((o) => (o.kind === 'ConfigMap' ? configMap({ 'proxy-ssl-location-only': 'true' }) : o)));
    try {
      const own = await s.getTls(`location-only.${HOST}`, '/bar');
      expect([own.status, (own.echo as unknown as BackendEcho | undefined)?.clientCertificate]).toEqual([200, HOST]);
      const other = await s.getTls(`location-only.${HOST}`, '/other');
      expect([other.status, other.echo?.service]).toEqual([200, 'open']);
    } finally {
      await s.update(objects);
    }
  });

  // Beyond the e2e test: the other keys and the Secret's failure modes, each seen in real traffic.

  test('proxy-ssl-name is the name verified and, with proxy-ssl-server-name on, the SNI; without it the request host is verified', async () => {
    const r = await echoOf('name');
    expect([r.status, r.echo?.service, r.echo?.servername, r.echo?.clientCertificate]).toEqual([200, 'internal-name', 'backend.internal', HOST]);
    // The backend's certificate names only backend.internal: verifying no-name.proxyssl.foo.com fails.
    expect((await echoOf('no-name')).status).toBe(502);
  });

  test('proxy-ssl-verify-depth: a backend certificate two intermediate CAs below the CA needs depth 2 (the default, 1, refuses it)', async () => {
    expect((await echoOf('depth-1')).status).toBe(502);
    const r = await echoOf('depth-2');
    expect([r.status, r.echo?.service]).toEqual([200, 'chained']);
  });

  test('backend-protocol GRPCS: the same Secret through grpc_ssl_*: the backend gets the client certificate; an untrusted one gives 502', async () => {
    const r = await grpcCall(s.httpsPort, `grpcs.${HOST}`, '/echo.v1.Echo/Say');
    expect(r).toEqual({ status: 200, message: 'grpcs', grpcStatus: '0' });
    expect(grpcs.seen).toContainEqual({ path: '/echo.v1.Echo/Say', tls: true, clientCertificate: HOST });
    expect((await grpcCall(s.httpsPort, `grpcs-untrusted.${HOST}`, '/echo.v1.Echo/Say')).status).toBe(502);
    expect(grpcsUntrusted.seen).toEqual([]);
  });

  test("a canary's requests go through its main Ingress's TLS settings: the same settings serve it; other settings reject the canary's path", async () => {
    const same = await echoOf('canary-main');
    expect([same.status, same.echo?.service, same.echo?.clientCertificate]).toEqual([200, 'tls12-only', HOST]);
    const rejection = s.model.rejections.find((r) => r.ingress.name === 'canary-differs');
    expect(rejection).toMatchObject({ field: `metadata.annotations[${P}/proxy-ssl-secret]`, whole: false });
    expect(rejection?.reason).toMatch(/^canary: its proxy-ssl-\* settings differ from those of the main Ingress default\/canary-main2 /);
    const main = await echoOf('canary-main2');
    expect([main.status, main.echo?.service]).toEqual([200, 'trusted']);
  });

  test('a backend that requires a client certificate refuses nginx without proxy-ssl-secret (502), so the 200s above came from the Secret', async () => {
    expect((await echoOf('no-secret')).status).toBe(502);
  });

  test('a proxy-ssl-secret that names a missing Secret rejects the Ingress, naming the Secret (never served without its backend TLS)', async () => {
    const rejection = s.model.rejections.find((r) => r.ingress.name === 'missing-secret');
    expect(rejection?.field).toContain('proxy-ssl-secret');
    expect(rejection?.reason).toContain('Secret default/nothing-here: not found');
    expect((await s.getTls(`missing-secret.${HOST}`, '/')).status).toBe(404);
  });
});
