import { isIP } from 'node:net';
import { checkHeaderName, checkVariableText, parseBool } from '../model/validate.js';
import { globalsByKey, type Feature } from './feature.js';

/**
 * Global ConfigMap keys about the client's address and the access log, with ingress-nginx's meaning:
 * real_ip from a trusted X-Forwarded-For (or another header) or from the PROXY protocol, the
 * X-Forwarded-For sent upstream, and the access log format.
 */
export interface ForwardingConfig {
  /** use-forwarded-headers: trust the client address in forwarded-for-header from proxy-real-ip-cidr. */
  useForwardedHeaders: boolean;
  /** forwarded-for-header: the header real_ip reads (default X-Forwarded-For). */
  forwardedForHeader: string;
  /** compute-full-forwarded-for: append the peer to the incoming X-Forwarded-For instead of replacing it. */
  computeFullForwardedFor: boolean;
  /** proxy-real-ip-cidr: the addresses trusted to tell the client address (default 0.0.0.0/0, as ingress-nginx). */
  proxyRealIpCidr: string[];
  /** enable-real-ip: the client address from forwarded-for-header, without the rest of use-forwarded-headers. */
  enableRealIp: boolean;
  /** use-proxy-protocol: every listener expects a PROXY protocol (v1/v2) header; the client address comes from it. */
  useProxyProtocol: boolean;
  /** log-format-upstream: the access log format; undefined keeps nginx's `combined`. */
  logFormatUpstream: string | undefined;
  /** log-format-escape-json / log-format-escape-none: nginx's `escape=` of the access log (none wins, as in ingress-nginx). */
  logFormatEscapeJson: boolean;
  logFormatEscapeNone: boolean;
}

const DEFAULT_FORWARDING: ForwardingConfig = {
  useForwardedHeaders: false,
  forwardedForHeader: 'X-Forwarded-For',
  computeFullForwardedFor: false,
  proxyRealIpCidr: ['0.0.0.0/0'],
  enableRealIp: false,
  useProxyProtocol: false,
  logFormatUpstream: undefined,
  logFormatEscapeJson: false,
  logFormatEscapeNone: false,
};

export function checkCidr(value: string): string | undefined {
  const [addr, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || !addr) return `${JSON.stringify(value)} is not an address or CIDR`;
  const family = isIP(addr);
  if (family === 0) return `${JSON.stringify(value)} is not an IPv4 or IPv6 address`;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return `${JSON.stringify(value)} has an invalid prefix length`;
  }
  return undefined;
}

/** Variables a log line may hold: request, response, timing, upstream, TLS and client address facts. */
const LOG_VARIABLES = new Set([
  'remote_addr', 'remote_port', 'remote_user', 'realip_remote_addr', 'realip_remote_port', 'proxy_protocol_addr', 'proxy_protocol_port',
  'binary_remote_addr', 'time_local', 'time_iso8601', 'msec', 'request', 'request_method', 'request_uri', 'uri', 'args', 'query_string',
  'server_protocol', 'scheme', 'host', 'server_name', 'server_addr', 'server_port', 'status', 'body_bytes_sent', 'bytes_sent',
  'request_length', 'request_time', 'request_id', 'connection', 'connection_requests', 'pipe', 'gzip_ratio',
  'upstream_addr', 'upstream_status', 'upstream_response_time', 'upstream_connect_time', 'upstream_header_time',
  'upstream_response_length', 'upstream_bytes_received', 'upstream_bytes_sent', 'upstream_cache_status',
  'ssl_protocol', 'ssl_cipher', 'ssl_server_name', 'ssl_session_reused', 'http_referer', 'http_user_agent', 'http_x_forwarded_for',
  'proxy_add_x_forwarded_for',
]);
const LOG_FAMILIES_RE = /^(http_[a-z0-9_]{1,64}|sent_http_[a-z0-9_]{1,64}|upstream_http_[a-z0-9_]{1,64})$/;
/** ingress-nginx's Lua-set variables that do not exist here. */
const INGRESS_NGINX_ONLY: Record<string, string> = {
  req_id: 'use $request_id',
  the_real_ip: 'use $remote_addr (the client address after real_ip)',
  proxy_upstream_name: 'not available in Portico',
  proxy_alternative_upstream_name: 'not available in Portico',
  namespace: 'not available in Portico',
  ingress_name: 'not available in Portico',
  service_name: 'not available in Portico',
  service_port: 'not available in Portico',
};
/** Printable ASCII except backslash (no escapes) and `$` outside a variable. Control characters never. */
const LOG_TEXT_RE = /^[\x20-\x23\x25-\x5b\x5d-\x7e]*$/;

