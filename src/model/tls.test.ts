import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate, tlsSecret, type TestCertificate } from '../../test/support/certs.js';
import { snapshotFromObjects } from '../store/snapshot.js';
import { certificateFromSecret } from './tls.js';

describe('certificateFromSecret: the certificate/key check is cached per Secret object', () => {
  let a: Awaited<ReturnType<typeof makeCertificate>>;
  let b: Awaited<ReturnType<typeof makeCertificate>>;
  beforeAll(async () => {
    a = await makeCertificate('a.example');
    b = await makeCertificate('b.example');
  });

  it('gives the same answer for the same Secret asked many times', () => {
    const snapshot = snapshotFromObjects([tlsSecret('ns', 'good', a)]);
    const results = Array.from({ length: 3 }, () => certificateFromSecret('ns', 'good', snapshot, '/state'));
    for (const r of results) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.file.content).toContain(a.cert.trim());
    }
  });

  it('checks again when the same Secret object now holds another key', () => {
    const secret = tlsSecret('ns', 's', a);
    const snapshot = snapshotFromObjects([secret]);
    expect(certificateFromSecret('ns', 's', snapshot, '/state').ok).toBe(true);
    // Mutated in place: a cache keyed by the object alone would wrongly say it still matches.
    (secret as { data: Record<string, string> }).data['tls.key'] = Buffer.from(b.key).toString('base64');
    const stored = snapshot.secrets.get('ns/s') as { data: Record<string, string> };
    stored.data['tls.key'] = Buffer.from(b.key).toString('base64');
    const r = certificateFromSecret('ns', 's', snapshot, '/state');
    expect(r).toEqual({ ok: false, reason: 'Secret ns/s: tls.key does not match the first certificate of tls.crt' });
  });

  it('reports an unparsable certificate every time it is asked', () => {
    const snapshot = snapshotFromObjects([tlsSecret('ns', 'bad', { cert: 'not a certificate', key: a.key })]);
    for (let i = 0; i < 2; i++) {
      const r = certificateFromSecret('ns', 'bad', snapshot, '/state');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toBe('Secret ns/bad: tls.crt holds no PEM certificate');
    }
  });
});

/** A self-signed certificate with an RSA key of `bits` (nginx on Debian refuses under 2048). */
async function rsaCertificate(host: string, bits: number): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-cert-'));
  await execa('openssl', ['req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-sha256', '-days', '3', '-subj', `/CN=${host}`, '-keyout', join(dir, 'k'), '-out', join(dir, 'c')]);
  return { cert: await readFile(join(dir, 'c'), 'utf8'), key: await readFile(join(dir, 'k'), 'utf8') };
}

describe('certificateFromSecret checks what nginx will read', () => {
  let leaf: TestCertificate;
  let other: TestCertificate;
  beforeAll(async () => {
    leaf = await makeCertificate('leaf.example');
    other = await makeCertificate('other.example');
  });
  const check = (c: TestCertificate) => certificateFromSecret('ns', 's', snapshotFromObjects([tlsSecret('ns', 's', c)]), '/state');
  const corruptBlock = '-----BEGIN CERTIFICATE-----\nMIIBnotbase64atall!!\n-----END CERTIFICATE-----\n';

  it.each([
    ['an extra private key in tls.crt', () => ({ cert: `${leaf.cert}${other.key}`, key: leaf.key }), /^Secret ns\/s: tls\.crt: PEM block 2 is a PRIVATE KEY, not a CERTIFICATE$/],
    ['a corrupt certificate in the chain', () => ({ cert: `${leaf.cert}${corruptBlock}`, key: leaf.key }), /^Secret ns\/s: tls\.crt: certificate 2 does not parse/],
    ['a truncated certificate', () => ({ cert: leaf.cert.slice(0, 200), key: leaf.key }), /^Secret ns\/s: tls\.crt: a PEM block is not closed$/],
    ['a key that matches a chain certificate, not the leaf', () => ({ cert: `${leaf.cert}${other.cert}`, key: other.key }), /does not match the first certificate/],
    ['two keys in tls.key', () => ({ cert: leaf.cert, key: `${leaf.key}${other.key}` }), /^Secret ns\/s: tls\.key must hold exactly one PEM private key, it holds 2 PEM blocks$/],
    ['a certificate as tls.key', () => ({ cert: leaf.cert, key: leaf.cert }), /^Secret ns\/s: tls\.key: a CERTIFICATE is not an unencrypted private key$/],
  ])('refuses %s, with the reason', (_what, pair, reason) => {
    const r = check(pair());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('refuses an RSA key nginx finds too small (1024 bits), as OpenSSL does at nginx\'s security level', async () => {
    const r = check(await rsaCertificate('weak.example', 1024));
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^Secret ns\/s: OpenSSL refuses the certificate \(.*ee key too small\)$/) });
  });

  it('accepts a chain (leaf first) and writes the certificate blocks then the key, without text outside them', () => {
    const r = check({ cert: `# a comment\n${leaf.cert}\n${other.cert}`, key: leaf.key });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.file.content).toBe(`${leaf.cert.trim()}\n${other.cert.trim()}\n${leaf.key.trim()}\n`);
    expect(r.file.path).toMatch(/^certs\/ns_s\.[0-9a-f]{16}\.pem$/);
    expect(r.tls.certificate).toBe(`/state/${r.file.path}`);
  });

  it('names the file by its content: a renewed certificate gets a new file, the same one keeps its name', () => {
    const first = check(leaf);
    const again = check({ ...leaf });
    const renewed = check(other);
    expect(first.ok && again.ok && renewed.ok).toBe(true);
    if (!first.ok || !again.ok || !renewed.ok) return;
    expect(again.file.path).toBe(first.file.path);
    expect(renewed.file.path).not.toBe(first.file.path);
  });
});
