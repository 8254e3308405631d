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

/** A certificate authority made by openssl (its key is kept to sign others). */
export interface TestAuthority extends TestCertificate {
  name: string;
}

async function signed(dir: string, subject: string, issuer: TestAuthority, extensions: string): Promise<TestCertificate> {
  const file = (n: string) => join(dir, n);
  await writeFile(file('issuer.crt'), issuer.cert);
  await writeFile(file('issuer.key'), issuer.key);
  await writeFile(file('ext.cnf'), extensions);
  await execa('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${subject}`, '-keyout', file('key.pem'), '-out', file('req.csr')]);
  await execa('openssl', [
    'x509', '-req', '-in', file('req.csr'), '-CA', file('issuer.crt'), '-CAkey', file('issuer.key'), '-set_serial', String(Date.now()),
    '-days', '30', '-sha256', '-extfile', file('ext.cnf'), '-out', file('cert.pem'),
  ]);
  return { cert: await readFile(file('cert.pem'), 'utf8'), key: await readFile(file('key.pem'), 'utf8') };
}

const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';

/** A self-signed root CA from openssl; with `issuer`, an intermediate CA signed by it. */
export async function makeAuthority(name: string, issuer?: TestAuthority): Promise<TestAuthority> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-ca-'));
  if (issuer) return { name, ...(await signed(dir, name, issuer, CA_EXTENSIONS)) };
  await execa('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  return { name, cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') };
}

/** A leaf certificate for `hosts` (the first is its CN) signed by `issuer`, usable by a server and by a client. */
export async function makeSignedCertificate(hosts: string[], issuer: TestAuthority): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-cert-'));
  const names = hosts.map((h) => `DNS:${h}`).join(',');
  return signed(dir, hosts[0]!, issuer, `subjectAltName=${names}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`);
}

/** Writes a certificate (and its chain) and key to files, for a backend process. */
export async function certificateFiles(c: TestCertificate, chain: string[] = []): Promise<{ certFile: string; keyFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-certfiles-'));
  await writeFile(join(dir, 'cert.pem'), [c.cert, ...chain].join(''));
  await writeFile(join(dir, 'key.pem'), c.key);
  return { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
}
