import type { Snapshot } from '../store/snapshot.js';
import type { Ingress } from '../store/types.js';
import {
  isSecondary,
  isSecondaryRaw,
  parseAnnotations,
  parseGlobalConfig,
  pathBackend,
  regexPathsKey,
  rewriteTargetOf,
  resolveByFeatures,
  runAcceptedHooks,
  runFinishHooks,
  runLocationHooks,
  runServerHooks,
  serverLevelKeys,
  setsOwnProxyHeader,
  upstreamChoice,
  valuesForDefaultBackend,
} from '../features/registry.js';
import { backendFor, checkBackendFields, endpointRulesFrom, resolveService, type EndpointChecks } from './backends.js';
import type { GlobalConfig } from './config.js';
import { compareHosts, hostOwnerNamespaces, serverNamesFor } from './hosts.js';
import { LIMITS } from './limits.js';
import { isOwnedIngress, missingClassWarnings } from './ownership.js';
import { buildLocations, needsFallbackLocation, PATH_TYPES, type PathEntry, type PathType } from './paths.js';
import { SELF_SIGNED_CERT_PATH, certificateFromSecret } from './tls.js';
import { dynamicEndpointsOn } from './dynamic-endpoints.js';
import type { Backend, FeatureValues as IngressAnnotations, IngressRef, ModelOptions, ModelWarning, NginxModel, Rejection, Server, ServerTLS, StateFile, Upstream } from './types.js';
import { refString } from './types.js';
import { checkHost, checkLiteralPath, checkNamespace, checkObjectName, checkRegexPath } from './validate.js';

/** An Ingress that passed validation, with what it asks for. */
interface AcceptedIngress {
  ref: IngressRef;
  rank: number;
  ingress: Ingress;
  annotations: IngressAnnotations;
  /** The annotation that makes its paths regexes (Feature.regexPaths), if any. */
  regexKey: string | undefined;
  /** host → TLS Secret name, from spec.tls. */
  tlsSecrets: Map<string, string>;
  /** host → the spec.tls field that names it first, for rejections. */
  tlsFields: Map<string, string>;
}

class IngressRejected extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

function timestamp(ingress: Ingress): string {
  const t = ingress.metadata?.creationTimestamp;
  if (t instanceof Date) return t.toISOString();
  return typeof t === 'string' ? new Date(t).toISOString() : '';
}

