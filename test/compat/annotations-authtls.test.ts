// Replays kubernetes/ingress-nginx test/e2e/annotations/authtls.go ("auth-tls-*") as real TLS requests
// through Portico's render pipeline, a real nginx and an echo backend: an openssl-made CA, a server
// certificate and a client certificate it signed, and clients with, without and with a foreign certificate.
// As in the e2e framework's CreateIngressMASecret, one Secret holds tls.crt, tls.key and ca.crt.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../src/store/types.js';
import { makeCertificateAuthority, makeRevocationList, signCertificate, type TestCertificate } from '../support/certs.js';
import { INGRESS_CLASS, serviceFor, startBackends, startScenario, type Backends, type Scenario } from '../support/scenario.js';
import { singleIngress } from './compat-objects.js';

const P = 'nginx.ingress.kubernetes.io';
const HOST = 'authtls.foo.com';
const NS = 'default';

function caSecret(name: string, parts: { tls?: TestCertificate; ca?: string; crl?: string }): KubeObject {
  const data: Record<string, string> = {};
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  if (parts.tls) Object.assign(data, { 'tls.crt': b64(parts.tls.cert), 'tls.key': b64(parts.tls.key) });
  if (parts.ca !== undefined) data['ca.crt'] = b64(parts.ca);
  if (parts.crl !== undefined) data['ca.crl'] = b64(parts.crl);
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: NS }, data } as KubeObject;
}

/** The text of the server block of `host` in nginx.conf (ingress-nginx's WaitForNginxServer reads the same). */
function serverBlock(conf: string, host: string): string {
  const start = conf.indexOf(`# Host "${host}"`);
  if (start < 0) throw new Error(`no server block for ${host}`);
  const next = conf.indexOf('\n    # Host ', start + 1);
  return conf.slice(start, next < 0 ? undefined : next);
}

