import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Snapshot } from '../store/snapshot.js';
import { contentAddressedPath } from './state-files.js';
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

interface PemBlock {
  label: string;
  text: string;
}

const PEM_BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/** The PEM blocks of a text, or a reason when a block is not closed (a truncated paste). */
function pemBlocks(text: string): { blocks: PemBlock[]; problem?: string } {
  const blocks = [...text.matchAll(PEM_BLOCK_RE)].map((m) => ({ label: m[1]!, text: m[0] }));
  const begins = (text.match(/-----BEGIN /g) ?? []).length;
  if (begins !== blocks.length) return { blocks, problem: 'a PEM block is not closed' };
  return { blocks };
}

const PRIVATE_KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/**
 * nginx on Debian loads certificates with OpenSSL's security level 2 (Debian's build default): RSA keys
 * under 2048 bits fail `nginx -t` with "ee key too small". Node's own OpenSSL defaults to level 1, so the
 * level is asked for explicitly.
 */
const NGINX_SECURITY_LEVEL = 'DEFAULT:@SECLEVEL=2';

/**
 * Parsing a certificate and its key costs about a millisecond; a Secret referenced by many Ingresses (or
 * unchanged across syncs) is checked once. Keyed by the Secret object, and only reused for the same texts.
 */
const checkedPairs = new WeakMap<object, { cert: string; key: string; result: PairCheck }>();

export type PairCheck = { ok: true; pem: string } | { ok: false; problem: string };

/**
 * A CA bundle (ca.crt) as nginx reads it for proxy_ssl_trusted_certificate: one or more CERTIFICATE blocks
 * that parse and that OpenSSL accepts as trust anchors. Only the blocks are written (text around them is not).
 */
export function checkCaBundle(text: string): PairCheck {
  const certs = pemBlocks(text);
  if (certs.problem) return { ok: false, problem: `ca.crt: ${certs.problem}` };
  if (certs.blocks.length === 0) return { ok: false, problem: 'ca.crt holds no PEM certificate' };
  for (const [i, block] of certs.blocks.entries()) {
    if (block.label !== 'CERTIFICATE') return { ok: false, problem: `ca.crt: PEM block ${i + 1} is a ${block.label}, not a CERTIFICATE` };
    try {
      new X509Certificate(block.text);
    } catch (err) {
      return { ok: false, problem: `ca.crt: certificate ${i + 1} does not parse (${(err as Error).message})` };
    }
  }
  const bundle = certs.blocks.map((b) => b.text).join('\n');
  try {
    createSecureContext({ ca: bundle, ciphers: NGINX_SECURITY_LEVEL });
  } catch (err) {
    return { ok: false, problem: `OpenSSL refuses ca.crt (${(err as Error).message})` };
  }
  return { ok: true, pem: `${bundle}\n` };
}

/**
 * Checks exactly what nginx will read: the file Portico writes holds every certificate block of tls.crt,
 * then the key. Every PEM block of tls.crt must be a CERTIFICATE that parses (an extra private key there
 * would be the key nginx picks up from the file, and fail); tls.key must hold one private key that
 * parses and matches the first certificate (the leaf); and OpenSSL must accept the certificates at nginx's
 * security level. Text outside the blocks (comments) is not written.
 */
export function checkPair(secret: object, cert: string, key: string): PairCheck {
  const cached = checkedPairs.get(secret);
  if (cached && cached.cert === cert && cached.key === key) return cached.result;
  const result = checkPem(cert, key);
  checkedPairs.set(secret, { cert, key, result });
  return result;
}

function checkPem(cert: string, key: string): PairCheck {
  const certs = pemBlocks(cert);
  if (certs.problem) return { ok: false, problem: `tls.crt: ${certs.problem}` };
  if (certs.blocks.length === 0) return { ok: false, problem: 'tls.crt holds no PEM certificate' };
  const parsed: X509Certificate[] = [];
  for (const [i, block] of certs.blocks.entries()) {
    if (block.label !== 'CERTIFICATE') return { ok: false, problem: `tls.crt: PEM block ${i + 1} is a ${block.label}, not a CERTIFICATE` };
    try {
      parsed.push(new X509Certificate(block.text));
    } catch (err) {
      return { ok: false, problem: `tls.crt: certificate ${i + 1} does not parse (${(err as Error).message})` };
    }
  }
  const keys = pemBlocks(key);
  if (keys.problem) return { ok: false, problem: `tls.key: ${keys.problem}` };
  if (keys.blocks.length !== 1) return { ok: false, problem: `tls.key must hold exactly one PEM private key, it holds ${keys.blocks.length} PEM blocks` };
  const keyBlock = keys.blocks[0]!;
  if (!PRIVATE_KEY_LABELS.has(keyBlock.label)) return { ok: false, problem: `tls.key: a ${keyBlock.label} is not an unencrypted private key` };
  let privateKey;
  try {
    privateKey = createPrivateKey(keyBlock.text);
  } catch (err) {
    return { ok: false, problem: `tls.key does not parse (${(err as Error).message})` };
  }
  if (!parsed[0]!.checkPrivateKey(privateKey)) return { ok: false, problem: 'tls.key does not match the first certificate of tls.crt' };
  const chain = certs.blocks.map((b) => b.text).join('\n');
  // The certificates alone: the security level judges their keys and signatures, and the private key
  // matches the leaf's public key (checked above). Loading the key as well would double the cost of
  // this call (about 1.5 ms more per RSA 2048 Secret, on top of the 1.8 ms of the checks above).
  try {
    createSecureContext({ cert: chain, ciphers: NGINX_SECURITY_LEVEL });
  } catch (err) {
    return { ok: false, problem: `OpenSSL refuses the certificate (${(err as Error).message})` };
  }
  return { ok: true, pem: `${chain}\n${keyBlock.text}\n` };
}

/**
 * Reads a kubernetes.io/tls Secret into one PEM file (certificate chain, then key). The pair must pass
 * what nginx checks (checkPem), so that a bad Secret falls back to the default certificate rather than
 * failing `nginx -t` for everyone.
 */
export function certificateFromSecret(namespace: string, name: string, snapshot: Snapshot, stateDir: string): CertificateResult {
  const nsReason = checkNamespace(namespace) ?? checkObjectName(name);
  if (nsReason) return { ok: false, reason: `invalid Secret name: ${nsReason}` };
  const secret = snapshot.secrets.get(`${namespace}/${name}`);
  if (!secret) return { ok: false, reason: `Secret ${namespace}/${name} not found` };
  const cert = secret.stringData?.['tls.crt'] ?? decode(secret.data?.['tls.crt']);
  const key = secret.stringData?.['tls.key'] ?? decode(secret.data?.['tls.key']);
  if (!cert || !key) return { ok: false, reason: `Secret ${namespace}/${name} lacks tls.crt or tls.key` };
  const checked = checkPair(secret, cert, key);
  if (!checked.ok) return { ok: false, reason: `Secret ${namespace}/${name}: ${checked.problem}` };
  // Both names are DNS names without "_" or "/", so the file name cannot leave certs/ (long ones shortened).
  const path = contentAddressedPath('certs', objectFileStem(namespace, name), 'pem', checked.pem);
  const full = `${stateDir}/${path}`;
  return {
    ok: true,
    tls: { certificate: full, key: full, source: `Secret ${namespace}/${name}` },
    file: { path, content: checked.pem, mode: 0o600 },
  };
}
