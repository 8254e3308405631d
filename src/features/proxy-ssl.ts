import { contentAddressedPath } from '../model/state-files.js';
import { checkCaBundle, checkPair } from '../model/tls.js';
import { checkHost, checkNamespace, checkObjectName, objectFileStem } from '../model/validate.js';
import { AnnotationError, boolGlobal, fallBack, globalsByKey, type AnnotationInput, type Feature, type FinishContext } from './feature.js';
import { createHash } from 'node:crypto';
import { refString, type Location, type Server, type Upstream } from '../model/types.js';

/**
 * Backend TLS (ingress-nginx's proxy-ssl-* keys): with `proxy-ssl-secret` (NAMESPACE/NAME, keys ca.crt,
 * tls.crt, tls.key) nginx presents the Secret's certificate to an HTTPS or GRPCS backend that asks for one,
 * and with `proxy-ssl-verify: on` accepts only a backend certificate that chains to its ca.crt (else 502).
 * As in ingress-nginx, the other keys mean nothing without the Secret (its parser returns before reading them).
 *
 * Fail closed where ingress-nginx would fail open: a Secret that is missing, in another namespace or
 * unusable rejects the Ingress naming the Secret (ingress-nginx denies the location); so does verify on
 * without ca.crt (ingress-nginx then writes no verification at all) and a verify value other than on/off
 * (ingress-nginx quietly uses off).
 */
export interface ProxySslAnnotation {
  /** Absolute paths of the state files, when proxy-ssl-secret is set. */
  trustedCertificate: string | undefined;
  /** The Secret's tls.crt chain and tls.key in one PEM file (nginx reads both from it). */
  clientCertificate: string | undefined;
  verify: boolean;
  verifyDepth: number;
  /** OpenSSL cipher list, from CIPHERS_RE. */
  ciphers: string;
  /** TLSv1.2 and/or TLSv1.3, sorted and space-separated. */
  protocols: string;
  /** proxy-ssl-name: the name verified and (with serverName) sent as SNI. */
  name: string | undefined;
  /** proxy-ssl-server-name: SNI on (ingress-nginx's default with the Secret: off). */
  serverName: boolean;
  /** The Secret, for comments in nginx.conf. */
  secret: string | undefined;
}

// ingress-nginx's defaults (internal/ingress/annotations/proxyssl/main.go).
const DEFAULT_CIPHERS = 'DEFAULT';
const DEFAULT_PROTOCOLS = 'TLSv1.2';
const DEFAULT_VERIFY_DEPTH = 1;

/** ingress-nginx's cipher allowlist: OpenSSL cipher-string characters. */
const CIPHERS_RE = /^[A-Za-z0-9+:_\-!]{1,1024}$/;
/** ingress-nginx's protocol allowlist (TLSv1.2, TLSv1.3 and spaces). */
const PROTOCOLS_RE = /^(TLSv1\.2|TLSv1\.3| )*$/;

const OFF: ProxySslAnnotation = {
  trustedCertificate: undefined,
  clientCertificate: undefined,
  verify: false,
  verifyDepth: DEFAULT_VERIFY_DEPTH,
  ciphers: DEFAULT_CIPHERS,
  protocols: DEFAULT_PROTOCOLS,
  name: undefined,
  serverName: false,
  secret: undefined,
};

const KEYS = ['proxy-ssl-secret', 'proxy-ssl-verify', 'proxy-ssl-verify-depth', 'proxy-ssl-name', 'proxy-ssl-server-name', 'proxy-ssl-protocols', 'proxy-ssl-ciphers'] as const;

/** What templates/features/proxy-ssl/location.hbs writes for one location. */
export interface ProxySslDirectives extends ProxySslAnnotation {
  /** proxy_ssl_* for HTTPS (and HTTP, where they do nothing, as in ingress-nginx), grpc_ssl_* for GRPC(S). */
  module: 'proxy' | 'grpc';
  protocol: string;
  protocolList: string[];
  /** The upstream-name suffix of these settings (poolSuffix). */
  pool: string;
}

export interface ProxySslGlobals {
  /**
   * proxy-ssl-location-only (ConfigMap, default false): false also applies the host's first proxy-ssl Secret
   * with a ca.crt to every other location of the host (ingress-nginx writes it into the server block, which
   * its locations inherit); true keeps it to the Ingress's own locations.
   */
  locationOnly: boolean;
}

