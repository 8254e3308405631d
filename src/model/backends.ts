import type { Snapshot } from '../store/snapshot.js';
import type { EndpointSlice, IngressBackend } from '../store/types.js';
import { checkEndpointAddress, type EndpointAddressRules } from './endpoint-addresses.js';
import type { Backend, IngressRef, ModelOptions, Upstream, UpstreamEndpoint } from './types.js';
import { checkObjectName, checkPortName, checkPortNumber } from './validate.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const sliceIndexes = new WeakMap<Snapshot['endpointSlices'], Map<string, EndpointSlice[]>>();

/** EndpointSlices by `namespace/service`, indexed once per snapshot (a scan per path is quadratic at scale). */
function slicesOfService(snapshot: Snapshot, namespace: string, service: string): EndpointSlice[] {
  let index = sliceIndexes.get(snapshot.endpointSlices);
  if (!index) {
    index = new Map();
    for (const slice of snapshot.endpointSlices.values()) {
      const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (!svc) continue;
      const key = `${slice.metadata?.namespace ?? ''}/${svc}`;
      const list = index.get(key) ?? [];
      list.push(slice);
      index.set(key, list);
    }
    sliceIndexes.set(snapshot.endpointSlices, index);
  }
  return index.get(`${namespace}/${service}`) ?? [];
}

/** A problem with the backend's own fields: the path (or Ingress) is rejected. */
export interface BackendFieldError {
  field: string;
  reason: string;
}

export function checkBackendFields(backend: IngressBackend | undefined, field: string): BackendFieldError | undefined {
  if (!backend) return { field, reason: 'a backend is required' };
  if (backend.resource) return { field: `${field}.resource`, reason: 'resource backends are not supported; use a Service' };
  const svc = backend.service;
  if (!svc) return { field: `${field}.service`, reason: 'a service backend is required' };
  const nameReason = checkObjectName(svc.name);
  if (nameReason) return { field: `${field}.service.name`, reason: nameReason };
  if (svc.name!.includes('.')) return { field: `${field}.service.name`, reason: 'must be a DNS label (no ".")' };
  const port = svc.port;
  if (!port || (port.number === undefined && !port.name)) {
    return { field: `${field}.service.port`, reason: 'a port number or name is required' };
  }
  if (port.number !== undefined) {
    const r = checkPortNumber(port.number);
    if (r) return { field: `${field}.service.port.number`, reason: r };
  } else {
    const r = checkPortName(port.name!);
    if (r) return { field: `${field}.service.port.name`, reason: r };
  }
  return undefined;
}

/** An endpoint (or a slice port) left out, naming the EndpointSlice and its field. */
export interface EndpointIssue {
  /** e.g. `EndpointSlice default/web-abc12`. */
  object: string;
  /** e.g. `endpoints[0].addresses[1]`. */
  field: string;
  reason: string;
}

/** How endpoints are checked while a Service is resolved, and where what is left out is told. */
export interface EndpointChecks {
  rules: EndpointAddressRules;
  report(issue: EndpointIssue): void;
}

/**
 * The address rules the operator's options give (ModelOptions.allowLoopbackEndpoints) and the ports a
 * loopback endpoint may never use: the controller's (status, metrics, debug), and nginx's own traffic ports,
 * where a request would be proxied back to nginx until its worker connections ran out.
 */
export function endpointRulesFrom(options: ModelOptions): EndpointAddressRules {
  const ports = [options.httpPort, options.httpsPort, options.statusPort, ...(options.controllerPorts ?? [])].filter((p): p is number => typeof p === 'number' && p > 0);
  return { allowLoopback: options.allowLoopbackEndpoints === true, ownPorts: ports };
}

/** The list, an empty one for a missing field, or undefined for a field that is not a list. */
function listOf<T>(value: T[] | null | undefined): T[] | undefined {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : undefined;
}

export interface ResolvedService {
  /** A key for (namespace, service, port); the upstream's name is derived from it. */
  key: string;
  service: IngressRef;
  servicePort: string;
  endpoints: UpstreamEndpoint[];
  /** Set when no request can be served: 503 with this reason. */
  unavailable?: string;
}

/**
 * Resolves a validated service backend to its endpoints: the Service port (by number or name), the
 * EndpointSlices labelled with the Service, the slice port with the Service port's name, ready endpoints,
 * or serving-and-terminating ones when none is ready. An address or port nginx cannot use, or that
 * `checks.rules` refuse, is left out and reported through `checks.report`; the other endpoints stay.
 */
