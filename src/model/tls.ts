import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Snapshot } from '../store/snapshot.js';
import type { ServerTLS, StateFile } from './types.js';
import { checkNamespace, checkObjectName, objectFileStem } from './validate.js';

export const SELF_SIGNED_CERT_PATH = 'certs/default-selfsigned.pem';

export type CertificateResult =
  | { ok: true; tls: ServerTLS; file: StateFile }
  | { ok: false; reason: string };

function decode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

/**
 * Parsing a certificate and its key costs about a millisecond; a Secret referenced by many Ingresses (or
 * unchanged across syncs) is checked once. Keyed by the Secret object, and only reused for the same texts.
 */
const checkedPairs = new WeakMap<object, { cert: string; key: string; problem: string | undefined }>();

/** undefined when the certificate parses and matches its key, else why not. */
function checkPair(secret: object, cert: string, key: string): string | undefined {
  const cached = checkedPairs.get(secret);
  if (cached && cached.cert === cert && cached.key === key) return cached.problem;
  let problem: string | undefined;
  try {
    const x509 = new X509Certificate(cert);
    const privateKey = createPrivateKey(key);
    if (!x509.checkPrivateKey(privateKey)) problem = 'tls.key does not match tls.crt';
  } catch (err) {
    problem = `invalid certificate or key (${(err as Error).message})`;
  }
  checkedPairs.set(secret, { cert, key, problem });
  return problem;
}

/**
 * Reads a kubernetes.io/tls Secret into one PEM file (certificate chain, then key). The certificate must
 * parse and match its key, so that a bad Secret falls back to the default certificate rather than failing
 * `nginx -t` for everyone.
 */
export function certificateFromSecret(namespace: string, name: string, snapshot: Snapshot, stateDir: string): CertificateResult {
  const nsReason = checkNamespace(namespace) ?? checkObjectName(name);
  if (nsReason) return { ok: false, reason: `invalid Secret name: ${nsReason}` };
  const secret = snapshot.secrets.get(`${namespace}/${name}`);
  if (!secret) return { ok: false, reason: `Secret ${namespace}/${name} not found` };
  const cert = secret.stringData?.['tls.crt'] ?? decode(secret.data?.['tls.crt']);
  const key = secret.stringData?.['tls.key'] ?? decode(secret.data?.['tls.key']);
  if (!cert || !key) return { ok: false, reason: `Secret ${namespace}/${name} lacks tls.crt or tls.key` };
  const problem = checkPair(secret, cert, key);
  if (problem !== undefined) return { ok: false, reason: `Secret ${namespace}/${name}: ${problem}` };
  // Both names are DNS names without "_" or "/", so the file name cannot collide or leave certs/ (long ones shortened).
  const path = `certs/${objectFileStem(namespace, name)}.pem`;
  const content = `${cert.trim()}\n${key.trim()}\n`;
  const full = `${stateDir}/${path}`;
  return {
    ok: true,
    tls: { certificate: full, key: full, source: `Secret ${namespace}/${name}` },
    file: { path, content, mode: 0o600 },
  };
}
