import type { BackendProtocol } from '../model/types.js';
import { parseFastcgi, type FastcgiSettings } from './fastcgi.js';
import { AnnotationError, type Feature } from './feature.js';

export interface BackendProtocolAnnotation {
  /** backend-protocol: how nginx talks to the Service (HTTP, HTTPS, GRPC, GRPCS, FCGI). */
  protocol: BackendProtocol;
  /** FCGI only: fastcgi-index and the fastcgi-params-configmap parameters (features/fastcgi.ts). */
  fastcgi?: FastcgiSettings;
}

const PROTOCOLS: Record<string, BackendProtocol> = {
  HTTP: 'HTTP',
  HTTPS: 'HTTPS',
  GRPC: 'GRPC',
  GRPCS: 'GRPCS',
  FCGI: 'FCGI',
  // AUTO_HTTP lets ingress-nginx pick the upstream HTTP version; nginx proxies with HTTP/1.1 either way.
  AUTO_HTTP: 'HTTP',
};

declare module '../model/types.js' {
  interface UpstreamBackend {
    /** backend-protocol FCGI: fastcgi_index and every fastcgi_param (fastcgi.ts). */
    fastcgi?: FastcgiSettings;
  }
  interface FeatureValues {
    backendProtocol: BackendProtocolAnnotation;
  }
}

export const backendProtocolFeature: Feature<BackendProtocolAnnotation> = {
  name: 'backend-protocol',
  keys: ['backend-protocol', 'fastcgi-index', 'fastcgi-params-configmap'],
  hooks: {
    backend: (b, { annotations }) => (b.kind === 'upstream' ? { ...b, protocol: annotations.backendProtocol.protocol, fastcgi: annotations.backendProtocol.fastcgi } : b),
  },
  parse(input) {
    const raw = input.get('backend-protocol');
    const v = raw === undefined ? 'HTTP' : raw.trim().toUpperCase();
    const protocol = PROTOCOLS[v];
    if (!protocol) throw new AnnotationError('backend-protocol', 'must be HTTP, HTTPS, GRPC, GRPCS, FCGI or AUTO_HTTP');
    if (protocol === 'FCGI') return { protocol, fastcgi: parseFastcgi(input) };
    // As in ingress-nginx, the fastcgi-* keys only matter beside backend-protocol: FCGI.
    const stray = ['fastcgi-index', 'fastcgi-params-configmap'].filter((k) => input.get(k) !== undefined);
    if (stray.length > 0) input.warn(`${stray.join(' and ')} ${stray.length > 1 ? 'are' : 'is'} ignored without backend-protocol: FCGI`);
    return { protocol };
  },
};
