import { beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotFromObjects } from '../store/snapshot.js';
import type { KubeObject } from '../store/types.js';
import type { StateFile } from '../model/types.js';
import { AnnotationError, type AnnotationInput } from './feature.js';
import { proxySslFeature } from './proxy-ssl.js';

/** One openssl-made self-signed pair (a CA and a leaf at once: enough for what the parser checks). */
let pem: { cert: string; key: string };
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-proxyssl-unit-'));
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=unit-ca', '-keyout', join(dir, 'k'), '-out', join(dir, 'c')]);
  pem = { cert: await readFile(join(dir, 'c'), 'utf8'), key: await readFile(join(dir, 'k'), 'utf8') };
});

const secret = (name: string, data: Record<string, string>, namespace = 'web'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: data }) as KubeObject;

function parse(annotations: Record<string, string>, objects: KubeObject[] = []) {
  const warnings: string[] = [];
  const files: StateFile[] = [];
  const input = {
    ref: { namespace: 'web', name: 'shop' },
    get: (k: string) => annotations[k],
    warn: (m: string) => warnings.push(m),
    addFile: (f: StateFile) => files.push(f),
    snapshot: snapshotFromObjects(objects),
    options: { stateDir: '/var/lib/portico/' },
  } as unknown as AnnotationInput;
  try {
    return { result: proxySslFeature.parse(input, { locationOnly: false }), warnings, files };
  } catch (err) {
    if (err instanceof AnnotationError) return { error: err, warnings, files };
    throw err;
  }
}

const full = () => secret('backend', { 'ca.crt': pem.cert, 'tls.crt': pem.cert, 'tls.key': pem.key });

