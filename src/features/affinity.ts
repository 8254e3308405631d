import { checkCookieName, checkHost, checkLiteralPath, parseBool } from '../model/validate.js';
import { cookieSource } from './canary.js';
import { AnnotationError, type Feature } from './feature.js';

/**
 * affinity: cookie. NGINX Plus has `sticky cookie`; open-source nginx does not. Portico hashes the
 * affinity cookie (`hash $cookie_NAME consistent`) and, when a request comes without it, issues a new
 * random value ($request_id) that the same request is already hashed by, so the first response and every
 * later request with the cookie land on the same endpoint while the endpoint set stays the same.
 */
export interface AffinityAnnotation {
  /** The cookie name when affinity is on; undefined otherwise. */
  cookie: string | undefined;
  /** session-cookie-path; undefined: the Ingress path (literal paths) or "/" (regex paths). */
  path: string | undefined;
  /** Max-Age in seconds (session-cookie-max-age; without the Lua module, else session-cookie-expires). */
  maxAge: number | undefined;
  /** session-cookie-expires in seconds, sent as an Expires= date (with the Lua module only); undefined: none. */
  expires: number | undefined;
  domain: string | undefined;
  secure: boolean;
  sameSite: 'None' | 'Lax' | 'Strict' | undefined;
}

const DEFAULT_AFFINITY_COOKIE = 'INGRESSCOOKIE';

const AFFINITY_KEYS = [
  'affinity',
  'affinity-mode',
  'session-cookie-name',
  'session-cookie-path',
  'session-cookie-max-age',
  'session-cookie-expires',
  'session-cookie-domain',
  'session-cookie-secure',
  'session-cookie-samesite',
];

function seconds(key: string, value: string): number {
  if (!/^\d{1,10}$/.test(value.trim())) throw new AnnotationError(key, 'must be a whole number of seconds');
  const n = Number(value.trim());
  if (n > 2 ** 31 - 1) throw new AnnotationError(key, 'is too large');
  return n;
}

declare module '../model/types.js' {
  interface FeatureValues {
    affinity: AffinityAnnotation;
  }
}

