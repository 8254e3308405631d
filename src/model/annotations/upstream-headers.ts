import { checkHost, checkLiteralPath } from '../validate.js';
import { AnnotationError, type AnnotationFamily } from './types.js';

export interface UpstreamHeadersAnnotation {
  /** upstream-vhost: the Host header sent to the backend instead of the client's. */
  vhost: string | undefined;
  /** x-forwarded-prefix: sent to the backend as X-Forwarded-Prefix. */
  xForwardedPrefix: string | undefined;
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

export const upstreamHeadersFamily: AnnotationFamily<UpstreamHeadersAnnotation> = {
  keys: ['upstream-vhost', 'x-forwarded-prefix'],
  parse(input) {
    const vhostRaw = input.get('upstream-vhost');
    let vhost: string | undefined;
    if (vhostRaw !== undefined) {
      vhost = vhostRaw.trim().toLowerCase();
      const reason = checkVhost(vhost);
      if (reason) throw new AnnotationError('upstream-vhost', reason);
    }
    const prefixRaw = input.get('x-forwarded-prefix');
    let xForwardedPrefix: string | undefined;
    if (prefixRaw !== undefined) {
      xForwardedPrefix = prefixRaw.trim();
      const reason = checkLiteralPath(xForwardedPrefix);
      if (reason) throw new AnnotationError('x-forwarded-prefix', reason);
    }
    return { vhost, xForwardedPrefix };
  },
};