declare module '../model/config.js' {
  interface FeatureGlobals {
    proxySsl: ProxySslGlobals;
  }
}

declare module '../model/types.js' {
  interface FeatureValues {
    proxySsl: ProxySslAnnotation;
  }
  interface Location {
    /** Set by features/proxy-ssl.ts for a location whose Ingress has proxy-ssl-secret. */
    proxySsl?: ProxySslDirectives;
  }
}

function decode(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** `NAMESPACE/NAME` in the Ingress's own namespace (ingress-nginx refuses other namespaces by default). */
function secretRef(value: string, namespace: string): { namespace: string; name: string } {
  const parts = value.trim().split('/');
  if (parts.length !== 2) throw new AnnotationError('proxy-ssl-secret', `${JSON.stringify(value)}: must be NAMESPACE/NAME`);
  const [ns, name] = parts as [string, string];
  const reason = checkNamespace(ns) ?? checkObjectName(name);
  if (reason) throw new AnnotationError('proxy-ssl-secret', `${JSON.stringify(value)}: ${reason}`);
  if (ns !== namespace) throw new AnnotationError('proxy-ssl-secret', `Secret ${ns}/${name} is not in the Ingress's namespace ${namespace}; cross-namespace Secrets are not supported, as in ingress-nginx`);
  return { namespace: ns, name };
}

function onOff(input: AnnotationInput, key: string): boolean | undefined {
  const raw = input.get(key);
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (v === 'on') return true;
  if (v === 'off') return false;
  return undefined;
}

function parseVerify(input: AnnotationInput): boolean {
  const raw = input.get('proxy-ssl-verify');
  const v = onOff(input, 'proxy-ssl-verify');
  // ingress-nginx turns an unknown value into "off": a typo ("true") would serve an unverified backend.
  if (raw !== undefined && v === undefined) throw new AnnotationError('proxy-ssl-verify', 'must be "on" or "off"');
  return v ?? false;
}

function parseServerName(input: AnnotationInput): boolean {
  const raw = input.get('proxy-ssl-server-name');
  const v = onOff(input, 'proxy-ssl-server-name');
  if (raw !== undefined && v === undefined) fallBack(input, 'proxy-ssl-server-name', raw, 'must be "on" or "off"', '"off"');
  return v ?? false;
}

function parseVerifyDepth(input: AnnotationInput): number {
  const raw = input.get('proxy-ssl-verify-depth');
  if (raw === undefined) return DEFAULT_VERIFY_DEPTH;
  const v = raw.trim();
  // OpenSSL's own limit is 100; ingress-nginx reads 0 as its default, 1.
  if (!/^\d{1,3}$/.test(v) || Number(v) > 100) {
    fallBack(input, 'proxy-ssl-verify-depth', raw, 'must be a whole number from 0 to 100', String(DEFAULT_VERIFY_DEPTH));
    return DEFAULT_VERIFY_DEPTH;
  }
  return Number(v) === 0 ? DEFAULT_VERIFY_DEPTH : Number(v);
}

function parseCiphers(input: AnnotationInput): string {
  const raw = input.get('proxy-ssl-ciphers');
  if (raw === undefined) return DEFAULT_CIPHERS;
  const v = raw.trim();
  if (CIPHERS_RE.test(v)) return v;
  fallBack(input, 'proxy-ssl-ciphers', raw, 'must be an OpenSSL cipher list (letters, digits and +:_-!)', DEFAULT_CIPHERS);
  return DEFAULT_CIPHERS;
}

function parseProtocols(input: AnnotationInput): string {
  const raw = input.get('proxy-ssl-protocols');
  if (raw === undefined) return DEFAULT_PROTOCOLS;
  if (!PROTOCOLS_RE.test(raw) || raw.trim() === '') {
    fallBack(input, 'proxy-ssl-protocols', raw, 'must list TLSv1.2 and/or TLSv1.3', DEFAULT_PROTOCOLS, /^[A-Za-z0-9. ]*$/);
    return DEFAULT_PROTOCOLS;
  }
  return [...new Set(raw.split(' ').filter((p) => p !== ''))].sort().join(' ');
}

function parseName(input: AnnotationInput): string | undefined {
  const raw = input.get('proxy-ssl-name');
  if (raw === undefined) return undefined;
  const v = raw.trim().toLowerCase();
  const reason = v.startsWith('*.') ? 'must not be a wildcard' : checkHost(v);
  if (!reason) return v;
  fallBack(input, 'proxy-ssl-name', raw, `must be a DNS name (${reason})`, 'no name');
  return undefined;
}

/** The directives of `value` for one location, in the module of its backend's protocol. */
function applyTo(location: Location, value: ProxySslAnnotation): void {
  const { backend } = location;
  if (backend.kind !== 'upstream' || value.secret === undefined || backend.protocol === 'FCGI') return;
  const module = backend.protocol === 'GRPC' || backend.protocol === 'GRPCS' ? 'grpc' : 'proxy';
  location.proxySsl = { ...value, module, protocol: backend.protocol, protocolList: value.protocols.split(' '), pool: poolSuffix(value) };
}

/**
 * The connection pool of one set of backend TLS settings: "-tls" and a digest of them (files, verification,
 * name, SNI, ciphers, protocols). 8 hex digits: only the sets of one Service's Ingresses have to differ.
 */
function poolSuffix(value: ProxySslAnnotation): string {
  const digest = createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
  return `-tls${digest}`;
}

/**
 * proxy-ssl-location-only false: the host's value (its oldest Ingress's, when that has a ca.crt) reaches the
 * host's other locations of the same namespace, as ingress-nginx's server-level directives do; the SNI
 * settings only when it sets proxy-ssl-name, as there. Never across namespaces: one tenant's client
 * certificate is not presented to another tenant's backend. Each such location moves to a copy of its
 * upstream named for those settings, so it never reuses a connection opened without them. A canary's
 * location is left alone (its upstream is chosen per request by a map that names the upstreams).
 */
function inheritFromServer(server: Server, upstreams: Upstream[]): void {
  const value = server.serverAnnotations?.proxySsl;
  if (!value?.trustedCertificate || value.secret === undefined) return;
  const namespace = value.secret.split('/')[0];
  for (const location of server.locations) {
    const backend = location.backend;
    if (location.proxySsl || location.canary || location.ingress.namespace !== namespace) continue;
    if (backend.kind !== 'upstream' || backend.upstreamVariable !== undefined || backend.protocol === 'FCGI') continue;
    const name = `${backend.upstream}${poolSuffix(value)}`;
    const original = upstreams.find((u) => u.name === backend.upstream);
    if (!original) continue;
    if (!upstreams.some((u) => u.name === name)) upstreams.push({ ...original, name });
    location.backend = { ...backend, upstream: name, ...(value.name !== undefined ? { sslName: value.name, sslServerName: value.serverName } : {}) };
    applyTo(location, value);
  }
}

/**
 * A canary's requests go through its main Ingress's location, so the main's TLS settings carry them (as in
 * ingress-nginx, which ignores a canary's proxy-ssl-*). A canary that asks for other settings would be
 * served without them: its path is rejected instead (the main serves it alone). Otherwise the canary's
 * upstream moves to the pool of the location's settings, as in inheritFromServer. Runs before the traffic
 * feature's finish hook builds the canary maps from these upstream names.
 */
function settleCanaries(server: Server, ctx: Pick<FinishContext, 'model' | 'options'>): void {
  for (const location of server.locations) {
    const canary = location.canary;
    if (!canary) continue;
    const own = canary.annotations.proxySsl;
    const pool = location.proxySsl?.pool;
    if (own.secret !== undefined && poolSuffix(own) !== pool) {
      ctx.model.rejections.push({
        ingress: canary.ingress,
        field: `metadata.annotations[${ctx.options.annotationsPrefix}/proxy-ssl-secret]`,
        reason: `canary: its proxy-ssl-* settings differ from those of the main Ingress ${refString(location.ingress)} of path ${JSON.stringify(location.ingressPath)}, whose location carries the canary's requests; set the same on both`,
        whole: false,
      });
      location.canary = undefined;
      continue;
    }
    const backend = canary.backend;
    if (pool === undefined || backend.kind !== 'upstream' || backend.upstream.endsWith(pool)) continue;
    const original = ctx.model.upstreams.find((u) => u.name === backend.upstream);
    if (!original) continue;
    const name = `${backend.upstream}${pool}`;
    if (!ctx.model.upstreams.some((u) => u.name === name)) ctx.model.upstreams.push({ ...original, name });
    location.canary = { ...canary, backend: { ...backend, upstream: name } };
  }
}

export const proxySslFeature: Feature<ProxySslAnnotation, ProxySslGlobals> = {
  name: 'proxy-ssl',
  keys: KEYS,
  globals: globalsByKey<ProxySslGlobals>({ locationOnly: false }, { 'proxy-ssl-location-only': boolGlobal('locationOnly') }),
  hooks: {
    backend(b, { annotations: { proxySsl } }) {
      if (b.kind !== 'upstream' || proxySsl.secret === undefined) return b;
      // The name verified (and sent as SNI when server-name is on): proxy-ssl-name, else what the backend
      // already had (upstream-vhost, else the request's host).
      return { ...b, sslName: proxySsl.name ?? b.sslName, sslServerName: proxySsl.serverName };
    },
    location(location) {
      applyTo(location, location.annotations.proxySsl);
    },
    connectionPool: (values) => (values.proxySsl.secret === undefined ? undefined : poolSuffix(values.proxySsl)),
    finish({ model, servers, config, options }) {
      for (const server of servers) {
        if (!config.proxySsl.locationOnly) inheritFromServer(server, model.upstreams);
        settleCanaries(server, { model, options });
      }
      model.upstreams.sort((a, b) => a.name.localeCompare(b.name));
    },
  },
  parse(input) {
    const secretRaw = input.get('proxy-ssl-secret');
    if (secretRaw === undefined) {
      const stray = KEYS.filter((k) => k !== 'proxy-ssl-secret' && input.get(k) !== undefined);
      if (stray.length > 0) input.warn(`${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} ignored without proxy-ssl-secret, as in ingress-nginx`);
      return OFF;
    }
    const ref = secretRef(secretRaw, input.ref.namespace);
    const named = `Secret ${ref.namespace}/${ref.name}`;
    const refuse = (why: string): never => {
      throw new AnnotationError('proxy-ssl-secret', `${named}: ${why}; the Ingress is not served rather than served without its backend TLS`);
    };
    const secret = input.snapshot.secrets.get(`${ref.namespace}/${ref.name}`);
    if (!secret) refuse('not found');
    const read = (key: string) => secret!.stringData?.[key] ?? decode(secret!.data?.[key]);
    const ca = read('ca.crt');
    const cert = read('tls.crt');
    const key = read('tls.key');
    const verify = parseVerify(input);
    if (!ca && !cert && !key) refuse('holds neither ca.crt nor tls.crt and tls.key');
    if (verify && !ca) refuse('has no ca.crt, which proxy-ssl-verify "on" needs');
    if (Boolean(cert) !== Boolean(key)) refuse(cert ? 'has tls.crt but no tls.key' : 'has tls.key but no tls.crt');
    const stateDir = input.options.stateDir.replace(/\/+$/, '');
    const stem = objectFileStem(ref.namespace, ref.name);
    let trustedCertificate: string | undefined;
    if (ca) {
      const checked = checkCaBundle(ca);
      if (!checked.ok) return refuse(checked.problem);
      const path = contentAddressedPath('certs', `${stem}.proxy-ca`, 'pem', checked.pem);
      input.addFile({ path, content: checked.pem, mode: 0o600 });
      trustedCertificate = `${stateDir}/${path}`;
    }
    let clientCertificate: string | undefined;
    if (cert && key) {
      const checked = checkPair(secret!, cert, key);
      if (!checked.ok) return refuse(checked.problem);
      const path = contentAddressedPath('certs', `${stem}.proxy-client`, 'pem', checked.pem);
      input.addFile({ path, content: checked.pem, mode: 0o600 });
      clientCertificate = `${stateDir}/${path}`;
    }
    return {
      trustedCertificate,
      clientCertificate,
      verify,
      verifyDepth: parseVerifyDepth(input),
      ciphers: parseCiphers(input),
      protocols: parseProtocols(input),
      name: parseName(input),
      serverName: parseServerName(input),
      secret: `${ref.namespace}/${ref.name}`,
    };
  },
};
