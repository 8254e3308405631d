import { describe, expect, test } from '@jest/globals';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import { buildModel } from '../model/build.js';
import { DEFAULT_MODEL_OPTIONS, type StateFile } from '../model/types.js';
import { parseFamily } from '../../test/support/annotation-input.js';
import { authTlsFeature, caBundle, checkMatchCn, crlBundle } from './auth-tls.js';

/** A self-signed EC CA and an empty CRL it signed (openssl, valid until 2126): fixed test data. */
const CA = `-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIUXczhlnbJbTEX83oNxzSz5vxzOPEwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMVW5pdCBUZXN0IENBMCAXDTI2MTIwODAzMjU1NFoYDzIxMjYx
MTE0MDMyNTU0WjAXMRUwEwYDVQQDDAxVbml0IFRlc3QgQ0EwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAAS+e0EfyjhlnbodpL2QXlCSZC/BvpRwF0hg0wYcyCUvjH4I
e3qLZR3rio2S7MQZdG61oDQnNwogQkCEVl8nivLZo1MwUTAdBgNVHQ4EFgQUOG9x
J2uEczNYgSxkXtgGcSW3keMwHwYDVR0jBBgwFoAUOG9xJ2uEczNYgSxkXtgGcSW3
keMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBzQL3aV9/FnCCB
4F4xFCN6ptok2YP3LeT9v6Zhyi0uvAIhANt6WTWKpT3KW1c//CgPgMUT4esEQ/LP
NeqztD1GJFQw
-----END CERTIFICATE-----
`;
const CRL = `-----BEGIN X509 CRL-----
MIGwMFgCAQEwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMVW5pdCBUZXN0IENBFw0y
NjEyMDgwMzI1NTRaGA8yMTI2MTExNDAzMjU1NFqgDjAMMAoGA1UdFAQDAgEBMAoG
CCqGSM49BAMCA0gAMEUCIQC6ZUZpXqzS/YA4QVFj47yJJJErZwLSZWZXHfAWdo0X
TwIge68rnR1Iryua21KS4kSLoffeEFBN2SPwztAVKxXJFMc=
-----END X509 CRL-----
`;
const P = 'nginx.ingress.kubernetes.io';

const secret = (name: string, data: Record<string, string>, namespace = 'web'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: data }) as KubeObject;

function parse(annotations: Record<string, string>, objects: KubeObject[] = [secret('ca', { 'ca.crt': CA })]) {
  const files: StateFile[] = [];
  const out = parseFamily(authTlsFeature, annotations, {
    ref: { namespace: 'web', name: 'shop' },
    snapshot: snapshotFromObjects(objects),
    options: { stateDir: '/var/lib/portico/' },
    addFile: (f: StateFile) => files.push(f),
  });
  return { ...out, files };
}

