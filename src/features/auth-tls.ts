import { X509Certificate } from 'node:crypto';
import { contentAddressedPath } from '../model/state-files.js';
import { type Backend, type IngressRef, refString, type Server } from '../model/types.js';
import { checkNamespace, checkObjectName, objectFileStem, parseBool } from '../model/validate.js';
import { AnnotationError, type AnnotationInput, fallBack, type Feature } from './feature.js';

/**
 * Client-certificate authentication (ingress-nginx's auth-tls-*): the CA of auth-tls-secret verifies the
 * client's certificate during the TLS handshake of the host. nginx verifies per server (ssl_client_certificate
 * is a server directive), so the CA is per host: the oldest Ingress of the host that asks for one sets it
 * (finish hook). The upstream gets the verification result and the certificate's names as headers.
 */
export type VerifyClient = 'on' | 'off' | 'optional' | 'optional_no_ca';

export interface AuthTlsAnnotation {
  enabled: boolean;
  /** `namespace/name` of the CA Secret, for comments and messages. */
  secret: string | undefined;
  /** Absolute paths of the CA bundle and the optional revocation list (state files). */
  caFile: string | undefined;
  crlFile: string | undefined;
  verifyClient: VerifyClient;
  verifyDepth: number;
  /** auth-tls-error-page: where a request without a valid certificate is sent (error_page 495 496). */
  errorPage: string | undefined;
  passCertificate: boolean;
  /** auth-tls-match-cn, checked (see checkMatchCn): an nginx regex over $ssl_client_s_dn. */
  matchCn: string | undefined;
}

/** What the templates of a host with client-certificate auth read (set by the finish hook). */
export interface ClientCertificateAuth extends AuthTlsAnnotation {
  /** The Ingress whose annotations set it (the oldest of the host that asks). */
  from: IngressRef;
}

declare module '../model/types.js' {
  interface FeatureValues {
    authTls: AuthTlsAnnotation;
  }
  interface Server {
    /** auth-tls-* of this host (features/auth-tls.ts). */
    clientCertificate?: ClientCertificateAuth;
  }
  interface Location {
    /** The host's client-certificate auth, for the location's guards and upstream headers. */
    clientCertificate?: ClientCertificateAuth;
  }
}

const DEFAULT_VERIFY_CLIENT: VerifyClient = 'on';
const DEFAULT_VERIFY_DEPTH = 1;
/** OpenSSL's own limit is 100; a chain deeper than a few CAs is a mistake, but nginx accepts it. */
const MAX_VERIFY_DEPTH = 100;
const VERIFY_CLIENT_VALUES: readonly VerifyClient[] = ['on', 'off', 'optional', 'optional_no_ca'];

const OFF: AuthTlsAnnotation = {
  enabled: false,
  secret: undefined,
  caFile: undefined,
  crlFile: undefined,
  verifyClient: DEFAULT_VERIFY_CLIENT,
  verifyDepth: DEFAULT_VERIFY_DEPTH,
  errorPage: undefined,
  passCertificate: false,
  matchCn: undefined,
};

const KEYS = ['auth-tls-secret', 'auth-tls-verify-client', 'auth-tls-verify-depth', 'auth-tls-error-page', 'auth-tls-pass-certificate-to-upstream', 'auth-tls-match-cn'] as const;

/**
 * auth-tls-match-cn's pattern language: `CN=` and then names, `|` between alternatives and `( )` around
 * them; `.` and `*` keep their regex meaning (any character, repeated), as ingress-nginx matches the
 * value as a regex over the subject DN ($ssl_client_s_dn, RFC 2253: `CN=client,O=Example`), unanchored.
 * Nothing else: no backslash, `$`, `^`, quotes, braces, `;`, `#`, `[` or `?`, so the regex can only be
 * literals, wildcards and alternatives, and reaches nginx.conf as one quoted string.
 */
export function checkMatchCn(value: string): string | undefined {
  if (value.length > 1024) return 'longer than 1024 characters';
  if (!value.startsWith('CN=')) return 'must start with "CN=", as in ingress-nginx (e.g. CN=client or CN=(client-a|client-b))';
  const bad = /[^A-Za-z0-9 ._~/*|()=,@-]/.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0)!;
    const shown = code < 0x20 || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(bad[0]);
    return `character ${shown} is not allowed; a pattern holds names, ".", "*", "|" and "( )" only`;
  }
  // A quantifier after a group ("(a*)*") can take exponential time on a long subject name.
  if (/\)\*/.test(value)) return '"*" after ")" is not allowed';
  if (/\(\*/.test(value)) return '"(*" is not allowed';
  try {
    new RegExp(value);
  } catch {
    return 'is not a valid pattern (unbalanced "( )" or a "*" with nothing to repeat)';
  }
  return undefined;
}

/** An absolute http(s) URL or a path on the same host, with URI characters only. */
const ERROR_PAGE_RE = /^(https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)?\/[A-Za-z0-9\-._~%!&()*+,=:@/?]*$/;

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const PEM_CRL_RE = /-----BEGIN X509 CRL-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END X509 CRL-----/g;

/** The CA bundle re-encoded from the parsed certificates (no other text of the Secret reaches the state dir), or a reason. */
export function caBundle(text: string): { pem: string } | { reason: string } {
  const blocks = text.match(PEM_CERT_RE) ?? [];
  if (blocks.length === 0) return { reason: 'holds no PEM certificate' };
  const pems: string[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      const cert = new X509Certificate(block);
      pems.push(cert.toString().replace(/\n?$/, '\n'));
    } catch {
      return { reason: `certificate ${i + 1} is not a valid X.509 certificate` };
    }
  }
  return { pem: pems.join('') };
}