export function resolveService(namespace: string, backend: IngressBackend, snapshot: Snapshot, checks: EndpointChecks): ResolvedService {
  const name = backend.service!.name!;
  const port = backend.service!.port!;
  const portLabel = port.number !== undefined ? String(port.number) : port.name!;
  const service: IngressRef = { namespace, name };
  // Namespaces, Service names and port names hold no ".", so the key is unambiguous.
  const key = `${namespace}.${name}.${portLabel}`;
  const base = { key, service, servicePort: portLabel, endpoints: [] as UpstreamEndpoint[] };
  const svc = snapshot.services.get(`${namespace}/${name}`);
  if (!svc) return { ...base, unavailable: `Service ${namespace}/${name} not found` };
  const svcPort = (svc.spec?.ports ?? []).find((p) => (port.number !== undefined ? p.port === port.number : p.name === port.name));
  if (!svcPort) return { ...base, unavailable: `Service ${namespace}/${name} has no port ${portLabel}` };
  const portName = svcPort.name ?? '';

  const ready = new Map<string, UpstreamEndpoint>();
  const terminating = new Map<string, UpstreamEndpoint>();
  for (const slice of slicesOfService(snapshot, namespace, name)) {
    if (slice.addressType && slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const object = `EndpointSlice ${slice.metadata?.namespace ?? ''}/${slice.metadata?.name ?? ''}`;
    // A manifest is any YAML: a field of the wrong shape is reported, never a crash.
    const ports = listOf(slice.ports);
    const endpoints = listOf(slice.endpoints);
    if (!ports || !endpoints) {
      checks.report({ object, field: ports ? 'endpoints' : 'ports', reason: 'must be a list' });
      continue;
    }
    const portIndex = ports.findIndex((p) => (p?.name ?? '') === portName);
    if (portIndex < 0) continue;
    const port = ports[portIndex]!.port;
    const portReason = checkPortNumber(port);
    if (portReason) {
      checks.report({ object, field: `ports[${portIndex}].port`, reason: `${portReason}; the slice's endpoints are left out` });
      continue;
    }
    endpoints.forEach((ep, i) => {
      const addresses = listOf(ep?.addresses);
      if (!addresses) return checks.report({ object, field: `endpoints[${i}].addresses`, reason: 'must be a list' });
      const cond = ep?.conditions ?? {};
      const isReady = cond.ready !== false;
      const isServingTerminating = cond.serving !== false && cond.terminating === true;
      const target = isReady ? ready : isServingTerminating ? terminating : undefined;
      if (!target) return;
      addresses.forEach((address, j) => {
        const reason = checkEndpointAddress(address, slice.addressType, port as number, checks.rules);
        if (reason) return checks.report({ object, field: `endpoints[${i}].addresses[${j}]`, reason: `${reason}; the endpoint is left out` });
        target.set(`${address}|${port}`, { address, port: port as number });
      });
    });
  }
  const chosen = ready.size > 0 ? ready : terminating;
  const endpoints = [...chosen.values()].sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  if (endpoints.length === 0) return { ...base, unavailable: `Service ${namespace}/${name} port ${portLabel} has no ready endpoints` };
  return { ...base, endpoints };
}

/** Turns a resolved service into a location backend, registering its upstream once. */
export function backendFor(
  resolved: ResolvedService,
  upstreams: Map<string, Upstream>,
  /** `dynamicEndpoints`: round-robin upstreams take their endpoints from the controller's pushes (ModelOptions.dynamicEndpoints). */
  defaults: { keepalive: number; keepaliveTimeoutSeconds: number; dynamicEndpoints: boolean },
  /**
   * How the upstream picks an endpoint; a non-default policy gets its own upstream (name + suffix). `facts`:
   * what a feature records on the upstream for a later step (features/traffic.ts: the affinity key).
   */
  policy: { loadBalance: Upstream['loadBalance']; hashBy: string | undefined; suffix: string; facts?: Partial<Upstream> } = { loadBalance: 'round_robin', hashBy: undefined, suffix: '' },
): Backend {
  if (resolved.unavailable) return { kind: 'unavailable', status: 503, reason: resolved.unavailable };
  const name = `${resolved.key}${policy.suffix}`;
  if (!upstreams.has(name)) {
    upstreams.set(name, {
      name,
      service: resolved.service,
      servicePort: resolved.servicePort,
      endpoints: resolved.endpoints,
      loadBalance: policy.loadBalance,
      hashBy: policy.hashBy,
      keepalive: defaults.keepalive,
      keepaliveTimeoutSeconds: defaults.keepaliveTimeoutSeconds,
      dynamic: defaults.dynamicEndpoints && policy.loadBalance === 'round_robin',
      ...policy.facts,
    });
  }
  return { kind: 'upstream', upstream: name, protocol: 'HTTP' };
}
