import { isIP } from 'node:net';
import { describeBadChar, parseBool } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

/**
 * auth-url, auth-method, auth-signin, auth-response-headers: external authentication through nginx's
 * auth_request module. Each protected location asks an internal location (one per Ingress and server)
 * that proxies to auth-url without the request body. A 2xx lets the request through, 401 and 403 are
 * returned to the client, or a 401 redirects to auth-signin with `rd=` set to the original URL. Headers
 * named in auth-response-headers are copied from the auth response to the upstream request.
 *
 * The URLs are http(s) URLs from a narrow character set (the CVE-2025-1098 / CVE-2025-24514 class of
 * injection has nowhere to go). As in ingress-nginx's oauth2-proxy example (`https://$host/oauth2/auth`,
 * `https://$host/oauth2/start?rd=$escaped_request_uri`) they may hold nginx variables from a fixed list,
 * each checked as a whole token and by where it stands (AUTH_URL_VARIABLES); never free text.
 */
export interface AuthExternalAnnotation {
  /** The auth service URL, validated; undefined when the Ingress does not use external auth. */
  url: string | undefined;
  method: string | undefined;
  /** The internal location the auth subrequest goes to: unique per Ingress, cannot be an Ingress path. */
  location: string | undefined;
  /** The full error_page target for a 401 (auth-signin plus `rd=`), or undefined. */
  signinRedirect: string | undefined;
  /** Response headers to copy: the header name and the `$upstream_http_` suffix. */
  responseHeaders: Array<{ name: string; variable: string }>;
  /**
   * The URL names a host rather than an IP address: nginx resolves it when requests arrive (through
   * `resolvers`), so a name that does not resolve fails this Ingress's requests, not `nginx -t` for all.
   */
  resolveAtRequestTime: boolean;
  /** `resolver` arguments (IPv6 in brackets), from ModelOptions.resolvers. */
  resolvers: string[];
  /**
   * auth-always-set-cookie: the auth service's Set-Cookie reaches the client on every answer; by default
   * (as ingress-nginx) only on the statuses nginx's add_header covers without `always` (2xx, 3xx), not on errors.
   */
  alwaysSetCookie: boolean;
  /** signinRedirect holds $portico_escaped_request_uri, set by set_escape_uri (the set-misc module). */
  escapeRedirect: boolean;
}

const OFF: AuthExternalAnnotation = {
  url: undefined,
  method: undefined,
  location: undefined,
  signinRedirect: undefined,
  responseHeaders: [],
  resolveAtRequestTime: false,
  resolvers: [],
  alwaysSetCookie: false,
  escapeRedirect: false,
};