describe('auth-tls annotations', () => {
  test('off without auth-tls-secret; the other keys then ask for nothing and are named in one warning', () => {
    expect(parse({}).result?.enabled).toBe(false);
    const r = parse({ 'auth-tls-verify-client': 'on', 'auth-tls-match-cn': 'CN=x' });
    expect([r.result?.enabled, r.warnings]).toEqual([false, ['auth-tls-verify-client, auth-tls-match-cn: ignored without auth-tls-secret, as in ingress-nginx']]);
  });

  test("ingress-nginx's defaults: verify on, depth 1, no error page, no certificate upstream", () => {
    const r = parse({ 'auth-tls-secret': 'web/ca' });
    expect(r.result).toMatchObject({ enabled: true, secret: 'web/ca', verifyClient: 'on', verifyDepth: 1, errorPage: undefined, passCertificate: false, matchCn: undefined, crlFile: undefined });
    expect(r.result?.caFile).toMatch(/^\/var\/lib\/portico\/certs\/web_ca\.[0-9a-f]{16}\.ca\.pem$/);
    expect(r.files).toEqual([{ path: r.result!.caFile!.slice('/var/lib/portico/'.length), content: CA, mode: 0o600 }]);
  });

  test('the CA file is the parsed certificates only, and its name changes with them', () => {
    const padded = parse({ 'auth-tls-secret': 'web/ca' }, [secret('ca', { 'ca.crt': `}\nssl_engine x;\n${CA}\n# trailing` })]);
    expect(padded.files[0]?.content).toBe(CA);
    expect(padded.result?.caFile).toBe(parse({ 'auth-tls-secret': 'web/ca' }).result?.caFile);
    const twice = parse({ 'auth-tls-secret': 'web/ca' }, [secret('ca', { 'ca.crt': CA + CA })]);
    expect(twice.result?.caFile).not.toBe(padded.result?.caFile);
  });

  test('ca.crl becomes a second state file', () => {
    const r = parse({ 'auth-tls-secret': 'web/ca' }, [secret('ca', { 'ca.crt': CA, 'ca.crl': CRL })]);
    expect(r.result?.crlFile).toMatch(/\/certs\/web_ca\.[0-9a-f]{16}\.crl\.pem$/);
    expect(r.files.map((f) => [f.path.replace(/\.[0-9a-f]{16}\./, '.*.'), f.mode])).toEqual([['certs/web_ca.*.ca.pem', 0o600], ['certs/web_ca.*.crl.pem', 0o600]]);
    expect(r.files[1]?.content).toBe(CRL);
  });

  test.each([
    ['ca', 'must be NAMESPACE/NAME'],
    ['a/b/c', 'must be NAMESPACE/NAME'],
    ['web/CA', 'must be a lowercase DNS subdomain'],
    ['web/missing', 'Secret web/missing not found'],
  ])('auth-tls-secret %s is refused: %s', (value, reason) => {
    const r = parse({ 'auth-tls-secret': value });
    expect(r.error?.annotation).toBe('auth-tls-secret');
    expect(r.error?.reason).toContain(reason);
  });

  test.each([
    [{ 'tls.crt': CA }, 'Secret web/ca has no "ca.crt" key'],
    [{ 'ca.crt': 'hello' }, '"ca.crt" of Secret web/ca holds no PEM certificate'],
    [{ 'ca.crt': CA.replace(/\n[^\n]{64}\n/, `\n${'A'.repeat(64)}\n`) }, '"ca.crt" of Secret web/ca certificate 1 is not a valid X.509 certificate'],
    [{ 'ca.crt': CA, 'ca.crl': 'x' }, '"ca.crl" of Secret web/ca holds no PEM X509 CRL'],
  ])('a CA Secret that cannot be used rejects the Ingress, naming the Secret (%#)', (data, reason) => {
    expect(parse({ 'auth-tls-secret': 'web/ca' }, [secret('ca', data)]).error?.reason).toBe(reason);
  });

  test('verify-client: the four values; an unknown one is "on" with a warning, as in ingress-nginx', () => {
    for (const v of ['on', 'off', 'optional', 'optional_no_ca']) expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-verify-client': v }).result?.verifyClient).toBe(v);
    const r = parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-verify-client': 'maybe' });
    expect([r.result?.verifyClient, r.warnings[0]]).toEqual(['on', expect.stringContaining('must be on, off, optional or optional_no_ca; "on" is used instead')]);
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-verify-client': 'on;' }).error?.annotation).toBe('auth-tls-verify-client');
  });

  test('verify-depth: 1 to 100; 0 or text gives 1 with a warning', () => {
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-verify-depth': '3' }).result?.verifyDepth).toBe(3);
    for (const v of ['0', 'two', '101']) {
      const r = parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-verify-depth': v });
      expect([r.result?.verifyDepth, r.warnings.length]).toEqual([1, 1]);
    }
  });

  test('error-page: an http(s) URL or a path; anything else is left out with a warning, hostile text rejects', () => {
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-error-page': 'https://login.test/cert-error?x=1' }).result?.errorPage).toBe('https://login.test/cert-error?x=1');
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-error-page': '/error' }).result?.errorPage).toBe('/error');
    const r = parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-error-page': 'ftp://x/' });
    expect([r.result?.errorPage, r.warnings.length]).toEqual([undefined, 1]);
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-error-page': 'https://x/;return 200' }).error?.annotation).toBe('auth-tls-error-page');
  });

  test('pass-certificate-to-upstream: true or false', () => {
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-pass-certificate-to-upstream': 'true' }).result?.passCertificate).toBe(true);
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-pass-certificate-to-upstream': 'yes' }).result?.passCertificate).toBe(false);
  });

  test('match-cn: the pattern language, and a refused pattern rejects the Ingress (ingress-nginx would drop the check)', () => {
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-match-cn': 'CN=(a|b.example.com)' }).result?.matchCn).toBe('CN=(a|b.example.com)');
    expect(parse({ 'auth-tls-secret': 'web/ca', 'auth-tls-match-cn': 'client' }).error?.annotation).toBe('auth-tls-match-cn');
  });
});

