import type { ModelWarning, Server } from '../model/types.js';
import { refString } from '../model/types.js';
import { checkHost } from '../model/validate.js';
import { AnnotationError, boolAnnotation, fallBack, intAnnotation, type AnnotationInput, type Feature } from './feature.js';

/**
 * A redirect code: ingress-nginx uses its default (301 permanent, 302 temporal) for a number outside
 * 300..308 (300..307 temporal), e.g. `permanent-redirect-code: 500`; a value that is not a number stays an
 * error there (its validator refuses it) and here.
 */
function redirectCode(input: AnnotationInput, key: string, max: number, fallback: number): number | undefined {
  const code = intAnnotation(input, key, 0, 999_999_999);
  if (code === undefined || (code >= 300 && code <= max)) return code;
  return fallBack(input, key, input.get(key)!, `must be from 300 to ${max}`, String(fallback));
}

export interface RedirectAnnotation {
  /** temporal-redirect or permanent-redirect: every request of the Ingress's paths is answered with this redirect. */
  url: string | undefined;
  code: number | undefined;
  /** from-to-www-redirect: www.HOST redirects to HOST, or HOST to www.HOST (server level). */
  fromToWww: boolean;
}

declare module '../model/types.js' {
  interface FeatureValues {
    redirect: RedirectAnnotation;
  }
}

export const redirectFeature: Feature<RedirectAnnotation> = {
  name: 'redirect',
  keys: ['permanent-redirect', 'permanent-redirect-code', 'temporal-redirect', 'temporal-redirect-code', 'from-to-www-redirect'],
  serverKeys: (v) => (v.fromToWww ? ['from-to-www-redirect'] : []),
  // Unmatched paths reach the default backend, not the redirect.
  onDefaultBackend: (v) => ({ ...v, url: undefined, code: undefined }),
  hooks: {
    finish: (model) => applyWwwRedirects(model.servers, model.warnings),
    // The www counterpart is taken when a server already answers it, aliases included.
    finishAfter: ['server-alias'],
  },
  parse(input) {
    const fromToWww = boolAnnotation(input, 'from-to-www-redirect') ?? false;
    const permanentCode = redirectCode(input, 'permanent-redirect-code', 308, 301);
    const temporalCode = redirectCode(input, 'temporal-redirect-code', 307, 302);
    const check = (key: string): string | undefined => {
      const raw = input.get(key);
      if (raw === undefined) return undefined;
      const url = raw.trim();
      const reason = checkRedirectURL(url);
      if (reason) throw new AnnotationError(key, reason);
      return url;
    };
    const temporal = check('temporal-redirect');
    const permanent = check('permanent-redirect');
    // As in ingress-nginx, a temporal redirect wins when both are set.
    if (temporal !== undefined) {
      if (permanent !== undefined) input.warn('temporal-redirect and permanent-redirect are both set; temporal-redirect is used');
      return { url: temporal, code: temporalCode ?? 302, fromToWww };
    }
    if (permanent !== undefined) return { url: permanent, code: permanentCode ?? 301, fromToWww };
    return { url: undefined, code: undefined, fromToWww };
  },
};

/** The other name of a from-to-www pair: www.example.com ↔ example.com. */
export function wwwCounterpart(host: string): string | undefined {
  if (host === '' || host.startsWith('*.')) return undefined;
  const other = host.startsWith('www.') ? host.slice(4) : `www.${host}`;
  if (checkHost(other) || !other.includes('.')) return undefined;
  return other;
}

/**
 * from-to-www-redirect: each host whose oldest Ingress asks for it gets a redirect server for its www
 * counterpart, unless another server already answers that name (then a warning, as ingress-nginx does).
 * Call after server aliases are known.
 */
function applyWwwRedirects(servers: Server[], warnings: ModelWarning[]): void {
  const taken = new Set(servers.flatMap((s) => [s.host, ...s.serverNames]));
  for (const server of servers) {
    server.wwwRedirect = undefined;
    if (server.isDefault || !server.serverAnnotations?.redirect.fromToWww) continue;
    const from = wwwCounterpart(server.host);
    const owner = server.ingresses[0];
    if (!from) {
      // www. plus a host of 250+ characters is no DNS name (253 at most): say so rather than drop it silently.
      if (owner && !server.host.startsWith('*.') && !server.host.startsWith('www.') && server.host.length + 4 > 253) {
        warnings.push({
          object: `Ingress ${refString(owner)}`,
          ingress: owner,
          message: `from-to-www-redirect: www.${server.host} would be longer than 253 characters; no redirect from it to ${server.host}`,
        });
      }
      continue;
    }
    if (taken.has(from)) {
      if (owner) {
        warnings.push({
          object: `Ingress ${refString(owner)}`,
          ingress: owner,
          message: `from-to-www-redirect: host ${from} is served by another rule or alias; no redirect from it to ${server.host}`,
        });
      }
      continue;
    }
    taken.add(from);
    // As ingress-nginx (since 1.12): the scheme and the port nginx accepted the connection on, always written
    // (`http://example.com:80/foo`); one trailing "/" is dropped. Behind a Service the port is right only if the
    // pod listens on the Service's ports, which is why manifests/ runs nginx on 80 and 443.
    server.wwwRedirect = { from, target: `$scheme://${server.host}:$server_port$portico_request_uri_trimmed` };
  }
}

/** Absolute http(s) URL characters: RFC 3986 without quotes, `$`, spaces, braces, `;`, `#` is allowed for fragments. */
const URL_RE = /^https?:\/\/[A-Za-z0-9\-._~%!&()*+,=:@/?#[\]]+$/;

/** An absolute http or https URL with a host (what ingress-nginx accepts for permanent/temporal redirects). */
export function checkRedirectURL(value: string): string | undefined {
  if (value.length > 2048) return 'longer than 2048 characters';
  if (!/^https?:\/\//.test(value)) return 'must be an absolute http:// or https:// URL';
  if (!/^https?:\/\/[A-Za-z0-9[]/.test(value)) return 'must name a host after the scheme';
  if (!URL_RE.test(value)) return 'only URL characters are allowed (no spaces, quotes, "$", ";", braces or backslashes)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a valid URL';
  }
  if (!url.hostname) return 'must name a host';
  return undefined;
}
