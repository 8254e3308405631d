import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/store/types.js';

export interface TestCertificate {
  cert: string;
  key: string;
}

/** A real self-signed certificate for `host` from openssl. */
export async function makeCertificate(host: string, days = 30): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-cert-'));
  await execa('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', String(days),
    '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`,
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  return { cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') };
}

export function tlsSecret(namespace: string, name: string, c: TestCertificate): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace },
    data: { 'tls.crt': Buffer.from(c.cert).toString('base64'), 'tls.key': Buffer.from(c.key).toString('base64') },
  } as KubeObject;
}

export interface TestAuthority extends TestCertificate {
  /** Where openssl finds the CA's files, to sign with. */
  dir: string;
}

/** A real self-signed certificate authority from openssl (basicConstraints CA:TRUE, keyCertSign). */
export async function makeCertificateAuthority(commonName: string, days = 30): Promise<TestAuthority> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-ca-'));
  await execa('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', String(days),
    '-subj', `/CN=${commonName}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'),
  ]);
  return { dir, cert: await readFile(join(dir, 'ca.crt'), 'utf8'), key: await readFile(join(dir, 'ca.key'), 'utf8') };
}

/**
 * A certificate signed by `ca`, from openssl: a server certificate for `dnsName` when given (with its SAN),
 * else a client certificate (extendedKeyUsage clientAuth). `subject` is openssl's form, e.g. `/CN=client/O=Example`.
 */
export async function signCertificate(ca: TestAuthority, subject: string, opts: { dnsName?: string; days?: number } = {}): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-signed-'));
  const ext = join(dir, 'ext.cnf');
  await writeFile(ext, opts.dnsName ? `subjectAltName=DNS:${opts.dnsName}\nextendedKeyUsage=serverAuth\n` : 'extendedKeyUsage=clientAuth\n');
  await execa('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'req.csr')]);
  await execa('openssl', [
    'x509', '-req', '-in', join(dir, 'req.csr'), '-CA', join(ca.dir, 'ca.crt'), '-CAkey', join(ca.dir, 'ca.key'), '-CAcreateserial',
    '-sha256', '-days', String(opts.days ?? 30), '-extfile', ext, '-out', join(dir, 'cert.pem'),
  ]);
  return { cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') };
}

/** A real CRL from openssl, signed by `ca`, that revokes `revoked` (each certificate `ca` signed). */
export async function makeRevocationList(ca: TestAuthority, revoked: TestCertificate[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-crl-'));
  const config = join(dir, 'ca.cnf');
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'crlnumber'), '01\n');
  await writeFile(config, `[ca]\ndefault_ca = test\n[test]\ndatabase = ${join(dir, 'index.txt')}\ncrlnumber = ${join(dir, 'crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 30\n`);
  const ca_ = ['-config', config, '-keyfile', join(ca.dir, 'ca.key'), '-cert', join(ca.dir, 'ca.crt')];
  for (const [i, c] of revoked.entries()) {
    const file = join(dir, `revoked-${i}.pem`);
    await writeFile(file, c.cert);
    await execa('openssl', ['ca', ...ca_, '-revoke', file]);
  }
  await execa('openssl', ['ca', ...ca_, '-gencrl', '-out', join(dir, 'crl.pem')]);
  return readFile(join(dir, 'crl.pem'), 'utf8');
}