describe('proxy-ssl-* annotations', () => {
  test('off without proxy-ssl-secret; the other keys are ignored with one warning, as in ingress-nginx', () => {
    const r = parse({ 'proxy-ssl-verify': 'on', 'proxy-ssl-name': 'x.internal' });
    expect(r.result?.secret).toBeUndefined();
    expect(r.warnings).toEqual(['proxy-ssl-verify, proxy-ssl-name are ignored without proxy-ssl-secret, as in ingress-nginx']);
  });

  test("ingress-nginx's defaults with the Secret: ciphers DEFAULT, TLSv1.2, verify off, depth 1, no SNI; two 0600 state files", () => {
    const r = parse({ 'proxy-ssl-secret': 'web/backend' }, [full()]);
    expect(r.result).toMatchObject({ ciphers: 'DEFAULT', protocols: 'TLSv1.2', verify: false, verifyDepth: 1, serverName: false, name: undefined, secret: 'web/backend' });
    expect(r.files.map((f) => [f.path, f.mode, f.readByWorkers])).toEqual([
      [expect.stringMatching(/^certs\/web_backend\.proxy-ca\.[0-9a-f]{16}\.pem$/), 0o600, undefined],
      [expect.stringMatching(/^certs\/web_backend\.proxy-client\.[0-9a-f]{16}\.pem$/), 0o600, undefined],
    ]);
    expect(r.result?.trustedCertificate).toBe(`/var/lib/portico/${r.files[0]!.path}`);
    expect(r.result?.clientCertificate).toBe(`/var/lib/portico/${r.files[1]!.path}`);
    expect(r.files[1]!.content).toContain('PRIVATE KEY');
  });

  test('values as ingress-nginx reads them: protocols sorted, depth 0 is 1, names lowercased', () => {
    const r = parse(
      { 'proxy-ssl-secret': 'web/backend', 'proxy-ssl-protocols': 'TLSv1.3 TLSv1.2', 'proxy-ssl-verify-depth': '0', 'proxy-ssl-name': 'Backend.Internal', 'proxy-ssl-server-name': 'on', 'proxy-ssl-ciphers': 'HIGH:!AES', 'proxy-ssl-verify': 'on' },
      [full()],
    );
    expect(r.result).toMatchObject({ protocols: 'TLSv1.2 TLSv1.3', verifyDepth: 1, name: 'backend.internal', serverName: true, ciphers: 'HIGH:!AES', verify: true });
  });

  test('malformed but harmless values fall back to the default with a warning (ingress-nginx does the same)', () => {
    const r = parse({ 'proxy-ssl-secret': 'web/backend', 'proxy-ssl-protocols': 'TLSv1.1', 'proxy-ssl-verify-depth': 'x', 'proxy-ssl-server-name': 'yes', 'proxy-ssl-ciphers': 'A,B' }, [full()]);
    expect(r.result).toMatchObject({ protocols: 'TLSv1.2', verifyDepth: 1, serverName: false, ciphers: 'DEFAULT' });
    expect(r.warnings).toHaveLength(4);
    expect(r.warnings.every((w) => w.endsWith('as in ingress-nginx'))).toBe(true);
  });

  test.each([
    ['proxy-ssl-ciphers', 'HIGH;ssl_engine x'],
    ['proxy-ssl-protocols', 'TLSv1.2;include /etc/x'],
    ['proxy-ssl-name', 'a.test"; x'],
    ['proxy-ssl-verify-depth', '1}'],
    ['proxy-ssl-server-name', 'on\nx'],
  ])('%s with config characters (%j) rejects the Ingress instead of falling back', (key, value) => {
    expect(parse({ 'proxy-ssl-secret': 'web/backend', [key]: value }, [full()]).error?.annotation).toBe(key);
  });

  test('proxy-ssl-verify other than on/off rejects: ingress-nginx would quietly not verify', () => {
    expect(parse({ 'proxy-ssl-secret': 'web/backend', 'proxy-ssl-verify': 'true' }, [full()]).error?.message).toBe('proxy-ssl-verify: must be "on" or "off"');
  });

  test.each([
    ['backend', [], 'proxy-ssl-secret: "backend": must be NAMESPACE/NAME'],
    ['other/backend', [], "proxy-ssl-secret: Secret other/backend is not in the Ingress's namespace web; cross-namespace Secrets are not supported, as in ingress-nginx"],
    ['web/Bad_Name', [], 'proxy-ssl-secret: "web/Bad_Name": must be a lowercase DNS subdomain (a-z, 0-9, "-" and ".")'],
  ])('secret reference %j is refused', (value, objects, message) => {
    expect(parse({ 'proxy-ssl-secret': value }, objects).error?.message).toBe(message);
  });

  test.each([
    ['missing', {}, 'not found'],
    ['empty', { other: 'x' }, 'holds neither ca.crt nor tls.crt and tls.key'],
    ['no ca for verify', { 'tls.crt': 'C', 'tls.key': 'K' }, 'has no ca.crt, which proxy-ssl-verify "on" needs'],
    ['cert without key', { 'ca.crt': 'CA', 'tls.crt': 'C' }, 'has tls.crt but no tls.key'],
    ['garbage ca', { 'ca.crt': 'not a certificate' }, 'ca.crt holds no PEM certificate'],
    ['key in ca', { 'ca.crt': 'KEY' }, 'ca.crt: PEM block 1 is a PRIVATE KEY, not a CERTIFICATE'],
  ])('a Secret that is %s fails closed, naming the Secret', (what, data, reason) => {
    const filled = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v === 'CA' || v === 'C' ? pem.cert : v === 'K' || v === 'KEY' ? pem.key : v]));
    const objects = what === 'missing' ? [] : [secret('backend', filled)];
    const r = parse({ 'proxy-ssl-secret': 'web/backend', 'proxy-ssl-verify': 'on' }, objects);
    expect(r.error?.annotation).toBe('proxy-ssl-secret');
    expect(r.error?.reason).toBe(`Secret web/backend: ${reason}; the Ingress is not served rather than served without its backend TLS`);
    expect(r.files).toEqual([]);
  });

  test('a ca.crt alone is enough without a client certificate to present', () => {
    const r = parse({ 'proxy-ssl-secret': 'web/backend', 'proxy-ssl-verify': 'on' }, [secret('backend', { 'ca.crt': pem.cert })]);
    expect([r.result?.verify, r.result?.clientCertificate, r.files.length]).toEqual([true, undefined, 1]);
  });
});