/** A revocation list: PEM blocks of DER sequences (nginx -t parses the rest), or a reason. */
export function crlBundle(text: string): { pem: string } | { reason: string } {
  const blocks = [...text.matchAll(PEM_CRL_RE)];
  if (blocks.length === 0) return { reason: 'holds no PEM X509 CRL' };
  const out: string[] = [];
  for (const [i, m] of blocks.entries()) {
    const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    if (der.length < 16 || der[0] !== 0x30) return { reason: `CRL ${i + 1} is not a DER sequence` };
    const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
    out.push(`-----BEGIN X509 CRL-----\n${b64}-----END X509 CRL-----\n`);
  }
  return { pem: out.join('') };
}

function secretData(input: AnnotationInput, namespace: string, name: string): Record<string, string> | undefined {
  const secret = input.snapshot.secrets.get(`${namespace}/${name}`);
  if (!secret) return undefined;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v ?? '', 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
  return data;
}

function parseVerifyClient(input: AnnotationInput): VerifyClient {
  const raw = input.get('auth-tls-verify-client');
  if (raw === undefined) return DEFAULT_VERIFY_CLIENT;
  const v = raw.trim() as VerifyClient;
  if (VERIFY_CLIENT_VALUES.includes(v)) return v;
  // ingress-nginx uses "on" for a value it does not know: the strictest, so no door opens.
  fallBack(input, 'auth-tls-verify-client', raw, 'must be on, off, optional or optional_no_ca', '"on"');
  return DEFAULT_VERIFY_CLIENT;
}

function parseVerifyDepth(input: AnnotationInput): number {
  const raw = input.get('auth-tls-verify-depth');
  if (raw === undefined) return DEFAULT_VERIFY_DEPTH;
  const v = raw.trim();
  if (/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_VERIFY_DEPTH) return Number(v);
  // ingress-nginx: not a number, or 0, gives the default 1.
  fallBack(input, 'auth-tls-verify-depth', raw, `must be a whole number from 1 to ${MAX_VERIFY_DEPTH}`, String(DEFAULT_VERIFY_DEPTH));
  return DEFAULT_VERIFY_DEPTH;
}

function parseErrorPage(input: AnnotationInput): string | undefined {
  const raw = input.get('auth-tls-error-page');
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim();
  if (v.length <= 2048 && ERROR_PAGE_RE.test(v) && !v.includes('..')) return v;
  // ingress-nginx leaves out an error page it refuses: a failed check answers 400.
  return fallBack(input, 'auth-tls-error-page', raw, 'must be an http(s) URL or a path', 'the 400 answer');
}

function parsePassCertificate(input: AnnotationInput): boolean {
  const raw = input.get('auth-tls-pass-certificate-to-upstream');
  if (raw === undefined) return false;
  const b = parseBool(raw);
  if (b !== undefined) return b;
  fallBack(input, 'auth-tls-pass-certificate-to-upstream', raw, 'must be "true" or "false"', 'false');
  return false;
}