/** Oldest first (creationTimestamp), then namespace/name: the order that settles conflicts. */
function compareIngressAge(a: Ingress, b: Ingress): number {
  const ta = timestamp(a);
  const tb = timestamp(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Hosts on which an Ingress of the host's own namespace asks for regex paths (use-regex or rewrite-target):
 * the whole host is in regex mode. Another namespace's request is not counted: one broad regex such as
 * `/.*` would otherwise turn the owner's prefix paths into regexes that it outranks.
 */
function regexModeHosts(candidates: Array<{ ingress: Ingress; ref: IngressRef; regexKey: string | undefined }>, owners: Map<string, string>): Set<string> {
  const hosts = new Set<string>();
  for (const c of candidates) {
    if (c.regexKey === undefined) continue;
    for (const rule of c.ingress.spec?.rules ?? []) {
      const host = rule.host ?? '';
      if ((owners.get(host) ?? c.ref.namespace) === c.ref.namespace) hosts.add(host);
    }
  }
  return hosts;
}

function ownedBy(namespace: string): string {
  return `belongs to namespace ${namespace} (the namespace of its oldest Ingress)`;
}

/** Checks the Ingress's own fields; throws IngressRejected naming the first bad one. */
function validateIngressFields(ingress: Ingress, regexHosts: (host: string) => boolean, ownRegex: boolean): { tlsSecrets: Map<string, string>; tlsFields: Map<string, string> } {
  const rules = ingress.spec?.rules ?? [];
  if (rules.length > LIMITS.rulesPerIngress) throw new IngressRejected('spec.rules', `more than ${LIMITS.rulesPerIngress} rules`);
  const pathCount = rules.reduce((n, r) => n + (r.http?.paths?.length ?? 0), 0);
  if (pathCount > LIMITS.pathsPerIngress) throw new IngressRejected('spec.rules', `${pathCount} paths; at most ${LIMITS.pathsPerIngress} are allowed in one Ingress`);
  rules.forEach((rule, i) => {
    const host = rule.host ?? '';
    if (host !== '') {
      const reason = checkHost(host);
      if (reason) throw new IngressRejected(`spec.rules[${i}].host`, reason);
    }
    const regex = ownRegex || regexHosts(host);
    (rule.http?.paths ?? []).forEach((p, j) => {
      const field = `spec.rules[${i}].http.paths[${j}]`;
      if (!PATH_TYPES.includes(p.pathType as PathType)) {
        throw new IngressRejected(`${field}.pathType`, 'must be Exact, Prefix or ImplementationSpecific');
      }
      const path = p.path ?? '/';
      const reason = regex && p.pathType !== 'Exact' ? checkRegexPath(path) : checkLiteralPath(path);
      if (reason) throw new IngressRejected(`${field}.path`, reason);
      const backendError = checkBackendFields(p.backend, `${field}.backend`);
      if (backendError) throw new IngressRejected(backendError.field, backendError.reason);
    });
  });
  if (ingress.spec?.defaultBackend) {
    const e = checkBackendFields(ingress.spec.defaultBackend, 'spec.defaultBackend');
    if (e) throw new IngressRejected(e.field, e.reason);
  }
  const tlsSecrets = new Map<string, string>();
  const tlsFields = new Map<string, string>();
  (ingress.spec?.tls ?? []).forEach((tls, i) => {
    if (tls.secretName !== undefined) {
      const reason = checkObjectName(tls.secretName);
      if (reason) throw new IngressRejected(`spec.tls[${i}].secretName`, reason);
    }
    (tls.hosts ?? []).forEach((host, j) => {
      const reason = checkHost(host);
      if (reason) throw new IngressRejected(`spec.tls[${i}].hosts[${j}]`, reason);
      if (tls.secretName && !tlsSecrets.has(host)) {
        tlsSecrets.set(host, tls.secretName);
        tlsFields.set(host, `spec.tls[${i}].hosts[${j}]`);
      }
    });
  });
  return { tlsSecrets, tlsFields };
}

/**
 * The pure heart of Portico: a snapshot of the cluster in, the nginx model out, with every owned Ingress
 * either accepted or rejected with reasons. The same snapshot always gives the same model.
 */
export function buildModel(snapshot: Snapshot, options: ModelOptions): NginxModel {
  const rejections: Rejection[] = [];
  const warnings: ModelWarning[] = [];
  const files: StateFile[] = [];
  const upstreams = new Map<string, Upstream>();

  let configMap;
  if (options.configMap) {
    configMap = snapshot.configMaps.get(options.configMap);
    if (!configMap) warnings.push({ object: `ConfigMap ${options.configMap}`, message: 'not found; defaults are used' });
  }
  const { config, issues } = parseGlobalConfig(configMap);
  for (const issue of issues) warnings.push({ object: `ConfigMap ${options.configMap}`, message: `${issue.key}: ${issue.reason}` });

  const defaultCertificate = resolveDefaultCertificate(snapshot, options, files, warnings);

  const owned = [...snapshot.ingresses.values()].filter((ing) => isOwnedIngress(ing, snapshot, options)).sort(compareIngressAge);
  warnings.push(...missingClassWarnings(snapshot.ingresses.values(), snapshot, options));
  const hostOwners = hostOwnerNamespaces(
    owned
      .filter((ing) => !checkNamespace(ing.metadata?.namespace ?? '') && !checkObjectName(ing.metadata?.name ?? ''))
      .map((ing) => ({
        namespace: ing.metadata!.namespace!,
        hosts: (ing.spec?.rules ?? []).map((r) => r.host ?? ''),
        canary: isSecondaryRaw(annotationReader(ing, options.annotationsPrefix)),
      })),
  );

  // Pass 1: metadata and annotations, so that pass 2 knows which hosts are in regex mode.
  const candidates: Array<{ ingress: Ingress; ref: IngressRef; annotations: IngressAnnotations; regexKey: string | undefined; files: StateFile[] }> = [];
  for (const ingress of owned) {
    const ref: IngressRef = { namespace: ingress.metadata?.namespace ?? '', name: ingress.metadata?.name ?? '' };
    const metaReason = checkNamespace(ref.namespace) ?? checkObjectName(ref.name);
    if (metaReason) {
      rejections.push({ ingress: ref, field: 'metadata', reason: metaReason, whole: true });
      continue;
    }
    const ingressFiles: StateFile[] = [];
    const result = parseAnnotations({ ingress, ref, snapshot, config, options, addFile: (f) => ingressFiles.push(f) }, ref);
    warnings.push(...result.warnings);
    if (result.error || !result.annotations) {
      const e = result.error!;
      rejections.push({ ingress: ref, field: `metadata.annotations[${options.annotationsPrefix}/${e.annotation}]`, reason: e.reason, whole: true });
      continue;
    }
    const regexKey = regexPathsKey(result.annotations, annotationReader(ingress, options.annotationsPrefix));
    candidates.push({ ingress, ref, annotations: result.annotations, regexKey, files: ingressFiles });
  }
  const regexCandidates = candidates.map((c, rank) => ({ ...c, rank }));
  const regexHostSet = regexModeHosts(regexCandidates, hostOwners);
  const regexHosts = (host: string): boolean => regexHostSet.has(host);

  // Pass 2: fields, with each host's path mode known.
  const accepted: AcceptedIngress[] = [];
  for (const c of regexCandidates) {
    try {
      const tls = validateIngressFields(c.ingress, regexHosts, c.regexKey !== undefined);
      accepted.push({ ...c, ...tls });
      files.push(...c.files);
    } catch (err) {
      if (!(err instanceof IngressRejected)) throw err;
      rejections.push({ ingress: c.ref, field: err.field, reason: err.reason, whole: true });
    }
  }

  const upstreamDefaults = {
    keepalive: config.upstreamKeepaliveConnections,
    keepaliveTimeoutSeconds: config.upstreamKeepaliveTimeoutSeconds,
    dynamicEndpoints: dynamicEndpointsOn(options),
  };
  // An endpoint left out is told once per sync, however many paths use its Service.
  const endpointIssues = new Set<string>();
  const endpointChecks: EndpointChecks = {
    rules: endpointRulesFrom(options),
    report: (issue) => {
      const message = `${issue.field}: ${issue.reason}`;
      if (endpointIssues.has(`${issue.object}|${message}`)) return;
      endpointIssues.add(`${issue.object}|${message}`);
      warnings.push({ object: issue.object, message });
    },
  };
  const backendOf = (namespace: string, b: NonNullable<Ingress['spec']>['defaultBackend'], annotations?: IngressAnnotations): Backend => {
    const warn = (message: string) => warnings.push({ object: `Service ${namespace}/${b?.service?.name ?? ''}`, message });
    const resolved = resolveByFeatures(namespace, b!, annotations, { snapshot, checks: endpointChecks, warn }) ?? resolveService(namespace, b!, snapshot, endpointChecks);
    return backendFor(resolved, upstreams, upstreamDefaults, upstreamChoice(annotations, config));
  };

  // The oldest Ingress with spec.defaultBackend answers requests for hosts that no rule names (the catch-all
  // server). A named host's unmatched paths are answered by the spec.defaultBackend of the host's oldest
  // Ingress of the owning namespace that has one, else 404: as in ingress-nginx, a rule-less Ingress never
  // answers for another host, so no tenant can catch the unmatched paths of every host.
  const notFound: Server['fallback'] = { kind: 'status', status: 404 };
  const defaultBackends = new Map<AcceptedIngress, Backend>();
  const defaultBackendOf = (a: AcceptedIngress): Backend => {
    if (!defaultBackends.has(a)) defaultBackends.set(a, backendOf(a.ref.namespace, a.ingress.spec!.defaultBackend, a.annotations));
    return defaultBackends.get(a)!;
  };
  // A canary Ingress never becomes the catch-all (ingress-nginx e2e canary.go: "should not use canary as a
  // catch-all server"), even when it is the oldest one with spec.defaultBackend.
  const withDefault = accepted.find((a) => a.ingress.spec?.defaultBackend && !isSecondary(a.annotations));
  for (const a of accepted.filter((c) => c.ingress.spec?.defaultBackend && isSecondary(c.annotations))) {
    warnings.push({ object: `Ingress ${refString(a.ref)}`, ingress: a.ref, message: 'spec.defaultBackend of a canary Ingress is not used: a canary never becomes a default backend' });
  }
  const fallback: Server['fallback'] = withDefault ? defaultBackendOf(withDefault) : notFound;
  const hostDefaults = new Map<string, AcceptedIngress>();
  for (const a of accepted) {
    if (!a.ingress.spec?.defaultBackend || isSecondary(a.annotations)) continue;
    for (const rule of a.ingress.spec.rules ?? []) {
      const host = rule.host ?? '';
      if (host !== '' && hostOwners.get(host) === a.ref.namespace && !hostDefaults.has(host)) hostDefaults.set(host, a);
    }
  }
  const usedDefaults = new Set([withDefault, ...hostDefaults.values()]);
  for (const other of accepted.filter((a) => !usedDefaults.has(a) && a.ingress.spec?.defaultBackend && !isSecondary(a.annotations))) {
    const already = `the catch-all default backend is already set by Ingress ${refString(withDefault!.ref)}, which is older`;
    rejections.push({
      ingress: other.ref,
      field: 'spec.defaultBackend',
      reason: (other.ingress.spec?.rules ?? []).length === 0
        ? already
        : `${already}, and none of this Ingress's hosts uses it (a host's unmatched paths go to the default backend of its oldest Ingress that has one, in the namespace that owns the host)`,
      whole: false,
    });
  }
  runAcceptedHooks({ accepted, fallback, backendOf: (ns, b) => backendOf(ns, b), snapshot, config, warnings });

  // Gather paths per host.
  const entriesByHost = new Map<string, PathEntry[]>();
  const ingressesByHost = new Map<string, IngressRef[]>();
  let rank = 0;
  for (const a of accepted) {
    const foreignHosts = new Set<string>();
    const roles = { secondary: isSecondary(a.annotations), rewriteTarget: rewriteTargetOf(a.annotations) };
    (a.ingress.spec?.rules ?? []).forEach((rule, i) => {
      const host = rule.host ?? '';
      const owner = hostOwners.get(host);
      if (owner !== undefined && owner !== a.ref.namespace) {
        // Another namespace's host: regex mode and server-level settings are not this Ingress's to set.
        if (!foreignHosts.has(host)) {
          foreignHosts.add(host);
          rejections.push(...foreignHostRejections(a, host, owner, options.annotationsPrefix));
        }
        if (a.regexKey !== undefined) return;
      }
      if (!ingressesByHost.has(host)) ingressesByHost.set(host, []);
      const refs = ingressesByHost.get(host)!;
      if (refs[refs.length - 1] !== a.ref) refs.push(a.ref);
      (rule.http?.paths ?? []).forEach((p, j) => {
        if (owner !== undefined && owner !== a.ref.namespace && regexHosts(host) && p.pathType !== 'Exact') {
          // nginx tries regexes longest first, so another namespace's regex could outrank the owner's paths.
          rejections.push({
            ingress: a.ref,
            field: `spec.rules[${i}].http.paths[${j}]`,
            reason: `host ${JSON.stringify(host)} is in regex mode, which ${ownedBy(owner)}; a Prefix or ImplementationSpecific path of another namespace there would be a regex that can outrank its paths (Exact paths are served)`,
            whole: false,
          });
          return;
        }
        const entries = entriesByHost.get(host) ?? [];
        entries.push({
          ingress: a.ref,
          rank: rank++,
          field: `spec.rules[${i}].http.paths[${j}]`,
          path: p.path ?? '/',
          pathType: p.pathType as PathType,
          backend: pathBackend(backendOf(a.ref.namespace, p.backend, a.annotations), { ingress: a.ref, annotations: a.annotations, ingressBackend: p.backend }),
          annotations: a.annotations,
          ...roles,
        });
        entriesByHost.set(host, entries);
      });
    });
  }

  // The oldest Ingress of the owning namespace that defines a host (server-level annotations), and the
  // oldest of that namespace that has TLS for it. Another namespace naming the host in spec.tls would force
  // its https redirect and serve a certificate of that namespace's choosing: rejected for that part.
  const ownerByHost = new Map<string, AcceptedIngress>();
  const tlsOwnerByHost = new Map<string, AcceptedIngress>();
  for (const a of accepted) {
    // A canary Ingress's other annotations are not used (ingress-nginx): it never owns the server.
    for (const rule of a.ingress.spec?.rules ?? []) {
      const host = rule.host ?? '';
      if (!ownerByHost.has(host) && !isSecondary(a.annotations) && hostOwners.get(host) === a.ref.namespace) ownerByHost.set(host, a);
    }
    for (const host of a.tlsSecrets.keys()) {
      const owner = hostOwners.get(host);
      if (owner !== undefined && owner !== a.ref.namespace) {
        rejections.push({ ingress: a.ref, field: a.tlsFields.get(host)!, reason: `the TLS of host ${JSON.stringify(host)} ${ownedBy(owner)}; not used`, whole: false });
        continue;
      }
      if (!tlsOwnerByHost.has(host)) tlsOwnerByHost.set(host, a);
    }
  }

  // As ingress-nginx's root location: a host whose Ingress gives it spec.defaultBackend and no `/` path gets a
  // Prefix `/` to that backend carrying that Ingress's annotations (its e2e defaultbackend/with_hosts.go:
  // proxy-buffer-size 8k there), instead of the bare fallback location. Its rewrite-target and redirects stay
  // with the Ingress's own paths (as ingress-nginx keeps them off its catch-all): unmatched paths reach the
  // default backend unchanged.
  for (const [host, owner] of hostDefaults) {
    const entries = entriesByHost.get(host) ?? [];
    if (entries.some((e) => e.path === '/' && e.pathType !== 'Exact')) continue;
    const backend = owner.ingress.spec!.defaultBackend!;
    const annotations = valuesForDefaultBackend(owner.annotations);
    entries.push({
      ingress: owner.ref,
      rank: rank++,
      field: 'spec.defaultBackend',
      path: '/',
      pathType: 'Prefix',
      backend: pathBackend(defaultBackendOf(owner), { ingress: owner.ref, annotations, ingressBackend: backend }),
      annotations,
      secondary: isSecondary(annotations),
      rewriteTarget: rewriteTargetOf(annotations),
    });
    entriesByHost.set(host, entries);
  }

  const servers: Server[] = [];
  const hosts = new Set([...ingressesByHost.keys(), '']);
  for (const host of [...hosts].sort(compareHosts)) {
    const hostDefault = hostDefaults.get(host);
    const hostFallback: Server['fallback'] = host === '' ? fallback : hostDefault ? defaultBackendOf(hostDefault) : notFound;
    const guardBackend: Backend = hostFallback.kind === 'status' ? { kind: 'unavailable', status: hostFallback.status, reason: 'no rule matches' } : (hostFallback as Backend);
    const { locations, rejections: pathRejections } = buildLocations(entriesByHost.get(host) ?? [], host, regexHosts(host), guardBackend);
    rejections.push(...pathRejections);
    const owner = ownerByHost.get(host);
    let tls: ServerTLS | undefined;
    if (host === '') {
      tls = defaultCertificate;
    } else {
      const tlsOwner = tlsOwnerByHost.get(host);
      if (tlsOwner) {
        const secretName = tlsOwner.tlsSecrets.get(host)!;
        const cert = certificateFromSecret(tlsOwner.ref.namespace, secretName, snapshot, options.stateDir);
        if (cert.ok) {
          tls = cert.tls;
          if (!files.some((f) => f.path === cert.file.path)) files.push(cert.file);
        } else {
          // Falls back to the default server's certificate (see Server.tls).
          warnings.push({
            object: `Ingress ${refString(tlsOwner.ref)}`,
            ingress: tlsOwner.ref,
            message: `TLS for host ${host}: ${cert.reason}; serving the default certificate`,
          });
        }
      }
    }
    const facts = { host, isTlsHost: host !== '' && tlsOwnerByHost.has(host), config, options };
    for (const loc of locations) {
      loc.hsts = facts.isTlsHost && config.hsts;
      runLocationHooks(loc, facts);
    }
    const server: Server = {
      host,
      serverNames: serverNamesFor(host),
      isDefault: host === '',
      tls,
      redirectToHttps: false,
      locations,
      fallback: needsFallbackLocation(locations) ? hostFallback : { kind: 'none' },
      serverAnnotations: owner?.annotations,
      ingresses: ingressesByHost.get(host) ?? [],
      ingressAnnotations: uniqueIngressAnnotations(locations),
    };
    runServerHooks(server, facts);
    servers.push(server);
  }

  const rejectedWhole = new Set(rejections.filter((r) => r.whole).map((r) => refString(r.ingress)));
  // Features add their own facts to the model in their finish hooks (e.g. the http-level traffic maps).
  const model = {
    options,
    config,
    servers,
    upstreams: [...upstreams.values()].sort((a, b) => a.name.localeCompare(b.name)),
    files: files.sort((a, b) => a.path.localeCompare(b.path)),
    defaultCertificate,
    accepted: accepted.map((a) => a.ref).filter((r) => !rejectedWhole.has(refString(r))),
    owned: owned.map((i) => ({ namespace: i.metadata?.namespace ?? '', name: i.metadata?.name ?? '' })),
    rejections,
    warnings,
    ingressAnnotations: accepted.map((a) => ({ ingress: a.ref, annotations: a.annotations })),
  } as NginxModel;
  runFinishHooks({ model, servers, upstreams: [...upstreams.values()], ageOrder: accepted.map((a) => a.ref), hostOwner: (host) => hostOwners.get(host), warnings, config, options });
  markOwnProxyHeaders(servers);
  return model;
}

/** An Ingress's annotation under the prefix, as written (undefined when not set). */
function annotationReader(ingress: Ingress, prefix: string): (key: string) => string | undefined {
  return (key) => {
    const v = ingress.metadata?.annotations?.[`${prefix}/${key}`];
    return v === undefined || v === null ? undefined : String(v);
  };
}

/**
 * What an Ingress asks for on a host another namespace owns and does not get: the host's regex mode
 * (its paths there are not served, since they were written as regexes) and server-level annotations.
 * The reason names the owning namespace, not the other tenant's Ingress.
 */
function foreignHostRejections(a: AcceptedIngress, host: string, owner: string, prefix: string): Rejection[] {
  const out: Rejection[] = [];
  const where = `of host ${JSON.stringify(host)} ${ownedBy(owner)}`;
  if (a.regexKey !== undefined) {
    out.push({
      ingress: a.ref,
      field: `metadata.annotations[${prefix}/${a.regexKey}]`,
      reason: `the regex mode ${where}; this Ingress's paths on that host are not served`,
      whole: false,
    });
  }
  if (!isSecondary(a.annotations)) {
    for (const key of serverLevelKeys(a.annotations)) {
      out.push({ ingress: a.ref, field: `metadata.annotations[${prefix}/${key}]`, reason: `${key} is a server-level setting, and the server ${where}; not used there`, whole: false });
    }
  }
  return out;
}

/**
 * The standard proxy headers are written once at http level; nginx inherits proxy_set_header only into a
 * block that sets none, so a location that sets one of its own (upstream-vhost, x-forwarded-prefix,
 * auth-response-headers, a snippet) must write the whole set again.
 */
function markOwnProxyHeaders(servers: Server[]): void {
  for (const server of servers) {
    for (const loc of server.locations) {
      const b = loc.backend;
      if (b.kind === 'upstream' && setsOwnProxyHeader(loc, server)) loc.backend = { ...b, ownProxyHeaders: true };
    }
  }
}

/** The Ingresses behind a server's locations, once each, in location order. */
function uniqueIngressAnnotations(locations: Array<{ ingress: IngressRef; annotations: IngressAnnotations }>): Server['ingressAnnotations'] {
  const seen = new Set<string>();
  const out: Server['ingressAnnotations'] = [];
  for (const loc of locations) {
    const key = refString(loc.ingress);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ingress: loc.ingress, annotations: loc.annotations });
  }
  return out;
}

function resolveDefaultCertificate(snapshot: Snapshot, options: ModelOptions, files: StateFile[], warnings: ModelWarning[]): ServerTLS {
  const selfSigned: ServerTLS = {
    certificate: `${options.stateDir}/${SELF_SIGNED_CERT_PATH}`,
    key: `${options.stateDir}/${SELF_SIGNED_CERT_PATH}`,
    source: 'self-signed',
  };
  if (!options.defaultSslCertificate) return selfSigned;
  const [namespace, name] = options.defaultSslCertificate.split('/');
  const cert = certificateFromSecret(namespace ?? '', name ?? '', snapshot, options.stateDir);
  if (!cert.ok) {
    warnings.push({ object: `Secret ${options.defaultSslCertificate}`, message: `default certificate: ${cert.reason}; using a self-signed certificate` });
    return selfSigned;
  }
  files.push(cert.file);
  return cert.tls;
}

export type { GlobalConfig };
