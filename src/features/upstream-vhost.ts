import { checkHost, describeBadChar } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

export interface UpstreamHeadersAnnotation {
  /** upstream-vhost: the Host header sent to the backend instead of the client's. */
  vhost: string | undefined;
  /** x-forwarded-prefix: sent to the backend as X-Forwarded-Prefix (a literal, or the variable below). */
  xForwardedPrefix: string | undefined;
  /**
   * x-forwarded-prefix with `$1`..`$9` (the path regex's capture groups, as ingress-nginx allows): the
   * location copies it into `$portico_forwarded_prefix` before its rewrite, so a later regex (a canary
   * pattern map) cannot change the captures before the header is built.
   */
  xForwardedPrefixCaptures: string | undefined;
}

const FORWARDED_PREFIX_VARIABLE = 'portico_forwarded_prefix';

/** URI characters and `$1`..`$9`; ingress-nginx allows a value without a leading "/" too. */
const FORWARDED_PREFIX_RE = /^[A-Za-z0-9\-._~%!&()*+,=:@/$]*$/;

function checkForwardedPrefix(value: string): string | undefined {
  if (value.length > 2048) return 'longer than 2048 characters';
  if (!FORWARDED_PREFIX_RE.test(value)) return describeBadChar(value);
  if (/\$(?![1-9])/.test(value)) return '"$" must be followed by a capture group number 1-9';
  if (/(^|\/)\.\.?(\/|$)/.test(value)) return 'must not contain "." or ".." segments';
  return undefined;
}

/** A DNS name with an optional port, e.g. `api.internal` or `api.internal:8080`. */
export function checkVhost(value: string): string | undefined {
  const m = /^([^:]*)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return 'must be a DNS name with an optional :port';
  const reason = checkHost(m[1]!);
  if (reason) return reason;
  if (m[1]!.startsWith('*.')) return 'must not be a wildcard';
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return 'port must be from 1 to 65535';
  return undefined;
}

declare module '../model/types.js' {
  interface FeatureValues {
    upstreamHeaders: UpstreamHeadersAnnotation;
  }
}

export const upstreamVhostFeature: Feature<UpstreamHeadersAnnotation> = {
  name: 'upstream-vhost',
  keys: ['upstream-vhost', 'x-forwarded-prefix'],
  hooks: {
    backend(b, { annotations: { upstreamHeaders: h } }) {
      if (b.kind !== 'upstream') return b;
      // The TLS server name (SNI) of an HTTPS or GRPCS backend is the vhost without its port.
      return { ...b, hostHeader: h.vhost, sslName: h.vhost?.replace(/:\d+$/, ''), forwardedPrefix: h.xForwardedPrefix };
    },
    setsProxyHeader: ({ backend: b }) => b.kind === 'upstream' && Boolean(b.hostHeader || b.forwardedPrefix),
  },
  parse(input) {
    const vhostRaw = input.get('upstream-vhost');
    let vhost: string | undefined;
    if (vhostRaw !== undefined) {
      vhost = vhostRaw.trim().toLowerCase();
      const reason = checkVhost(vhost);
      if (reason) throw new AnnotationError('upstream-vhost', reason);
    }
    const prefix = input.get('x-forwarded-prefix')?.trim();
    if (prefix !== undefined) {
      const reason = checkForwardedPrefix(prefix);
      if (reason) throw new AnnotationError('x-forwarded-prefix', reason);
    }
    // "" sends no header, as in ingress-nginx.
    if (prefix === undefined || prefix === '') return { vhost, xForwardedPrefix: undefined, xForwardedPrefixCaptures: undefined };
    if (!prefix.includes('$')) return { vhost, xForwardedPrefix: prefix, xForwardedPrefixCaptures: undefined };
    return { vhost, xForwardedPrefix: `$${FORWARDED_PREFIX_VARIABLE}`, xForwardedPrefixCaptures: prefix };
  },
};
