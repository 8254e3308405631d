import type { BackendProtocol } from '../types.js';
import { AnnotationError, type AnnotationFamily } from './types.js';

export interface BackendProtocolAnnotation {
  /** backend-protocol: how nginx talks to the Service (HTTP, HTTPS, GRPC, GRPCS). */
  protocol: BackendProtocol;
}

const PROTOCOLS: Record<string, BackendProtocol> = {
  HTTP: 'HTTP',
  HTTPS: 'HTTPS',
  GRPC: 'GRPC',
  GRPCS: 'GRPCS',
  // AUTO_HTTP lets ingress-nginx pick the upstream HTTP version; nginx proxies with HTTP/1.1 either way.
  AUTO_HTTP: 'HTTP',
};

export const backendProtocolFamily: AnnotationFamily<BackendProtocolAnnotation> = {
  keys: ['backend-protocol'],
  parse(input) {
    const raw = input.get('backend-protocol');
    if (raw === undefined) return { protocol: 'HTTP' };
    const v = raw.trim().toUpperCase();
    const protocol = PROTOCOLS[v];
    if (!protocol) {
      const why = v === 'FCGI' ? 'FCGI is not supported by Portico' : 'must be HTTP, HTTPS, GRPC, GRPCS or AUTO_HTTP';
      throw new AnnotationError('backend-protocol', why);
    }
    return { protocol };
  },
};
