import { checkAuthorRegex, HEADER_DIALECT } from '../model/regex.js';
import { checkCookieName, checkHeaderName, describeBadChar, INJECTION_CHARS_RE, parseBool } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

/**
 * canary: this Ingress supplies the alternative backend of another ("main") Ingress with the same host,
 * path and pathType. Requests go to the canary by header, then cookie, then weight (ingress-nginx's order);
 * everything else goes to the main Ingress's backend.
 */
export interface CanaryAnnotation {
  enabled: boolean;
  /** Request header name (canary-by-header). */
  header: string | undefined;
  /** Exact header value that selects the canary (canary-by-header-value). */
  headerValue: string | undefined;
  /** Regex on the header value that selects the canary (canary-by-header-pattern; ignored when a value is set). */
  headerPattern: string | undefined;
  /** Cookie name (canary-by-cookie): "always" → canary, "never" → main. */
  cookie: string | undefined;
  /** canary-weight, 0..weightTotal; undefined when not set (no random share). */
  weight: number | undefined;
  /** canary-weight-total, default 100. */
  weightTotal: number;
}

const SIMPLE_COOKIE_RE = /^[A-Za-z0-9_]+$/;
/** A header value compared literally: visible ASCII without quotes, backslash, `$`, `;`, braces. */
const HEADER_VALUE_RE = /^[A-Za-z0-9 !#%&'()*+,\-./:<=>?@[\]^_`|~]{1,256}$/;
/** A header regex: visible ASCII without quotes, `;`, `#` and `$` except as the final anchor. */
const PATTERN_RE = /^[A-Za-z0-9 !%&'()*+,\-./:<=>?@[\]^_`|~{}\\$]{1,256}$/;

/** The map that reads a cookie nginx has no `$cookie_NAME` for, from the Cookie header. */
export interface CookieMap {
  /** The variable (no `$`). */
  variable: string;
  /** A case-insensitive regex whose second group is the cookie's value (the first cookie of that name, as $cookie_NAME). */
  pattern: string;
}

/**
 * The variable (no `$`) holding a request cookie's value. Cookie names are matched case-insensitively, as
 * nginx's $cookie_NAME does. Other names are hex-encoded into the variable (reversible: cookieOfSource),
 * so two names never share one.
 */
export function cookieSource(name: string): string {
  const lower = name.toLowerCase();
  return SIMPLE_COOKIE_RE.test(lower) ? `cookie_${lower}` : `portico_cookie_x${Buffer.from(lower, 'latin1').toString('hex')}`;
}

/** The map a cookieSource needs, or undefined for nginx's own $cookie_NAME. */
export function cookieMapFor(source: string): CookieMap | undefined {
  const m = /^portico_cookie_x([0-9a-f]+)$/.exec(source);
  if (!m) return undefined;
  const name = Buffer.from(m[1]!, 'hex').toString('latin1');
  return { variable: source, pattern: `~*(^|;)\\s*${literalRegex(name)}=([^;]*)` };
}

function checkHeaderPattern(value: string): string | undefined {
  if (!PATTERN_RE.test(value)) return 'only visible ASCII without quotes, ";" or "#" is allowed (at most 256 characters)';
  if (/\$(?!$)/.test(value)) return '"$" is allowed only as the final end anchor';
  // nginx compiles it as a map key (PCRE2): the shared grammar, and no super-linear backtracking.
  return checkAuthorRegex(value, HEADER_DIALECT);
}

function whole(key: string, value: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(value.trim())) throw new AnnotationError(key, 'must be a whole number');
  const n = Number(value.trim());
  if (n < min || n > max) throw new AnnotationError(key, `must be from ${min} to ${max}`);
  return n;
}

const POLICY_KEYS = ['canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie', 'canary-weight', 'canary-weight-total'];

declare module '../model/types.js' {
  interface FeatureValues {
    canary: CanaryAnnotation;
  }
}

export const canaryFeature: Feature<CanaryAnnotation> = {
  name: 'canary',
  keys: ['canary', ...POLICY_KEYS],
  secondary: { value: (v) => v.enabled, raw: (get) => parseBool(String(get('canary') ?? '')) === true },
  parse(input) {
    const off: CanaryAnnotation = { enabled: false, header: undefined, headerValue: undefined, headerPattern: undefined, cookie: undefined, weight: undefined, weightTotal: 100 };
    const raw = input.get('canary');
    if (raw === undefined) {
      const stray = POLICY_KEYS.filter((k) => input.get(k) !== undefined);
      if (stray.length > 0) input.warn(`annotations ${stray.join(', ')} only apply together with canary: "true"; ignored`);
      return off;
    }
    const enabled = parseBool(raw);
    if (enabled === undefined) throw new AnnotationError('canary', 'must be "true" or "false"');
    if (!enabled) return off;

    const header = input.get('canary-by-header');
    if (header !== undefined) {
      const r = checkHeaderName(header);
      if (r) throw new AnnotationError('canary-by-header', r);
    }
    let headerValue = input.get('canary-by-header-value');
    if (headerValue !== undefined && !HEADER_VALUE_RE.test(headerValue)) {
      throw new AnnotationError('canary-by-header-value', 'only visible ASCII without quotes, "\\", "$", ";" or braces is allowed (at most 256 characters)');
    }
    let headerPattern = input.get('canary-by-header-pattern');
    if (headerPattern !== undefined) {
      const r = checkHeaderPattern(headerPattern);
      if (r) throw new AnnotationError('canary-by-header-pattern', r);
    }
    if (header === undefined && (headerValue !== undefined || headerPattern !== undefined)) {
      // ingress-nginx reads no header then: the cookie and the weight still decide. Ignored, with a warning.
      const keys = [headerValue !== undefined ? 'canary-by-header-value' : '', headerPattern !== undefined ? 'canary-by-header-pattern' : ''].filter((k) => k !== '');
      // Ignored, but never a value that could carry text into nginx.conf: that is refused as before.
      for (const key of keys) {
        const value = input.get(key)!;
        if (INJECTION_CHARS_RE.test(value) || value.includes('..')) {
          throw new AnnotationError(key, `needs canary-by-header (the header to read), and ${/[^\x20-\x7e]|[\s"'`;{}#\\$]/.test(value) ? describeBadChar(value) : '".." is not allowed'}`);
        }
      }
      input.warn(`${keys.join(' and ')} ${keys.length > 1 ? 'are' : 'is'} ignored without canary-by-header (the header to read), as in ingress-nginx`);
      headerValue = undefined;
      headerPattern = undefined;
    }
    if (headerValue !== undefined && headerPattern !== undefined) {
      input.warn('canary-by-header-pattern is ignored because canary-by-header-value is set (as in ingress-nginx)');
      headerPattern = undefined;
    }
    const cookie = input.get('canary-by-cookie');
    if (cookie !== undefined) {
      const r = checkCookieName(cookie);
      if (r) throw new AnnotationError('canary-by-cookie', r);
    }
    const totalRaw = input.get('canary-weight-total');
    const weightTotal = totalRaw === undefined ? 100 : whole('canary-weight-total', totalRaw, 1, 1_000_000);
    const weightRaw = input.get('canary-weight');
    const weight = weightRaw === undefined ? undefined : whole('canary-weight', weightRaw, 0, weightTotal);
    if (header === undefined && cookie === undefined && weight === undefined) {
      input.warn('canary: "true" without canary-by-header, canary-by-cookie or canary-weight sends no request to the canary');
    }
    return { enabled, header, headerValue, headerPattern, cookie, weight, weightTotal };
  },
};

/** Escapes every character that is not a letter or digit, so a literal value becomes a PCRE pattern. */
export function literalRegex(value: string): string {
  return value.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`);
}

export interface CanaryMatch {
  /** An nginx map key: `~` plus a case-sensitive regex. */
  key: string;
  /** "1": canary, "0": main. */
  result: '0' | '1';
}

/** The header map's entries: a request header decides (1/0) or falls through to the cookie (no entry matches). */
export function headerMatches(policy: CanaryAnnotation): CanaryMatch[] {
  if (policy.headerValue !== undefined) return [{ key: `~^${literalRegex(policy.headerValue)}$`, result: '1' }];
  if (policy.headerPattern !== undefined) return [{ key: `~${policy.headerPattern}`, result: '1' }];
  return [
    { key: '~^always$', result: '1' },
    { key: '~^never$', result: '0' },
  ];
}

export function cookieMatches(): CanaryMatch[] {
  return [
    { key: '~^always$', result: '1' },
    { key: '~^never$', result: '0' },
  ];
}

/**
 * The canary share for `split_clients`, as nginx writes it (at most two decimals), or a constant when the
 * weight is 0 (never) or the whole total (always). ingress-nginx draws random(total) <= weight.
 */
export function weightShare(policy: CanaryAnnotation): { constant: '0' | '1' } | { percent: string } {
  if (policy.weight === undefined || policy.weight === 0) return { constant: '0' };
  if (policy.weight >= policy.weightTotal) return { constant: '1' };
  const hundredths = Math.floor((policy.weight * 10000) / policy.weightTotal);
  if (hundredths === 0) return { constant: '0' };
  return { percent: `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}%` };
}