export const authTlsFeature: Feature<AuthTlsAnnotation> = {
  name: 'auth-tls',
  keys: KEYS,
  serverKeys: (v) => (v.enabled ? ['auth-tls-secret'] : []),
  parse(input) {
    const secretRaw = input.get('auth-tls-secret');
    if (secretRaw === undefined || secretRaw.trim() === '') {
      const others = KEYS.filter((k) => k !== 'auth-tls-secret' && input.get(k) !== undefined);
      // ingress-nginx reads none of the others without the Secret: they ask for nothing there either.
      if (others.length > 0) input.warn(`${others.join(', ')}: ignored without auth-tls-secret, as in ingress-nginx`);
      return OFF;
    }
    const parts = secretRaw.trim().split('/');
    if (parts.length !== 2) throw new AnnotationError('auth-tls-secret', 'must be NAMESPACE/NAME');
    const [namespace, name] = parts as [string, string];
    const bad = checkNamespace(namespace) ?? checkObjectName(name);
    if (bad) throw new AnnotationError('auth-tls-secret', `${JSON.stringify(secretRaw)}: ${bad}`);
    const secret = `${namespace}/${name}`;
    // A CA that cannot be used rejects the Ingress: served without it, its paths would take any client.
    const data = secretData(input, namespace, name);
    if (!data) throw new AnnotationError('auth-tls-secret', `Secret ${secret} not found; the Ingress is not served without its client-certificate check`);
    const caText = data['ca.crt'];
    if (caText === undefined) throw new AnnotationError('auth-tls-secret', `Secret ${secret} has no "ca.crt" key`);
    const ca = caBundle(caText);
    if ('reason' in ca) throw new AnnotationError('auth-tls-secret', `"ca.crt" of Secret ${secret} ${ca.reason}`);
    let crl: { pem: string } | undefined;
    const crlText = data['ca.crl'];
    if (crlText !== undefined) {
      const parsed = crlBundle(crlText);
      if ('reason' in parsed) throw new AnnotationError('auth-tls-secret', `"ca.crl" of Secret ${secret} ${parsed.reason}`);
      crl = parsed;
    }
    const matchRaw = input.get('auth-tls-match-cn');
    let matchCn: string | undefined;
    if (matchRaw !== undefined && matchRaw.trim() !== '') {
      // ingress-nginx drops a pattern it refuses and serves every certificate; Portico rejects instead.
      const reason = checkMatchCn(matchRaw.trim());
      if (reason) throw new AnnotationError('auth-tls-match-cn', reason);
      matchCn = matchRaw.trim();
    }
    const verifyClient = parseVerifyClient(input);
    const verifyDepth = parseVerifyDepth(input);
    const errorPage = parseErrorPage(input);
    const passCertificate = parsePassCertificate(input);
    // Named after the Secret (validated DNS names), with a digest of the content: a changed CA is a new file.
    const stem = objectFileStem(namespace, name);
    const stateDir = input.options.stateDir.replace(/\/+$/, '');
    const caPath = contentAddressedPath('certs', stem, 'ca.pem', ca.pem);
    input.addFile({ path: caPath, content: ca.pem, mode: 0o600 });
    let crlFile: string | undefined;
    if (crl) {
      const crlPath = contentAddressedPath('certs', stem, 'crl.pem', crl.pem);
      input.addFile({ path: crlPath, content: crl.pem, mode: 0o600 });
      crlFile = `${stateDir}/${crlPath}`;
    }
    return { enabled: true, secret, caFile: `${stateDir}/${caPath}`, crlFile, verifyClient, verifyDepth, errorPage, passCertificate, matchCn };
  },
  hooks: {
    finish(ctx) {
      const age = new Map(ctx.ageOrder.map((r, i) => [refString(r), i]));
      const prefix = ctx.options.annotationsPrefix;
      for (const server of ctx.servers) {
        if (server.isDefault) continue;
        const owner = ctx.hostOwner(server.host);
        // Another namespace's auth-tls-secret on an owned host is rejected as a server-level key (model/hosts.ts).
        const askers = server.ingressAnnotations
          .filter((i) => i.annotations.authTls.enabled && (owner === undefined || i.ingress.namespace === owner))
          .sort((a, b) => (age.get(refString(a.ingress)) ?? 0) - (age.get(refString(b.ingress)) ?? 0));
        const winner = askers[0];
        if (!winner) continue;
        const auth: ClientCertificateAuth = { ...winner.annotations.authTls, from: winner.ingress };
        server.clientCertificate = auth;
        // nginx applies the verification of the server the client's SNI names only when that server has an
        // SSL context of its own: a host without its own certificate loads the default one.
        if (!server.tls) server.tls = ctx.model.defaultCertificate;
        for (const other of askers.slice(1)) {
          if (sameAuth(other.annotations.authTls, auth)) continue;
          const reason =
            `host ${JSON.stringify(server.host)} already has client-certificate authentication from the older Ingress ${refString(winner.ingress)} ` +
            `(nginx verifies one CA per host); this Ingress's paths on that host answer 503 rather than being served with another check`;
          ctx.model.rejections.push({ ingress: other.ingress, field: `metadata.annotations[${prefix}/auth-tls-secret]`, reason, whole: false });
          closePaths(server, other.ingress);
        }
        for (const loc of server.locations) loc.clientCertificate = auth;
      }
    },
    setsProxyHeader: (location) => location.clientCertificate !== undefined,
  },
};

function sameAuth(a: AuthTlsAnnotation, b: AuthTlsAnnotation): boolean {
  const fields: Array<keyof AuthTlsAnnotation> = ['caFile', 'crlFile', 'verifyClient', 'verifyDepth', 'errorPage', 'passCertificate', 'matchCn'];
  return fields.every((f) => a[f] === b[f]);
}

function closePaths(server: Server, ingress: IngressRef): void {
  const closed: Backend = { kind: 'unavailable', status: 503, reason: 'auth-tls: an older Ingress sets another client-certificate check for this host' };
  for (const loc of server.locations) if (refString(loc.ingress) === refString(ingress)) loc.backend = closed;
}