describe('checkMatchCn', () => {
  test.each(['CN=client', 'CN=(client-a|client-b)', 'CN=.*\.example\.com'.replace(/\\/g, ''), 'CN=Demo Client,O=Example', 'CN=a_b~c/d@e'])('accepts %s', (v) => {
    expect(checkMatchCn(v)).toBeUndefined();
  });
  test.each([
    ['client', 'must start with "CN="'],
    ['CN=a$', 'character "$" is not allowed'],
    ['CN=a\\d', 'character "\\\\" is not allowed'],
    ['CN=a"b', 'character "\\"" is not allowed'],
    ['CN=a;b', 'character ";" is not allowed'],
    ['CN=a{1}', 'character "{" is not allowed'],
    ['CN=abc #(\n){}\n }}\nssl_engine x;', 'character "#" is not allowed'],
    ['CN=a\nb', 'character U+000A is not allowed'],
    ['CN=(a*)*', '"*" after ")" is not allowed'],
    ['CN=(*ACCEPT)', '"(*" is not allowed'],
    ['CN=(a', 'is not a valid pattern'],
    ['CN=(a|*b)', 'is not a valid pattern'],
  ])('refuses %j: %s', (v, reason) => {
    expect(checkMatchCn(v)).toContain(reason);
  });
});

describe('CA and CRL bundles', () => {
  test('a PEM bundle keeps every certificate, in order', () => {
    expect(caBundle(CA + CA)).toEqual({ pem: CA + CA });
    expect(crlBundle(`x\n${CRL}y`)).toEqual({ pem: CRL });
  });
});

describe('auth-tls in the model: one CA per host', () => {
  const CLASS = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'portico' }, spec: { controller: 'portico.dev/ingress-controller' } } as KubeObject;
  const ingress = (name: string, namespace: string, path: string, created: string, annotations: Record<string, string>): KubeObject =>
    ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace, creationTimestamp: created, annotations: Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`${P}/${k}`, v])) },
      spec: { ingressClassName: 'portico', rules: [{ host: 'mtls.test', http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: 'app', port: { number: 80 } } } }] } }] },
    }) as KubeObject;
  const model = (objects: KubeObject[]) =>
    buildModel(snapshotFromObjects([CLASS, secret('ca', { 'ca.crt': CA }), secret('ca2', { 'ca.crt': CA + CA }), ...objects]), { ...DEFAULT_MODEL_OPTIONS, stateDir: '/tmp/portico-unit' });

  test('the oldest asking Ingress sets the CA; a newer one asking for another is rejected for that part, its paths 503', () => {
    const m = model([
      ingress('newer', 'web', '/b', '2026-02-01T00:00:00Z', { 'auth-tls-secret': 'web/ca2' }),
      ingress('older', 'web', '/a', '2026-01-01T00:00:00Z', { 'auth-tls-secret': 'web/ca' }),
      ingress('plain', 'web', '/c', '2025-01-01T00:00:00Z', {}),
    ]);
    const server = m.servers.find((s) => s.host === 'mtls.test')!;
    expect(server.clientCertificate).toMatchObject({ from: { namespace: 'web', name: 'older' }, secret: 'web/ca' });
    // A host without its own certificate loads the default one: nginx applies a server's verification only with an SSL context of its own.
    expect(server.tls).toEqual(m.defaultCertificate);
    expect(m.rejections).toEqual([expect.objectContaining({ ingress: { namespace: 'web', name: 'newer' }, field: `metadata.annotations[${P}/auth-tls-secret]`, whole: false })]);
    const reasonOf = (l: (typeof server.locations)[number]) => (l.backend.kind === 'unavailable' ? l.backend.reason : 'served');
    const byPath = Object.fromEntries(server.locations.map((l) => [l.ingressPath, [/auth-tls/.test(reasonOf(l)), l.clientCertificate?.secret]]));
    expect(byPath).toEqual({ '/a': [false, 'web/ca'], '/b': [true, 'web/ca'], '/c': [false, 'web/ca'] });
  });

  test('two Ingresses asking for the same check agree: no rejection', () => {
    const m = model([
      ingress('one', 'web', '/a', '2026-01-01T00:00:00Z', { 'auth-tls-secret': 'web/ca' }),
      ingress('two', 'web', '/b', '2026-02-01T00:00:00Z', { 'auth-tls-secret': 'web/ca' }),
    ]);
    expect(m.rejections).toEqual([]);
  });
});
