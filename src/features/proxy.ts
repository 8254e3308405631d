import { parseSeconds } from '../model/validate.js';
import { fallBack, type Feature, type AnnotationInput, type FeatureGlobals } from './feature.js';

/** Proxy settings; every field a validated bare token or number. */
export interface ProxySettings {
  /** client_max_body_size, e.g. `8m`; `0` means unlimited. */
  bodySize: string;
  connectTimeout: number;
  sendTimeout: number;
  readTimeout: number;
  buffering: 'on' | 'off';
  bufferSize: string;
  buffersNumber: number;
  /** proxy_next_upstream conditions, e.g. ['error', 'timeout']. */
  nextUpstream: string[];
  nextUpstreamTries: number;
  nextUpstreamTimeout: number;
  requestBuffering: 'on' | 'off';
}

/** ingress-nginx's defaults, written once in http{} (ConfigMap keys of the same names override them). */
export const DEFAULT_PROXY: ProxySettings = {
  bodySize: '1m',
  connectTimeout: 5,
  sendTimeout: 60,
  readTimeout: 60,
  buffering: 'off',
  bufferSize: '4k',
  buffersNumber: 4,
  nextUpstream: ['error', 'timeout'],
  nextUpstreamTries: 3,
  nextUpstreamTimeout: 0,
  requestBuffering: 'on',
};

/** Per Ingress: only what its annotations set (undefined keeps the http{} value). */
export type ProxyAnnotation = { [K in keyof ProxySettings]: ProxySettings[K] | undefined };

const NEXT_UPSTREAM = new Set([
  'error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'non_idempotent', 'off',
]);


/** proxy-next-upstream lists conditions separated by spaces: letters, digits, "_" and the spaces. */
const NEXT_UPSTREAM_CHARS_RE = /^[A-Za-z0-9_ \t]*$/;

function size(max: 'g' | 'm') {
  return (value: string): string | { error: string } => {
    const v = value.trim().toLowerCase();
    const re = max === 'g' ? /^\d{1,9}[kmg]?$/ : /^\d{1,7}[km]?$/;
    return re.test(v) ? v : { error: `must be a size such as 8m, 512k or 1024${max === 'g' ? ' (0 = unlimited)' : ''}` };
  };
}

/** nginx's default proxy_max_temp_file_size: a buffer larger than it makes nginx -t fail. */
const MAX_PROXY_BUFFER_BYTES = 1024 * 1024 * 1024;

/**
 * proxy_buffer_size, also the size of each of proxy_buffers (they are written together): nginx -t refuses
 * 0 (empty buffers) and a size above proxy_max_temp_file_size, 1024m by default.
 */
function bufferSize(value: string): string | { error: string } {
  const v = size('m')(value);
  if (typeof v !== 'string') return v;
  const m = /^(\d+)([km]?)$/.exec(v)!;
  const bytes = Number(m[1]) * (m[2] === 'k' ? 1024 : m[2] === 'm' ? 1024 * 1024 : 1);
  if (bytes === 0) return { error: 'must not be 0 (nginx refuses empty proxy_buffers)' };
  if (bytes > MAX_PROXY_BUFFER_BYTES) return { error: 'must be at most 1024m (nginx refuses buffers larger than proxy_max_temp_file_size, 1024m)' };
  return v;
}

/**
 * proxy_buffers' count: nginx requires proxy_busy_buffers_size (by default two buffers) to be less than
 * all buffers but one, so fewer than 3 fails nginx -t (checked on nginx 1.22: 2 fails, 3 passes).
 */
function buffersNumber(value: string): number | { error: string } {
  const v = count(0, 256)(value);
  if (typeof v === 'number' && v < 3) return { error: 'must be at least 3: nginx requires proxy_busy_buffers_size (two buffers) to be less than all proxy_buffers minus one' };
  return v;
}

function seconds(min: number, max: number) {
  return (value: string): number | { error: string } => {
    const s = parseSeconds(value);
    if (s === undefined) return { error: 'must be a whole number of seconds, e.g. 30 or 30s' };
    if (s < min || s > max) return { error: `must be from ${min} to ${max} seconds` };
    return s;
  };
}

