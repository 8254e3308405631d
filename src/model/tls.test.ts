import { makeCertificate, tlsSecret } from '../../test/support/certs.js';
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
    expect(r).toEqual({ ok: false, reason: 'Secret ns/s: tls.key does not match tls.crt' });
  });

  it('reports an unparsable certificate every time it is asked', () => {
    const snapshot = snapshotFromObjects([tlsSecret('ns', 'bad', { cert: 'not a certificate', key: a.key })]);
    for (let i = 0; i < 2; i++) {
      const r = certificateFromSecret('ns', 'bad', snapshot, '/state');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^Secret ns\/bad: invalid certificate or key/);
    }
  });
});
