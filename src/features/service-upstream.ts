import type { Snapshot } from '../store/snapshot.js';
import type { IngressBackend } from '../store/types.js';
import { resolveService, type EndpointChecks, type ResolvedService } from '../model/backends.js';
import { checkEndpointAddress } from '../model/endpoint-addresses.js';
import { checkPortNumber } from '../model/validate.js';
import { boolAnnotation, boolGlobal, globalsByKey, type Feature } from './feature.js';

export interface ServiceUpstreamAnnotation {
  /** service-upstream: proxy to the Service's cluster IP and port instead of its endpoints. */
  enabled: boolean;
}

/** The ConfigMap's service-upstream: every Ingress's default. */
export interface ServiceUpstreamGlobals {
  enabled: boolean;
}

declare module '../model/types.js' {
  interface FeatureValues {
    serviceUpstream: ServiceUpstreamAnnotation;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    serviceUpstream: ServiceUpstreamGlobals;
  }
}

export const serviceUpstreamFeature: Feature<ServiceUpstreamAnnotation, ServiceUpstreamGlobals> = {
  name: 'service-upstream',
  keys: ['service-upstream'],
  globals: globalsByKey<ServiceUpstreamGlobals>({ enabled: false }, { 'service-upstream': boolGlobal('enabled') }),
  hooks: {
    resolve: (namespace, backend, values, ctx) => resolveServiceUpstream(namespace, backend, ctx.snapshot, values, ctx.warn, ctx.checks),
  },
  parse(input, globals) {
    // As ingress-nginx: the ConfigMap key is every Ingress's default, the annotation overrides it either way.
    return { enabled: boolAnnotation(input, 'service-upstream') ?? globals.enabled };
  },
};

/**
 * With service-upstream, the upstream is the Service's clusterIP:port (one server; kube-proxy balances).
 * Returns undefined when the annotation is off; falls back to the endpoints, with a warning, for a headless
 * Service or one without a cluster IP.
 */
function resolveServiceUpstream(
  namespace: string,
  backend: IngressBackend,
  snapshot: Snapshot,
  annotations: { serviceUpstream: ServiceUpstreamAnnotation } | undefined,
  warn: (message: string) => void,
  checks: EndpointChecks,
): ResolvedService | undefined {
  if (!annotations?.serviceUpstream.enabled) return undefined;
  const byEndpoints = resolveService(namespace, backend, snapshot, checks);
  const svc = snapshot.services.get(`${namespace}/${backend.service?.name ?? ''}`);
  const port = (svc?.spec?.ports ?? []).find((p) => (backend.service?.port?.number !== undefined ? p.port === backend.service.port.number : p.name === backend.service?.port?.name));
  if (!svc || !port?.port) return byEndpoints;
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') {
    warn(`service-upstream: Service ${namespace}/${svc.metadata?.name} has no cluster IP; its endpoints are used`);
    return byEndpoints;
  }
  // The same rules as for endpoints: the cluster IP reaches a server line too.
  const portReason = checkPortNumber(port.port);
  const ipReason = portReason ? undefined : checkEndpointAddress(ip, undefined, port.port, checks.rules);
  if (portReason || ipReason) {
    warn(`service-upstream: ${portReason ? `spec.ports: port ${JSON.stringify(port.port)} ${portReason}` : `spec.clusterIP: ${ipReason}`}; its endpoints are used`);
    return byEndpoints;
  }
  return { key: `${byEndpoints.key}.clusterip`, service: byEndpoints.service, servicePort: byEndpoints.servicePort, endpoints: [{ address: ip, port: port.port }] };
}