function count(min: number, max: number) {
  return (value: string): number | { error: string } => {
    const v = value.trim();
    if (!/^\d{1,6}$/.test(v) || Number(v) < min || Number(v) > max) return { error: `must be a whole number from ${min} to ${max}` };
    return Number(v);
  };
}

function onOff(value: string): 'on' | 'off' | { error: string } {
  const v = value.trim().toLowerCase();
  return v === 'on' || v === 'off' ? v : { error: 'must be "on" or "off"' };
}

function nextUpstream(value: string): string[] | { error: string } {
  const parts = value.trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length === 0) return { error: 'must list conditions, e.g. "error timeout http_502"' };
  const bad = parts.find((p) => !NEXT_UPSTREAM.has(p));
  if (bad !== undefined) return { error: `${JSON.stringify(bad)} is not one of ${[...NEXT_UPSTREAM].join(', ')}` };
  if (parts.includes('off') && parts.length > 1) return { error: '"off" cannot be combined with other conditions' };
  return [...new Set(parts)];
}

const PARSERS: { [K in keyof ProxySettings]: [string, (value: string) => ProxySettings[K] | { error: string }] } = {
  bodySize: ['proxy-body-size', size('g')],
  connectTimeout: ['proxy-connect-timeout', seconds(1, 3600)],
  sendTimeout: ['proxy-send-timeout', seconds(1, 86400)],
  readTimeout: ['proxy-read-timeout', seconds(1, 86400)],
  buffering: ['proxy-buffering', onOff],
  bufferSize: ['proxy-buffer-size', bufferSize],
  buffersNumber: ['proxy-buffers-number', buffersNumber],
  nextUpstream: ['proxy-next-upstream', nextUpstream],
  // nginx takes any count (ingress-nginx passes the number through); 999999 is the six digits count() reads.
  nextUpstreamTries: ['proxy-next-upstream-tries', count(0, 999_999)],
  // ingress-nginx passes any count of seconds (its e2e sets 999999); nginx takes it (999999000 ms fits its msec).
  nextUpstreamTimeout: ['proxy-next-upstream-timeout', seconds(0, 999_999)],
  requestBuffering: ['proxy-request-buffering', onOff],
};

function isError(v: unknown): v is { error: string } {
  return typeof v === 'object' && v !== null && 'error' in v;
}

declare module '../model/types.js' {
  interface FeatureValues {
    proxy: ProxyAnnotation;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    /** proxy-body-size, proxy timeouts, buffering, next upstream, written in http{}. */
    proxy: ProxySettings;
  }
}

/** The same keys in the global ConfigMap set the http{} values. */
const PROXY_GLOBALS: FeatureGlobals<ProxySettings> = {
  keys: Object.values(PARSERS).map(([key]) => key),
  defaults: DEFAULT_PROXY,
  parse(globals, key, value) {
    const [field, [, parse]] = Object.entries(PARSERS).find(([, [k]]) => k === key)!;
    const v = (parse as (s: string) => unknown)(value);
    if (isError(v)) return v.error;
    (globals as unknown as Record<string, unknown>)[field] = v;
    return undefined;
  },
};

export const proxyFeature: Feature<ProxyAnnotation, ProxySettings> = {
  name: 'proxy',
  keys: Object.values(PARSERS).map(([key]) => key),
  globals: PROXY_GLOBALS,
  parse(input: AnnotationInput, globals: ProxySettings) {
    const out = {} as Record<string, unknown>;
    for (const [field, [key, parse]] of Object.entries(PARSERS)) {
      const raw = input.get(key);
      if (raw === undefined) {
        out[field] = undefined;
        continue;
      }
      const v = (parse as (s: string) => unknown)(raw);
      // As ingress-nginx's proxy parser: a malformed value keeps the default (the http{} value: ConfigMap
      // or built-in), with a warning, instead of taking the Ingress's routes down.
      out[field] = isError(v) ? fallBack(input, key, raw, v.error, 'the default (ConfigMap or built-in)', field === 'nextUpstream' ? NEXT_UPSTREAM_CHARS_RE : undefined) : v;
    }
    // proxy_buffer_size and proxy_buffers are written together (nginx checks them against each other).
    if (out.bufferSize !== undefined || out.buffersNumber !== undefined) {
      out.bufferSize ??= globals.bufferSize;
      out.buffersNumber ??= globals.buffersNumber;
    }
    return out as ProxyAnnotation;
  },
};