/** URL characters without quotes, `$`, `;`, whitespace, backslash, braces, `#`, `<>` or `^|`. */
const URL_CHARS_RE = /^[A-Za-z0-9\-._~%!&()*+,=:@/?[\]]+$/;
const HOST_RE = /^(([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const HEADER_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
/** Headers the proxy itself sets or that frame the request: an auth service may not replace them. */
const HOP_HEADERS = new Set(['host', 'connection', 'upgrade', 'content-length', 'transfer-encoding', 'keep-alive', 'te', 'trailer', 'proxy-connection']);

/**
 * The nginx variables an auth-url or auth-signin may hold, and where: the scheme, the host, or the path and
 * query. The host may only be the request's validated host name ($host: lowercase, no port, and it matched
 * this server's server_name) or the server's own name; the raw Host header ($http_host) may carry a port
 * or more, so it is allowed only after the host. $escaped_request_uri is ingress-nginx's name; Portico
 * defines it (templates/features/auth-url/http.hbs).
 */
const AUTH_URL_VARIABLES: Record<string, ReadonlyArray<'scheme' | 'host' | 'rest'>> = {
  scheme: ['scheme', 'rest'],
  host: ['host', 'rest'],
  server_name: ['host', 'rest'],
  http_host: ['rest'],
  server_port: ['rest'],
  request_uri: ['rest'],
  escaped_request_uri: ['rest'],
};

/** Portico's variable behind ingress-nginx's $escaped_request_uri. */
const ESCAPED_REQUEST_URI_VARIABLE = 'portico_escaped_request_uri';

/** Stands in for a variable while the URL's syntax is checked: a valid scheme / host / path character run. */
const PLACEHOLDER: Record<'scheme' | 'host' | 'rest', string> = { scheme: 'http', host: 'portico-variable', rest: 'v' };

/**
 * Replaces each allowed `$name` by a placeholder for the syntax checks, or returns why it cannot. Each
 * variable is a whole token: `$` and the longest run of [A-Za-z0-9_] after it (`${...}` is refused: braces).
 */
function withoutVariables(value: string): { text: string; variables: Array<{ name: string; where: 'scheme' | 'host' | 'rest' }> } | { reason: string } {
  const variables: Array<{ name: string; where: 'scheme' | 'host' | 'rest' }> = [];
  const schemeEnd = value.indexOf('://');
  const hostEnd = schemeEnd < 0 ? -1 : value.slice(schemeEnd + 3).search(/[/?]|$/) + schemeEnd + 3;
  let reason: string | undefined;
  const text = value.replace(/\$([A-Za-z0-9_]*)/g, (_, name: string, offset: number) => {
    const where = schemeEnd < 0 || offset < schemeEnd ? 'scheme' : offset < hostEnd ? 'host' : 'rest';
    const allowed = AUTH_URL_VARIABLES[name];
    const list = Object.keys(AUTH_URL_VARIABLES).map((v) => `$${v}`).join(', ');
    if (name === '') reason ??= `character "$" is not allowed except to start one of the variables ${list}`;
    else if (!allowed) reason ??= `character "$" is not allowed except to start one of the variables ${list} ($${name} is not one)`;
    else if (!allowed.includes(where)) reason ??= `$${name} is not allowed in the URL's ${where === 'rest' ? 'path' : where}`;
    variables.push({ name, where });
    return PLACEHOLDER[where];
  });
  return reason ? { reason } : { text, variables };
}

/** An http or https URL: allowlisted characters, a DNS name or IP address, nginx variables only from the list. */
export function checkAuthUrl(value: string): string | undefined {
  if (value.length > 2048) return 'longer than 2048 characters';
  if (value === '') return 'must not be empty';
  const stripped = withoutVariables(value);
  if ('reason' in stripped) return /[^\x20-\x7e]|[\s"'`;{}#\\]/.test(value) ? describeBadChar(value) : stripped.reason;
  if (stripped.variables.some((v) => v.where === 'scheme') && !value.startsWith('$scheme://')) return '$scheme must be the whole scheme';
  if (stripped.variables.filter((v) => v.where === 'host').length > 0 && !/^[^:]+:\/\/\$(host|server_name)([:/?]|$)/.test(value)) {
    return '$host or $server_name must be the whole host';
  }
  value = stripped.text;
  if (!URL_CHARS_RE.test(value)) return describeBadChar(value);
  const m = /^(https?):\/\/([^/?:[\]]+|\[[^\]]+\])(:(\d{1,5}))?([/?].*)?$/.exec(value);
  if (!m) return 'must be an http:// or https:// URL';
  const host = m[2]!;
  if (!HOST_RE.test(host.toLowerCase())) return `host ${JSON.stringify(host)} is not a DNS name or IP address`;
  if (host.startsWith('[') && isIP(host.slice(1, -1)) !== 6) return `host ${JSON.stringify(host)} is not an IPv6 address`;
  if (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > 65535)) return 'port must be from 1 to 65535';
  const rest = m[5] ?? '';
  if (/[[\]]/.test(rest)) return 'brackets are only allowed around an IPv6 host';
  if (/(^|\/)\.\.?(\/|$|\?)/.test(rest)) return 'must not contain "." or ".." path segments';
  return undefined;
}

/** Resolver addresses (`IP`, `IPv4:PORT`, `[IPv6]:PORT`) as nginx `resolver` arguments; anything else is dropped. */
export function resolverArgs(addresses: readonly string[]): string[] {
  return addresses.flatMap((a) => {
    if (isIP(a) === 4) return [a];
    if (isIP(a) === 6) return [`[${a}]`];
    const m = /^(?:([0-9.]+)|\[([0-9a-fA-F:.]+)\]):(\d{1,5})$/.exec(a);
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) return [];
    if (m[1] !== undefined && isIP(m[1]) === 4) return [`${m[1]}:${Number(m[3])}`];
    if (m[2] !== undefined && isIP(m[2]) === 6) return [`[${m[2]}]:${Number(m[3])}`];
    return [];
  });
}

/** ingress-nginx's $escaped_request_uri becomes Portico's own variable; the others are nginx's. */
function renderedVariables(url: string): string {
  return url.replace(/\$escaped_request_uri(?![A-Za-z0-9_])/g, `$${ESCAPED_REQUEST_URI_VARIABLE}`);
}

declare module '../model/types.js' {
  interface FeatureValues {
    authExternal: AuthExternalAnnotation;
  }
}

export const authUrlFeature: Feature<AuthExternalAnnotation> = {
  name: 'auth-url',
  keys: ['auth-url', 'auth-method', 'auth-signin', 'auth-signin-redirect-param', 'auth-response-headers', 'auth-always-set-cookie'],
  hooks: {
    // auth-signin's rd= is URL-escaped with the set-misc module (set_escape_uri), when the CLI found it.
    finish(ctx) {
      if (ctx.model.ingressAnnotations.some((i) => i.annotations.authExternal.escapeRedirect)) ctx.model.modules = [...(ctx.model.modules ?? []), 'set-misc'];
    },
    // auth-response-headers are passed upstream with proxy_set_header.
    setsProxyHeader: (location) => location.annotations.authExternal.responseHeaders.length > 0,
  },
  parse(input) {
    const url = input.get('auth-url')?.trim();
    if (url === undefined) {
      for (const k of ['auth-method', 'auth-signin', 'auth-response-headers', 'auth-always-set-cookie']) {
        if (input.get(k) !== undefined) input.warn(`${k} is ignored without auth-url`);
      }
      return OFF;
    }
    const urlReason = checkAuthUrl(url);
    if (urlReason) throw new AnnotationError('auth-url', urlReason);
    const urlHasVariables = url.includes('$');

    const methodRaw = input.get('auth-method');
    let method: string | undefined;
    if (methodRaw !== undefined) {
      method = methodRaw.trim().toUpperCase();
      if (!METHODS.includes(method)) throw new AnnotationError('auth-method', `must be one of ${METHODS.join(', ')}`);
    }

    let signinRedirect: string | undefined;
    let escapeRedirect = false;
    const signin = input.get('auth-signin')?.trim();
    if (signin !== undefined) {
      const reason = checkAuthUrl(signin);
      if (reason) throw new AnnotationError('auth-signin', reason);
      const param = (input.get('auth-signin-redirect-param') ?? 'rd').trim();
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(param)) throw new AnnotationError('auth-signin-redirect-param', 'must be a query parameter name (letters, digits, "_" and "-")');
      // The `$` in the value: nginx variables this code chose, or the allowlisted ones checkAuthUrl let through.
      // A sign-in URL that already sets the redirect parameter (oauth2-proxy's `rd=$escaped_request_uri`)
      // keeps it, as ingress-nginx does; otherwise Portico adds it. With the set-misc module the original
      // URI is URL-escaped (location/auth-external.hbs), as ingress-nginx's $escaped_request_uri; without it
      // an added rd= carries $request_uri and a written $escaped_request_uri the approximation of
      // http/auth-external.hbs.
      const query = /\?(.*)$/.exec(signin)?.[1] ?? '';
      const setsParam = query.split('&').some((kv) => kv.split('=')[0] === param);
      const wantsEscaped = !setsParam || /\$escaped_request_uri(?![A-Za-z0-9_])/.test(signin);
      escapeRedirect = input.options.setMiscModule !== undefined && wantsEscaped;
      const uri = escapeRedirect ? `$${ESCAPED_REQUEST_URI_VARIABLE}` : '$request_uri';
      signinRedirect = renderedVariables(setsParam ? signin : `${signin}${signin.includes('?') ? '&' : '?'}${param}=$scheme://$http_host${uri}`);
    }

    const responseHeaders: AuthExternalAnnotation['responseHeaders'] = [];
    const headersRaw = input.get('auth-response-headers');
    if (headersRaw !== undefined) {
      for (const part of headersRaw.split(',')) {
        const name = part.trim();
        if (name === '') continue;
        if (!HEADER_RE.test(name)) throw new AnnotationError('auth-response-headers', `${JSON.stringify(name)}: ${/[^A-Za-z0-9-]/.test(name) ? describeBadChar(name) : 'not a header name'}`);
        if (HOP_HEADERS.has(name.toLowerCase())) throw new AnnotationError('auth-response-headers', `${name} is set by the proxy and cannot be copied`);
        if (responseHeaders.length >= 64) throw new AnnotationError('auth-response-headers', 'more than 64 headers');
        responseHeaders.push({ name, variable: name.toLowerCase().replace(/-/g, '_') });
      }
    }
    // `;` cannot appear in an Ingress path, so this internal location never collides with a rule's location.
    const location = `/_portico_auth;${input.ref.namespace};${input.ref.name}`;
    // proxy_pass needs a URI part, or nginx would send the internal location's own URI to the auth service.
    const split = /^((?:https?|\$scheme):\/\/[^/?]+)(.*)$/.exec(url)!;
    const target = renderedVariables(split[2]!.startsWith('/') ? url : `${split[1]}/${split[2]}`);
    const host = /^(?:https?|\$scheme):\/\/([^/?:[\]]+|\[[^\]]+\])/.exec(url)![1]!;
    // A URL with variables is built per request (proxy_pass with variables): like a host name, at request time.
    const resolveAtRequestTime = urlHasVariables || isIP(host.replace(/^\[|\]$/g, '')) === 0;
    const resolvers = resolverArgs(input.options.resolvers ?? []);
    if (resolveAtRequestTime && resolvers.length === 0) {
      input.warn(`auth-url: host ${host} is resolved when requests arrive and no DNS resolver is configured; its requests answer 500`);
    }
    const alwaysRaw = input.get('auth-always-set-cookie');
    const alwaysSetCookie = alwaysRaw === undefined ? false : parseBool(alwaysRaw);
    if (alwaysSetCookie === undefined) throw new AnnotationError('auth-always-set-cookie', 'must be "true" or "false"');
    return { url: target, method, location, signinRedirect, responseHeaders, resolveAtRequestTime, resolvers, alwaysSetCookie, escapeRedirect };
  },
};
