import { createSecureContext } from 'node:tls';
import { parseBool, parseSeconds } from './validate.js';

/**
 * Global settings from the controller's ConfigMap, with ingress-nginx's key names and defaults: the core
 * keys below, and each feature's own keys under its field (FeatureGlobals; features/registry.ts parses both).
 * An invalid value is reported as a warning and the default stays: a typo in the ConfigMap must not take
 * every Ingress down.
 */
export type GlobalConfig = CoreConfig & FeatureGlobals;

/**
 * Each feature's typed ConfigMap values, under its registry field. Empty here: every feature with global
 * keys adds its field by declaration merging (`declare module '../model/config.js'`), so the model has their
 * types without importing a feature.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface FeatureGlobals {}

/** The ConfigMap keys of nginx itself, TLS and upstreams, which no feature owns. */
export interface CoreConfig {
  workerProcesses: string;
  maxWorkerConnections: number;
  keepAliveSeconds: number;
  /** keep-alive-requests: requests one client connection may carry (ingress-nginx's default 1000). */
  keepAliveRequests: number;
  serverTokens: boolean;
  /** ingress-nginx's disable-ipv6: no listen on [::] even where the machine has IPv6. */
  disableIpv6: boolean;
  httpRedirectCode: number;
  hsts: boolean;
  hstsMaxAge: number;
  hstsIncludeSubdomains: boolean;
  /** hsts-preload: "; preload" in Strict-Transport-Security (ingress-nginx's default: false). */
  hstsPreload: boolean;
  sslProtocols: string[];
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults). */
  sslCiphers: string;
  upstreamKeepaliveConnections: number;
  upstreamKeepaliveTimeoutSeconds: number;
  /** upstream-keepalive-time: how long one upstream keepalive connection may be used, an nginx time (ingress-nginx's default 1h). */
  upstreamKeepaliveTime: string;
  /** upstream-keepalive-requests: requests one upstream keepalive connection may carry (ingress-nginx's default 10000). */
  upstreamKeepaliveRequests: number;
  /** load-balance: the method of upstreams whose Ingress does not choose one (the annotation: features/load-balance.ts). */
  loadBalance: Exclude<LoadBalanceMethod, 'hash'>;
}

export const DEFAULT_CORE_CONFIG: CoreConfig = {
  workerProcesses: 'auto',
  maxWorkerConnections: 16384,
  keepAliveSeconds: 75,
  keepAliveRequests: 1000,
  serverTokens: false,
  disableIpv6: false,
  httpRedirectCode: 308,
  hsts: true,
  hstsMaxAge: 31536000,
  hstsIncludeSubdomains: true,
  hstsPreload: false,
  sslProtocols: ['TLSv1.2', 'TLSv1.3'],
  // ingress-nginx's default list: forward-secret AEAD suites only.
  sslCiphers:
    'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384',
  upstreamKeepaliveConnections: 320,
  upstreamKeepaliveTimeoutSeconds: 60,
  upstreamKeepaliveRequests: 10000,
  upstreamKeepaliveTime: '1h',
  loadBalance: 'round_robin',
};

export interface ConfigIssue {
  key: string;
  reason: string;
}

type Setter = (cfg: CoreConfig, value: string) => string | undefined;

function intSetter(field: keyof CoreConfig, min: number, max: number): Setter {
  return (cfg, value) => {
    if (!/^\d+$/.test(value.trim())) return 'must be a whole number';
    const n = Number(value.trim());
    if (n < min || n > max) return `must be from ${min} to ${max}`;
    (cfg as unknown as Record<string, unknown>)[field] = n;
    return undefined;
  };
}

function boolSetter(field: keyof CoreConfig): Setter {
  return (cfg, value) => {
    const b = parseBool(value);
    if (b === undefined) return 'must be "true" or "false"';
    (cfg as unknown as Record<string, unknown>)[field] = b;
    return undefined;
  };
}