export function checkLogFormat(value: string): string | undefined {
  if (value.trim() === '') return 'must not be empty';
  if (value.length > 4096) return 'longer than 4096 characters';
  for (const m of value.matchAll(/\$\{?([A-Za-z0-9_]+)/g)) {
    const hint = INGRESS_NGINX_ONLY[m[1]!];
    if (hint) return `$${m[1]} is an ingress-nginx (Lua) variable: ${hint}`;
  }
  return checkVariableText(value, LOG_TEXT_RE, (n) => LOG_VARIABLES.has(n) || LOG_FAMILIES_RE.test(n));
}

type Setter = (cfg: ForwardingConfig, value: string) => string | undefined;

function set<K extends keyof ForwardingConfig>(cfg: ForwardingConfig, key: K, value: ForwardingConfig[K]): undefined {
  cfg[key] = value;
  return undefined;
}

function boolKey(key: 'useForwardedHeaders' | 'computeFullForwardedFor' | 'enableRealIp' | 'useProxyProtocol' | 'logFormatEscapeJson' | 'logFormatEscapeNone'): Setter {
  return (cfg, value) => {
    const b = parseBool(value);
    if (b === undefined) return 'must be "true" or "false"';
    return set(cfg, key, b);
  };
}

const FORWARDING_KEYS: Record<string, Setter> = {
  'use-forwarded-headers': boolKey('useForwardedHeaders'),
  'compute-full-forwarded-for': boolKey('computeFullForwardedFor'),
  'enable-real-ip': boolKey('enableRealIp'),
  'use-proxy-protocol': boolKey('useProxyProtocol'),
  'log-format-escape-json': boolKey('logFormatEscapeJson'),
  'log-format-escape-none': boolKey('logFormatEscapeNone'),
  'forwarded-for-header': (cfg, value) => {
    const v = value.trim();
    const r = checkHeaderName(v);
    if (r) return r;
    return set(cfg, 'forwardedForHeader', v);
  },
  'proxy-real-ip-cidr': (cfg, value) => {
    const parts = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
    if (parts.length === 0) return 'must list at least one address or CIDR';
    for (const p of parts) {
      const r = checkCidr(p);
      if (r) return r;
    }
    return set(cfg, 'proxyRealIpCidr', parts);
  },
  'log-format-upstream': (cfg, value) => {
    // YAML block scalars leave line breaks: one log line is one line.
    const v = value.replace(/\s*\n\s*/g, ' ').trim();
    const r = checkLogFormat(v);
    if (r) return r;
    return set(cfg, 'logFormatUpstream', v);
  },
};

declare module '../model/types.js' {
  interface FeatureValues {
    forwarding: undefined;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    /** Client address (real_ip, PROXY protocol), X-Forwarded-For and the access log format. */
    forwarding: ForwardingConfig;
  }
}

/** ConfigMap keys only: no annotation sets them (as in ingress-nginx). */
export const forwardedHeadersFeature: Feature<undefined, ForwardingConfig> = {
  name: 'forwarded-headers',
  keys: [],
  globals: globalsByKey(DEFAULT_FORWARDING, FORWARDING_KEYS),
  parse: () => undefined,
};