export const affinityFeature: Feature<AffinityAnnotation> = {
  name: 'affinity',
  keys: AFFINITY_KEYS,
  hooks: {
    // session-cookie-expires as an Expires date: the location computes it in Lua (set_by_lua_block).
    finish(ctx) {
      if (ctx.model.ingressAnnotations.some((i) => i.annotations.affinity.expires !== undefined)) ctx.model.modules = [...(ctx.model.modules ?? []), 'lua'];
    },
  },
  parse(input) {
    const off: AffinityAnnotation = { cookie: undefined, path: undefined, maxAge: undefined, expires: undefined, domain: undefined, secure: false, sameSite: undefined };
    const mode = input.get('affinity');
    if (mode === undefined) {
      const stray = AFFINITY_KEYS.filter((k) => k !== 'affinity' && input.get(k) !== undefined);
      if (stray.length > 0) input.warn(`annotations ${stray.join(', ')} only apply together with affinity: cookie; ignored`);
      return off;
    }
    if (mode.trim() !== 'cookie') throw new AnnotationError('affinity', 'must be "cookie" (the only affinity type)');

    const affinityMode = input.get('affinity-mode');
    if (affinityMode !== undefined) {
      if (!['balanced', 'persistent'].includes(affinityMode.trim())) throw new AnnotationError('affinity-mode', 'must be "balanced" or "persistent"');
      if (affinityMode.trim() === 'persistent') {
        input.warn('affinity-mode: persistent is not available: consistent hashing moves about 1/N of the sessions when endpoints are added or removed (balanced behaviour)');
      }
    }
    const cookie = input.get('session-cookie-name') ?? DEFAULT_AFFINITY_COOKIE;
    const nameReason = checkCookieName(cookie);
    if (nameReason) throw new AnnotationError('session-cookie-name', nameReason);

    const path = input.get('session-cookie-path');
    if (path !== undefined) {
      const r = checkLiteralPath(path);
      if (r) throw new AnnotationError('session-cookie-path', r);
    } else if (input.get('use-regex')?.trim().toLowerCase() === 'true') {
      // As ingress-nginx: the cookie's Path is then the location's regex, which browsers take literally.
      input.warn('session-cookie-path should be set when use-regex is true: the cookie Path is otherwise the path regex, taken literally by browsers');
    }
    const maxAgeRaw = input.get('session-cookie-max-age');
    const expiresRaw = input.get('session-cookie-expires');
    const maxAge = maxAgeRaw !== undefined ? seconds('session-cookie-max-age', maxAgeRaw) : undefined;
    const expires = expiresRaw !== undefined ? seconds('session-cookie-expires', expiresRaw) : undefined;
    // The Expires date is now + N at each response: nginx computes no dates, its Lua module does (ngx.cookie_time).
    const withDate = input.options.luaModule !== undefined;
    if (expires !== undefined && maxAge === undefined && !withDate) {
      input.warn('session-cookie-expires is sent as Max-Age: the Expires date needs the Lua module (Debian package libnginx-mod-http-lua), which is not installed');
    }

    const domain = input.get('session-cookie-domain');
    if (domain !== undefined) {
      const d = domain.startsWith('.') ? domain.slice(1) : domain;
      const r = d.startsWith('*.') ? 'must not be a wildcard' : checkHost(d);
      if (r) throw new AnnotationError('session-cookie-domain', r);
    }
    const secureRaw = input.get('session-cookie-secure');
    let secure = false;
    if (secureRaw !== undefined) {
      const b = parseBool(secureRaw);
      if (b === undefined) throw new AnnotationError('session-cookie-secure', 'must be "true" or "false"');
      secure = b;
    }
    const sameSiteRaw = input.get('session-cookie-samesite');
    let sameSite: AffinityAnnotation['sameSite'];
    if (sameSiteRaw !== undefined) {
      const v = ({ none: 'None', lax: 'Lax', strict: 'Strict' } as const)[sameSiteRaw.trim().toLowerCase() as 'none'];
      if (!v) throw new AnnotationError('session-cookie-samesite', 'must be None, Lax or Strict');
      sameSite = v;
      // Browsers drop SameSite=None cookies that are not Secure.
      if (v === 'None') secure = true;
    }
    return { cookie, path, maxAge: withDate ? maxAge : (maxAge ?? expires), expires: withDate ? expires : undefined, domain, secure, sameSite };
  },
};

/** The variable a location sets (set_by_lua_block) to the cookie date `seconds` from now. */
export function cookieExpiresVariable(seconds: number): string {
  return `portico_cookie_expires_${seconds}`;
}

/**
 * The Set-Cookie value for a new session. `$request_id`, `$portico_https_secure` and the Expires date's
 * variable are the only variables and are intended: as ingress-nginx, a cookie issued over https is Secure even with session-cookie-secure
 * "false" (its e2e: "should set secure in cookie with provided false annotation on https").
 */
export function setCookieValue(a: AffinityAnnotation, path: string): string {
  const parts = [`${a.cookie}=$request_id`, `Path=${path}`];
  if (a.expires !== undefined) parts.push(`Expires=$${cookieExpiresVariable(a.expires)}`);
  if (a.domain !== undefined) parts.push(`Domain=${a.domain}`);
  if (a.maxAge !== undefined) parts.push(`Max-Age=${a.maxAge}`);
  if (a.secure) parts.push('Secure');
  if (a.sameSite !== undefined) parts.push(`SameSite=${a.sameSite}`);
  parts.push('HttpOnly');
  const value = parts.join('; ');
  return a.secure ? value : `${value}$portico_https_secure`;
}

/**
 * The http-level variable that a cookie's upstreams hash on: the cookie, or the value about to be issued.
 * Names of letters, digits and "_" keep `portico_affkey_NAME`; other names carry their hex-encoded source
 * (`portico_affkeyx_HEX`, never equal to the first form), so two cookies never share one key.
 */
export function affinityKeyVariable(cookie: string): string {
  const source = cookieSource(cookie);
  return source.startsWith('cookie_') ? `portico_affkey_${source.slice('cookie_'.length)}` : `portico_affkeyx_${source.slice('portico_cookie_x'.length)}`;
}