/** The core keys' parsers: each sets its field or returns the reason the value is refused. */
export const CORE_KEYS: Readonly<Record<string, Setter>> = {
  'worker-processes': (cfg, value) => {
    const v = value.trim();
    if (v !== 'auto' && !/^[1-9]\d{0,2}$/.test(v)) return 'must be "auto" or a number from 1 to 999';
    cfg.workerProcesses = v;
    return undefined;
  },
  'max-worker-connections': intSetter('maxWorkerConnections', 64, 1048576),
  'keep-alive': (cfg, value) => {
    const s = parseSeconds(value);
    if (s === undefined) return 'must be a number of seconds';
    cfg.keepAliveSeconds = s;
    return undefined;
  },
  'keep-alive-requests': intSetter('keepAliveRequests', 1, 100_000_000),
  'server-tokens': boolSetter('serverTokens'),
  'disable-ipv6': boolSetter('disableIpv6'),
  'http-redirect-code': (cfg, value) => {
    const n = Number(value.trim());
    if (![301, 302, 307, 308].includes(n)) return 'must be 301, 302, 307 or 308';
    cfg.httpRedirectCode = n;
    return undefined;
  },
  hsts: boolSetter('hsts'),
  'hsts-max-age': intSetter('hstsMaxAge', 0, 2 ** 31 - 1),
  'hsts-include-subdomains': boolSetter('hstsIncludeSubdomains'),
  'hsts-preload': boolSetter('hstsPreload'),
  'ssl-protocols': (cfg, value) => {
    const parts = value.trim().split(/\s+/);
    if (parts.length === 0 || !parts.every((p) => ['TLSv1.2', 'TLSv1.3'].includes(p))) {
      return 'must list TLSv1.2 and/or TLSv1.3 (older protocols are not offered)';
    }
    cfg.sslProtocols = parts;
    return undefined;
  },
  'ssl-ciphers': (cfg, value) => {
    const v = value.trim();
    if (!/^[A-Za-z0-9+!@=_.-]+(:[A-Za-z0-9+!@=_.-]+)*$/.test(v) || v.length > 2048) {
      return 'must be an OpenSSL cipher list: names of letters, digits, "-", "_", "+", "!", "@", "=" and "." separated by ":"';
    }
    const refused = cipherListRefusal(v);
    if (refused) return refused;
    cfg.sslCiphers = v;
    return undefined;
  },
  'upstream-keepalive-connections': intSetter('upstreamKeepaliveConnections', 0, 100000),
  'upstream-keepalive-timeout': (cfg, value) => {
    const s = parseSeconds(value);
    if (s === undefined) return 'must be a number of seconds';
    cfg.upstreamKeepaliveTimeoutSeconds = s;
    return undefined;
  },
  'upstream-keepalive-time': (cfg, value) => {
    // An nginx time: a whole number with one unit (nginx -t refuses 0, "1h30m" is not taken here).
    const v = value.trim();
    if (!/^[1-9]\d{0,6}(ms|s|m|h|d)?$/.test(v)) return 'must be an nginx time such as 75s, 10m or 1h';
    cfg.upstreamKeepaliveTime = v;
    return undefined;
  },
  'upstream-keepalive-requests': intSetter('upstreamKeepaliveRequests', 1, 100_000_000),
  'load-balance': (cfg, value) => {
    const parsed = parseLoadBalanceMethod(value);
    if (parsed.reason) return parsed.reason;
    cfg.loadBalance = parsed.method!;
    return undefined;
  },
};

/**
 * nginx's ssl_ciphers is OpenSSL's SSL_CTX_set_cipher_list, which fails (and nginx -t with it) when the
 * list matches no cipher at all: a typo in every name, or TLS 1.3 suites only (those are set apart, by
 * SSL_CTX_set_ciphersuites, and ignored here). Checked with node:tls, which calls the same function in
 * process: no `openssl` binary is needed in the image, nothing is spawned at every sync, and Node 20's
 * OpenSSL (3.0) parses cipher strings as the OpenSSL 3.0 of nginx's packages does. Where the two ever
 * differ, the sync's bisection of ConfigMap keys (controller/config-keys.ts) still finds the key.
 */
function cipherListRefusal(list: string): string | undefined {
  const known = cipherVerdicts.get(list);
  if (known !== undefined || cipherVerdicts.has(list)) return known;
  const tls12 = list.split(':').filter((name) => !name.startsWith('TLS_')).join(':');
  let verdict: string | undefined;
  if (tls12 === '') {
    verdict = 'lists TLS 1.3 suites only, and nginx needs at least one TLS 1.2 cipher here (TLS 1.3 suites are always OpenSSL\'s defaults)';
  } else {
    try {
      createSecureContext({ ciphers: tls12 });
    } catch (err) {
      verdict = `OpenSSL matches no cipher in this list, so nginx would refuse it (${(err as Error).message.replace(/^error:[0-9A-F]+:/, '')})`;
    }
  }
  // A ConfigMap holds one list; the cache only spares the repeated checks of the same one (0.4 ms each).
  if (cipherVerdicts.size > 64) cipherVerdicts.clear();
  cipherVerdicts.set(list, verdict);
  return verdict;
}
const cipherVerdicts = new Map<string, string | undefined>();

/** How an upstream picks an endpoint (nginx's balancers; `hash` only from upstream-hash-by or cookie affinity). */
export type LoadBalanceMethod = 'round_robin' | 'least_conn' | 'ip_hash' | 'random' | 'hash';

/** What open-source nginx offers under ingress-nginx's key. `ewma` needs ingress-nginx's Lua balancer. */
const METHODS: Record<string, Exclude<LoadBalanceMethod, 'hash'>> = {
  round_robin: 'round_robin',
  least_conn: 'least_conn',
  ip_hash: 'ip_hash',
  random: 'random',
};

export const EWMA_REASON = 'ewma needs the Lua balancer of ingress-nginx, which open-source nginx does not have; use least_conn (fewest active connections), round_robin, ip_hash or random';

export function parseLoadBalanceMethod(value: string): { method?: Exclude<LoadBalanceMethod, 'hash'>; reason?: string } {
  const v = value.trim();
  if (v === 'ewma') return { reason: EWMA_REASON };
  const method = METHODS[v];
  if (!method) return { reason: 'must be round_robin, least_conn, ip_hash or random' };
  return { method };
}