describe('ingress-nginx annotations/authtls.go', () => {
  let backends: Backends;
  let s: Scenario;
  let client: TestCertificate;
  let base: KubeObject[];
  const withAnnotations = (annotations: Record<string, string>, name = 'authtls', created = '2026-01-01T00:00:00Z'): KubeObject => {
    const ing = singleIngress(name, HOST, 'echo', { annotations, tlsSecret: HOST });
    ing.metadata!.creationTimestamp = created;
    return ing;
  };
  const withCert = () => ({ tls: { servername: HOST, cert: client.cert, key: client.key } });

  beforeAll(async () => {
    backends = await startBackends('echo');
    const ca = await makeCertificateAuthority('Portico Test CA');
    const server = await signCertificate(ca, `/CN=${HOST}`, { dnsName: HOST });
    client = await signCertificate(ca, '/CN=authtls/O=Portico Test');
    base = [INGRESS_CLASS, ...serviceFor(NS, 'echo', [backends.by.echo!]), caSecret(HOST, { tls: server, ca: ca.cert })];
    s = await startScenario([...base, withAnnotations({})]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  // It("should set sslClientCertificate, sslVerifyClient and sslVerifyDepth with auth-tls-secret")
  test('should set sslClientCertificate, sslVerifyClient and sslVerifyDepth with auth-tls-secret', async () => {
    await s.update([...base, withAnnotations({})]);
    expect(serverBlock(s.conf, HOST)).not.toMatch(/ssl_client_certificate|ssl_verify_client|ssl_verify_depth/);
    await s.update([...base, withAnnotations({ [`${P}/auth-tls-secret`]: `${NS}/${HOST}` })]);
    const server = serverBlock(s.conf, HOST);
    expect(server).toMatch(/ssl_client_certificate "[^"]+\/certs\/[^"]+\.[0-9a-f]{16}\.ca\.pem";/);
    expect(server).toContain('ssl_verify_client on;');
    expect(server).toContain('ssl_verify_depth 1;');
    expect((await s.getTls(HOST, '/')).status).toBe(400);
    expect((await s.getTls(HOST, '/', withCert())).status).toBe(200);
  });

  // It("should set valid auth-tls-secret, sslVerify to off, and sslVerifyDepth to 2")
  test('should set valid auth-tls-secret, sslVerify to off, and sslVerifyDepth to 2', async () => {
    await s.update([...base, withAnnotations({ [`${P}/auth-tls-secret`]: `${NS}/${HOST}`, [`${P}/auth-tls-verify-client`]: 'off', [`${P}/auth-tls-verify-depth`]: '2' })]);
    const server = serverBlock(s.conf, HOST);
    expect(server).toContain('ssl_verify_client off;');
    expect(server).toContain('ssl_verify_depth 2;');
    expect((await s.getTls(HOST, '/')).status).toBe(200);
  });

  // It("should 302 redirect to error page instead of 400 when auth-tls-error-page is set")
  test('should 302 redirect to error page instead of 400 when auth-tls-error-page is set', async () => {
    const errorPage = `http://127.0.0.1:${s.httpPort}/error`;
    await s.update([...base, withAnnotations({ [`${P}/auth-tls-secret`]: `${NS}/${HOST}`, [`${P}/auth-tls-error-page`]: errorPage })]);
    expect(serverBlock(s.conf, HOST)).toContain(`error_page 495 496 = "${errorPage}";`);
    const r = await s.getTls(HOST, '/');
    expect([r.status, r.headers.location]).toEqual([302, errorPage]);
    expect((await s.getTls(HOST, '/', withCert())).status).toBe(200);
  });

  // It("should pass URL-encoded certificate to upstream")
  test('should pass URL-encoded certificate to upstream', async () => {
    await s.update([...base, withAnnotations({ [`${P}/auth-tls-secret`]: `${NS}/${HOST}`, [`${P}/auth-tls-pass-certificate-to-upstream`]: 'true' })]);
    expect((await s.getTls(HOST, '/')).status).toBe(400);
    const r = await s.getTls(HOST, '/', withCert());
    expect(r.status).toBe(200);
    expect(r.echo?.headers['ssl-client-cert']).toMatch(/^-----BEGIN%20CERTIFICATE-----%0A/);
  });

  // It("should validate auth-tls-verify-client")
  test('should validate auth-tls-verify-client', async () => {
    await s.update([...base, withAnnotations({ [`${P}/auth-tls-secret`]: `${NS}/${HOST}`, [`${P}/auth-tls-verify-client`]: 'on' })]);
    expect((await s.getTls(HOST, '/', withCert())).status).toBe(200);
    expect((await s.getTls(HOST, '/')).status).toBe(400);
    await s.update([...base, withAnnotations({ [`${P}/auth-tls-secret`]: `${NS}/${HOST}`, [`${P}/auth-tls-verify-client`]: 'off' })]);
    expect(serverBlock(s.conf, HOST)).toContain('ssl_verify_client off;');
    expect((await s.getTls(HOST, '/', withCert())).status).toBe(200);
    expect((await s.getTls(HOST, '/')).status).toBe(200);
  });
});

describe('auth-tls in Portico: what ingress-nginx documents, and failing closed', () => {
  let backends: Backends;
  let s: Scenario;
  let client: TestCertificate;
  let revokedClient: TestCertificate;
  let foreignClient: TestCertificate;
  let base: KubeObject[];
  const ingress = (annotations: Record<string, string>, name = 'authtls', created = '2026-01-01T00:00:00Z', path = '/'): KubeObject => {
    const ing = singleIngress(name, HOST, 'echo', { annotations, tlsSecret: HOST, path });
    ing.metadata!.creationTimestamp = created;
    return ing;
  };
  const tlsWith = (c: TestCertificate) => ({ tls: { servername: HOST, cert: c.cert, key: c.key } });
  const secretKey = `${P}/auth-tls-secret`;

  beforeAll(async () => {
    backends = await startBackends('echo');
    const ca = await makeCertificateAuthority('Portico Test CA');
    const server = await signCertificate(ca, `/CN=${HOST}`, { dnsName: HOST });
    client = await signCertificate(ca, '/CN=authtls/O=Portico Test');
    const foreignCa = await makeCertificateAuthority('Another CA');
    foreignClient = await signCertificate(foreignCa, '/CN=authtls');
    revokedClient = await signCertificate(ca, '/CN=revoked');
    const crl = await makeRevocationList(ca, [revokedClient]);
    base = [
      INGRESS_CLASS,
      caSecret('with-crl', { ca: ca.cert, crl }),
      ...serviceFor(NS, 'echo', [backends.by.echo!]),
      caSecret(HOST, { tls: server, ca: ca.cert }),
      caSecret('other-ca', { ca: foreignCa.cert }),
      caSecret('no-ca', { tls: server }),
      caSecret('not-pem', { ca: 'hello' }),
    ];
    s = await startScenario([...base, ingress({ [secretKey]: `${NS}/${HOST}` })]);
  });
  afterAll(async () => {
    await s?.stop();
    await backends?.stopAll();
  });

  test('the upstream receives ssl-client-verify, ssl-client-subject-dn and ssl-client-issuer-dn, and no client-sent ssl-client-cert', async () => {
    await s.update([...base, ingress({ [secretKey]: `${NS}/${HOST}` })]);
    const r = await s.getTls(HOST, '/', { ...tlsWith(client), headers: { 'ssl-client-cert': 'forged', 'ssl-client-verify': 'SUCCESS' } });
    expect(r.status).toBe(200);
    expect(r.echo?.headers['ssl-client-verify']).toBe('SUCCESS');
    expect(r.echo?.headers['ssl-client-subject-dn']).toMatch(/(^|,)CN=authtls(,|$)/);
    expect(r.echo?.headers['ssl-client-issuer-dn']).toBe('CN=Portico Test CA');
    expect(r.echo?.headers['ssl-client-cert']).toBeUndefined();
  });

  test('a certificate another CA signed gets 400; optional lets it through with ssl-client-verify FAILED', async () => {
    await s.update([...base, ingress({ [secretKey]: `${NS}/${HOST}` })]);
    expect((await s.getTls(HOST, '/', tlsWith(foreignClient))).status).toBe(400);
    await s.update([...base, ingress({ [secretKey]: `${NS}/${HOST}`, [`${P}/auth-tls-verify-client`]: 'optional_no_ca' })]);
    const r = await s.getTls(HOST, '/', tlsWith(foreignClient));
    expect(r.status).toBe(200);
    expect(r.echo?.headers['ssl-client-verify']).toMatch(/^FAILED/);
    const none = await s.getTls(HOST, '/');
    expect([none.status, none.echo?.headers['ssl-client-verify']]).toEqual([200, 'NONE']);
  });

  test('ca.crl: a revoked certificate gets 400, the others still 200 (ingress-nginx documents ca.crl beside ca.crt)', async () => {
    await s.update([...base, ingress({ [secretKey]: `${NS}/with-crl` })]);
    expect(serverBlock(s.conf, HOST)).toMatch(/ssl_crl "[^"]+\/certs\/[^"]+\.crl\.pem";/);
    expect((await s.getTls(HOST, '/', tlsWith(revokedClient))).status).toBe(400);
    expect((await s.getTls(HOST, '/', tlsWith(client))).status).toBe(200);
  });

  test('an Ingress of another namespace on the host gets a rejection for auth-tls-secret; the owner\'s check applies to the host', async () => {
    const foreign = singleIngress('tenant', HOST, 'echo', { namespace: 'other', path: '/tenant', annotations: { [secretKey]: 'other/ca' } });
    foreign.metadata!.creationTimestamp = '2026-03-01T00:00:00Z';
    const otherCa: KubeObject = { ...caSecret('ca', { ca: (await makeCertificateAuthority('Tenant CA')).cert }), metadata: { name: 'ca', namespace: 'other' } } as KubeObject;
    const model = await s.update([...base, otherCa, ...serviceFor('other', 'echo', [backends.by.echo!]), ingress({ [secretKey]: `${NS}/${HOST}` }), foreign]);
    expect(model.rejections).toContainEqual(expect.objectContaining({ ingress: { namespace: 'other', name: 'tenant' }, field: `metadata.annotations[${secretKey}]`, whole: false }));
    expect(serverBlock(s.conf, HOST).match(/ssl_client_certificate/g)).toHaveLength(1);
    expect((await s.getTls(HOST, '/', tlsWith(client))).status).toBe(200);
    expect((await s.getTls(HOST, '/tenant')).status).toBe(400);
  });

  test('plain http to a verify-client on host gets 400 too (no certificate can be checked there)', async () => {
    await s.update([...base, ingress({ [secretKey]: `${NS}/${HOST}`, [`${P}/ssl-redirect`]: 'false' })]);
    expect((await s.get(HOST, '/')).status).toBe(400);
  });

  test.each([
    ['CN=authtls', 200],
    ['CN=notallowed', 403],
    ['CN=(notallowed|authtls)', 200],
    ['CN=(notallowed|forbidden)', 403],
  ])('auth-tls-match-cn %s gives %i', async (pattern, status) => {
    await s.update([...base, ingress({ [secretKey]: `${NS}/${HOST}`, [`${P}/auth-tls-match-cn`]: pattern })]);
    expect((await s.getTls(HOST, '/', tlsWith(client))).status).toBe(status);
  });

  test('a hostile auth-tls-match-cn rejects the Ingress and reaches no config', async () => {
    const hostile = 'CN=abc #(\n){}\n }}\nssl_engine ../../../../../../proc/1/fd/1;';
    const model = await s.update([...base, ingress({ [secretKey]: `${NS}/${HOST}`, [`${P}/auth-tls-match-cn`]: hostile })]);
    expect(model.rejections).toContainEqual(expect.objectContaining({ field: `metadata.annotations[${P}/auth-tls-match-cn]`, whole: true }));
    expect(s.conf).not.toContain('ssl_engine');
  });

  test.each([
    ['default/missing', 'Secret default/missing not found'],
    ['default/no-ca', 'Secret default/no-ca has no "ca.crt" key'],
    ['default/not-pem', '"ca.crt" of Secret default/not-pem holds no PEM certificate'],
    ['missing', 'must be NAMESPACE/NAME'],
  ])('auth-tls-secret %s: the Ingress is rejected, naming the Secret, and nothing is served without the check', async (ref, reason) => {
    const model = await s.update([...base, ingress({ [secretKey]: ref })]);
    const rejection = model.rejections.find((r) => r.ingress.name === 'authtls');
    expect(rejection).toMatchObject({ field: `metadata.annotations[${secretKey}]`, whole: true });
    expect(rejection?.reason).toContain(reason);
    expect((await s.getTls(HOST, '/')).echo).toBeUndefined();
  });

  test('two Ingresses of one host asking for different CAs: the oldest sets it, the other is rejected for that part and its paths answer 503', async () => {
    const model = await s.update([
      ...base,
      ingress({ [secretKey]: `${NS}/other-ca` }, 'newer', '2026-02-01T00:00:00Z', '/newer'),
      ingress({ [secretKey]: `${NS}/${HOST}` }, 'older', '2026-01-01T00:00:00Z', '/'),
    ]);
    expect(model.rejections).toContainEqual(
      expect.objectContaining({ ingress: { namespace: NS, name: 'newer' }, field: `metadata.annotations[${secretKey}]`, whole: false, reason: expect.stringContaining('older Ingress default/older') }),
    );
    expect((await s.getTls(HOST, '/', tlsWith(client))).status).toBe(200);
    expect((await s.getTls(HOST, '/', tlsWith(foreignClient))).status).toBe(400);
    expect((await s.getTls(HOST, '/newer', tlsWith(client))).status).toBe(503);
  });

  test('the CA file is a 0600 state file, and a changed CA is a new file', async () => {
    const { stat } = await import('node:fs/promises');
    const model = await s.update([...base, ingress({ [secretKey]: `${NS}/${HOST}` })]);
    const caFile = model.files.find((f) => f.path.endsWith('.ca.pem'));
    expect(caFile?.path).toMatch(/^certs\/.+\.[0-9a-f]{16}\.ca\.pem$/);
    expect((await stat(`${s.stateDir}/${caFile!.path}`)).mode & 0o777).toBe(0o600);
    const other = await s.update([...base, ingress({ [secretKey]: `${NS}/other-ca` })]);
    expect(other.files.find((f) => f.path.endsWith('.ca.pem'))?.path).not.toBe(caFile?.path);
  });
});
