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

/** A certificate authority made by openssl: its files stay in `dir` (ca.crt, ca.key) to sign with. */
export interface TestAuthority extends TestCertificate {
  name: string;
  dir: string;
}

async function signed(dir: string, subject: string, issuer: TestAuthority, extensions: string): Promise<TestCertificate> {
  const file = (n: string) => join(dir, n);
  await writeFile(file('ext.cnf'), extensions);
  await execa('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', file('key.pem'), '-out', file('req.csr')]);
  await execa('openssl', [
    'x509', '-req', '-in', file('req.csr'), '-CA', join(issuer.dir, 'ca.crt'), '-CAkey', join(issuer.dir, 'ca.key'), '-set_serial', String(Date.now()),
    '-days', '30', '-sha256', '-extfile', file('ext.cnf'), '-out', file('cert.pem'),
  ]);
  return { cert: await readFile(file('cert.pem'), 'utf8'), key: await readFile(file('key.pem'), 'utf8') };
}

const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';

/** A self-signed root CA from openssl; with `issuer`, an intermediate CA signed by it. */
export async function makeAuthority(name: string, issuer?: TestAuthority): Promise<TestAuthority> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-ca-'));
  if (issuer) {
    const c = await signed(dir, `/CN=${name}`, issuer, CA_EXTENSIONS);
    await writeFile(join(dir, 'ca.crt'), c.cert);
    await writeFile(join(dir, 'ca.key'), c.key);
    return { name, dir, ...c };
  }
  await execa('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'),
  ]);
  return { name, dir, cert: await readFile(join(dir, 'ca.crt'), 'utf8'), key: await readFile(join(dir, 'ca.key'), 'utf8') };
}

/** The same root CA, by the name the client-certificate tests use. */
export const makeCertificateAuthority = (commonName: string): Promise<TestAuthority> => makeAuthority(commonName);

/** A leaf certificate for `hosts` (the first is its CN) signed by `issuer`, usable by a server and by a client. */
export async function makeSignedCertificate(hosts: string[], issuer: TestAuthority): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-cert-'));
  const names = hosts.map((h) => `DNS:${h}`).join(',');
  return signed(dir, `/CN=${hosts[0]!}`, issuer, `subjectAltName=${names}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`);
}

/**
 * A certificate signed by `ca`: a server certificate for `dnsName` when given (with its SAN), else a client
 * certificate (extendedKeyUsage clientAuth). `subject` is openssl's form, e.g. `/CN=client/O=Example`.
 */
export async function signCertificate(ca: TestAuthority, subject: string, opts: { dnsName?: string } = {}): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-signed-'));
  return signed(dir, subject, ca, opts.dnsName ? `subjectAltName=DNS:${opts.dnsName}\nextendedKeyUsage=serverAuth\n` : 'extendedKeyUsage=clientAuth\n');
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

/** Writes a certificate (and its chain) and key to files, for a backend process. */
export async function certificateFiles(c: TestCertificate, chain: string[] = []): Promise<{ certFile: string; keyFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-certfiles-'));
  await writeFile(join(dir, 'cert.pem'), [c.cert, ...chain].join(''));
  await writeFile(join(dir, 'key.pem'), c.key);
  return { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
}
