import { describeBadChar, parseBool } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

/**
 * enable-cors and the cors-* annotations, with ingress-nginx's defaults. An allowed Origin gets the CORS
 * headers (the Origin itself echoed, or `*` when the list is `*`); any other Origin gets none. A preflight
 * (OPTIONS) is answered by nginx with 204.
 */
export interface CorsAnnotation {
  enabled: boolean;
  /** Any origin (`*`): `Access-Control-Allow-Origin: *`. */
  anyOrigin: boolean;
  /** A case-insensitive regex matching exactly the allowed origins (when not anyOrigin). */
  originRegex: string | undefined;
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  allowCredentials: boolean;
  maxAge: number;
}

const CORS_DEFAULTS = {
  allowMethods: 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
  allowHeaders: 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
  maxAge: 1728000,
};

const OFF: CorsAnnotation = {
  enabled: false,
  anyOrigin: false,
  originRegex: undefined,
  allowMethods: '',
  allowHeaders: '',
  exposeHeaders: '',
  allowCredentials: false,
  maxAge: 0,
};

const LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
/** Any URI scheme (RFC 3986: a letter, then letters, digits, "+", "-", "."), e.g. `tauri://localhost` as ingress-nginx allows. */
const ORIGIN_RE = new RegExp(`^(?<scheme>[a-z][a-z0-9+.-]{0,31})://(?<wild>\\*\\.)?(?<host>${LABEL}(\\.${LABEL})*)(?<port>:\\d{1,5})?$`);

/** HOST[:PORT] with no scheme, e.g. `origin.cors.com:8080` (skipped, not refused). */
const SCHEMELESS_ORIGIN_RE = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*(:\\d{1,5})?$`);

/** One origin (`https://a.example.com`, `https://*.example.com`, `http://x:8080`) as an anchored regex. */
export function originPattern(value: string): { pattern?: string; reason?: string } {
  const v = value.toLowerCase();
  const m = ORIGIN_RE.exec(v);
  if (!m) {
    if (/[^\x21-\x7e]|["'`;{}#\\$]/.test(value)) return { reason: `${JSON.stringify(value)}: ${describeBadChar(value)}` };
    return { reason: `${JSON.stringify(value)}: must be "*" or SCHEME://HOST[:PORT], HOST optionally starting with "*."` };
  }
  const g = m.groups!;
  if (g.port !== undefined && (Number(g.port.slice(1)) < 1 || Number(g.port.slice(1)) > 65535)) {
    return { reason: `${JSON.stringify(value)}: port must be from 1 to 65535` };
  }
  const host = g.host!.replace(/\./g, '\\.');
  const wildcard = g.wild ? '[a-z0-9-]+\\.' : '';
  // "+" and "." are regex syntax; a scheme is otherwise letters, digits and "-".
  const scheme = g.scheme!.replace(/[+.]/g, (c) => `\\${c}`);
  return { pattern: `${scheme}://${wildcard}${host}${g.port ?? ''}` };
}

/** A comma-separated token list (methods, header names): letters, digits, `-` and `_`, or `*`. */
function tokenList(key: string, value: string, re: RegExp, allowStar: boolean): string {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    if (item === '*' && allowStar) continue;
    if (!re.test(item)) throw new AnnotationError(key, `${JSON.stringify(item)}: ${/[^A-Za-z0-9_-]/.test(item) ? describeBadChar(item) : 'invalid value'}`);
  }
  if (items.length > 100) throw new AnnotationError(key, 'more than 100 entries');
  // As ingress-nginx, the list goes out as written (its default headers have no spaces after the commas,
  // byte for byte); only a list with other whitespace than spaces (tabs, line breaks) is rewritten.
  const written = value.trim();
  return /^[A-Za-z0-9_*, -]*$/.test(written) && !/,\s*,/.test(written) && !written.endsWith(',') && !written.startsWith(',') ? written : items.join(', ');
}

declare module '../model/types.js' {
  interface FeatureValues {
    cors: CorsAnnotation;
  }
}

export const corsFeature: Feature<CorsAnnotation> = {
  name: 'cors',
  keys: ['enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-allow-credentials', 'cors-max-age', 'cors-expose-headers'],
  parse(input) {
    const enabledRaw = input.get('enable-cors');
    if (enabledRaw === undefined) {
      const stray = corsFeature.keys.filter((k) => k !== 'enable-cors' && input.get(k) !== undefined);
      if (stray.length > 0) input.warn(`${stray.join(', ')} ignored without enable-cors: "true"`);
      return OFF;
    }
    const enabled = parseBool(enabledRaw);
    if (enabled === undefined) throw new AnnotationError('enable-cors', 'must be "true" or "false"');
    if (!enabled) return OFF;

    const originRaw = input.get('cors-allow-origin') ?? '*';
    const origins = originRaw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const patterns: string[] = [];
    for (const o of origins) {
      if (o === '*') continue;
      // As ingress-nginx, a HOST[:PORT] without a scheme (a browser never sends one) is skipped with a
      // warning and the other origins still apply; any other malformed origin is still refused.
      if (SCHEMELESS_ORIGIN_RE.test(o.toLowerCase())) {
        input.warn(`cors-allow-origin ${JSON.stringify(o)} is skipped: an origin is SCHEME://HOST[:PORT] (a browser always sends the scheme)`);
        continue;
      }
      const { pattern, reason } = originPattern(o);
      if (reason) throw new AnnotationError('cors-allow-origin', reason);
      patterns.push(pattern!);
    }
    if (patterns.length > 100) throw new AnnotationError('cors-allow-origin', 'more than 100 origins');
    // No usable origin left (only skipped ones, or a blank value) is the default "*", as in ingress-nginx.
    const anyOrigin = patterns.length === 0 || origins.includes('*');

    const allowMethods = tokenList('cors-allow-methods', input.get('cors-allow-methods') ?? CORS_DEFAULTS.allowMethods, /^[A-Za-z]{1,32}$/, false);
    const allowHeaders = tokenList('cors-allow-headers', input.get('cors-allow-headers') ?? CORS_DEFAULTS.allowHeaders, /^[A-Za-z0-9_-]{1,128}$/, true);
    const exposeHeaders = tokenList('cors-expose-headers', input.get('cors-expose-headers') ?? '', /^[A-Za-z0-9_-]{1,128}$/, true);

    let allowCredentials = true;
    const credRaw = input.get('cors-allow-credentials');
    if (credRaw !== undefined) {
      const b = parseBool(credRaw);
      if (b === undefined) throw new AnnotationError('cors-allow-credentials', 'must be "true" or "false"');
      allowCredentials = b;
    }
    let maxAge = CORS_DEFAULTS.maxAge;
    const maxAgeRaw = input.get('cors-max-age');
    if (maxAgeRaw !== undefined) {
      if (!/^\d{1,9}$/.test(maxAgeRaw.trim())) throw new AnnotationError('cors-max-age', 'must be a whole number of seconds');
      maxAge = Number(maxAgeRaw.trim());
    }
    return {
      enabled: true,
      anyOrigin,
      originRegex: anyOrigin ? undefined : `^(${patterns.join('|')})$`,
      allowMethods,
      allowHeaders,
      exposeHeaders,
      allowCredentials,
      maxAge,
    };
  },
};
