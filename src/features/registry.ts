import type { ConfigMap, IngressBackend } from '../store/types.js';
import type { ResolvedService } from '../model/backends.js';
import { CORE_KEYS, DEFAULT_CORE_CONFIG, type ConfigIssue, type CoreConfig, type FeatureGlobals, type GlobalConfig } from '../model/config.js';
import { LIMITS } from '../model/limits.js';
import { type Backend, type FeatureValues, type IngressRef, type Location, type ModelWarning, refString, type Server } from '../model/types.js';
import { affinityFeature } from './affinity.js';
import { appRootFeature } from './app-root.js';
import { authBasicFeature } from './auth-basic.js';
import { authTlsFeature } from './auth-tls.js';
import { authUrlFeature } from './auth-url.js';
import { backendProtocolFeature } from './backend-protocol.js';
import { canaryFeature } from './canary.js';
import { corsFeature } from './cors.js';
import { customHttpErrorsFeature } from './custom-http-errors.js';
import { AnnotationError, type AcceptedContext, type AnnotationInput, type Feature, type FinishContext, type HostFacts, type PathFacts, type ResolveContext, type UpstreamChoice } from './feature.js';
import { forwardedHeadersFeature } from './forwarded-headers.js';
import { loadBalanceFeature } from './load-balance.js';
import { modsecurityFeature } from './modsecurity.js';
import { proxyFeature } from './proxy.js';
import { proxySslFeature } from './proxy-ssl.js';
import { rateLimitFeature } from './rate-limit.js';
import { redirectFeature } from './redirect.js';
import { rewriteTargetFeature } from './rewrite-target.js';
import { serverAliasFeature } from './server-alias.js';
import { serviceUpstreamFeature } from './service-upstream.js';
import { snippetFeature } from './snippet.js';
import { sourceRangeFeature } from './source-range.js';
import { sslRedirectFeature } from './ssl-redirect.js';
import { trafficFeature } from './traffic.js';
import { upstreamVhostFeature } from './upstream-vhost.js';

/** The globals type of a feature field: its FeatureGlobals entry, or nothing. */
type GlobalsOf<K> = K extends keyof FeatureGlobals ? FeatureGlobals[K] : Record<never, never>;

/** One feature per field of FeatureValues (the compiler checks that none is missing). */
type Features = { [K in keyof FeatureValues]: Feature<FeatureValues[K], GlobalsOf<K> & object> };

/**
 * The features, in the order their parsers run (the first invalid annotation in this order is the one an
 * Ingress's rejection names). Their templates are included in name order (render/render.ts).
 */
export const FEATURES: Features = {
  rewrite: rewriteTargetFeature,
  canary: canaryFeature,
  loadBalance: loadBalanceFeature,
  affinity: affinityFeature,
  sourceRange: sourceRangeFeature,
  authBasic: authBasicFeature,
  authTls: authTlsFeature,
  authExternal: authUrlFeature,
  cors: corsFeature,
  rateLimit: rateLimitFeature,
  modsecurity: modsecurityFeature,
  snippets: snippetFeature,
  appRoot: appRootFeature,
  sslRedirect: sslRedirectFeature,
  redirect: redirectFeature,
  backendProtocol: backendProtocolFeature,
  proxy: proxyFeature,
  upstreamHeaders: upstreamVhostFeature,
  proxySsl: proxySslFeature,
  serverAlias: serverAliasFeature,
  customHttpErrors: customHttpErrorsFeature,
  serviceUpstream: serviceUpstreamFeature,
  forwarding: forwardedHeadersFeature,
  traffic: trafficFeature,
};

type AnyFeature = Feature<unknown, object>;
const ENTRIES = Object.entries(FEATURES) as Array<[string, AnyFeature]>;

export const FEATURE_LIST: ReadonlyArray<AnyFeature> = ENTRIES.map(([, f]) => f);

const SUPPORTED_KEYS = new Set(FEATURE_LIST.flatMap((f) => f.keys));

/** The globals a feature's parser gets: its own field of the config, or nothing. */
function globalsAt(field: string, config: GlobalConfig): object {
  return ((config as unknown as Record<string, object | undefined>)[field]) ?? {};
}

/** A feature's own globals in `config` (for a parser run outside the model, as unit tests do). */
export function globalsFor<G extends object>(feature: Feature<unknown, G>, config: GlobalConfig): G {
  return globalsAt(fieldOf(feature as unknown as AnyFeature), config) as G;
}

/** The field (of FeatureValues and FeatureGlobals) a feature is registered under. */
export function fieldOf(feature: AnyFeature): string {
  const entry = ENTRIES.find(([, f]) => f === feature);
  if (!entry) throw new Error(`feature ${feature.name} is not registered`);
  return entry[0];
}

/** ConfigMap key → the feature field that owns it. */
const GLOBAL_KEY_OWNERS = new Map<string, [string, AnyFeature]>(ENTRIES.flatMap(([field, f]) => (f.globals?.keys ?? []).map((k) => [k, [field, f]] as [string, [string, AnyFeature]])));

/** The core defaults and every feature's defaults: what a cluster without a ConfigMap gets. */
export const DEFAULT_GLOBAL_CONFIG: GlobalConfig = composeDefaults();

function composeDefaults(): GlobalConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CORE_CONFIG };
  for (const [field, f] of ENTRIES) if (f.globals) config[field] = f.globals.defaults;
  return config as unknown as GlobalConfig;
}

/**
 * The controller's ConfigMap: core keys (model/config.ts) and each feature's keys, in key order. A key no
 * one owns, or a refused value, is an issue; the default stays.
 */
export function parseGlobalConfig(configMap: ConfigMap | undefined): { config: GlobalConfig; issues: ConfigIssue[] } {
  const config: Record<string, unknown> = { ...DEFAULT_CORE_CONFIG };
  // Shallow copies: a feature's parser sets fields of its own copy, never the shared defaults.
  for (const [field, f] of ENTRIES) if (f.globals) config[field] = { ...f.globals.defaults };
  const issues: ConfigIssue[] = [];
  for (const [key, value] of Object.entries(configMap?.data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const core = CORE_KEYS[key];
    const owner = GLOBAL_KEY_OWNERS.get(key);
    let reason: string | undefined;
    if (core) reason = core(config as unknown as CoreConfig, String(value));
    else if (owner) reason = owner[1].globals!.parse(config[owner[0]] as object, key, String(value));
    else {
      issues.push({ key, reason: 'not supported by Portico; ignored' });
      continue;
    }
    if (reason) issues.push({ key, reason: `${reason}; the default is kept` });
  }
  return { config: config as unknown as GlobalConfig, issues };
}

export interface AnnotationResult {
  annotations?: FeatureValues;
  /** The first invalid annotation; the Ingress is rejected as a whole. */
  error?: AnnotationError;
  warnings: ModelWarning[];
}

/** Finish hooks in registry order, each after the features it names in finishAfter. */
const FINISH_ORDER: ReadonlyArray<AnyFeature> = (() => {
  const order: AnyFeature[] = [];
  const visit = (f: AnyFeature, path: string[]) => {
    if (order.includes(f)) return;
    if (path.includes(f.name)) throw new Error(`features: finishAfter loop ${[...path, f.name].join(' -> ')}`);
    for (const name of f.hooks?.finishAfter ?? []) {
      const before = FEATURE_LIST.find((g) => g.name === name);
      if (!before) throw new Error(`feature ${f.name}: finishAfter names no feature ${name}`);
      visit(before, [...path, f.name]);
    }
    order.push(f);
  };
  for (const f of FEATURE_LIST) if (f.hooks?.finish) visit(f, []);
  return order.filter((f) => f.hooks?.finish);
})();

/** The server-scope keys an Ingress's values set (every feature's serverKeys, in registry order). */
export function serverLevelKeys(values: FeatureValues): string[] {
  const all = values as unknown as Record<string, unknown>;
  return ENTRIES.flatMap(([field, f]) => f.serverKeys?.(all[field]) ?? []);
}

/** Whether an Ingress only adds backends to other Ingresses' paths (Feature.secondary): from its values. */
export function isSecondary(values: FeatureValues): boolean {
  const all = values as unknown as Record<string, unknown>;
  return ENTRIES.some(([field, f]) => f.secondary?.value(all[field]) === true);
}

/** The same, from the annotations as written (before any parser runs). */
export function isSecondaryRaw(get: (key: string) => string | undefined): boolean {
  return FEATURE_LIST.some((f) => f.secondary?.raw(get) === true);
}

/** The key that puts an Ingress's paths in regex mode (Feature.regexPaths), or undefined. */
export function regexPathsKey(values: FeatureValues, get: (key: string) => string | undefined): string | undefined {
  const all = values as unknown as Record<string, unknown>;
  for (const [field, f] of ENTRIES) {
    const key = f.regexPaths?.(all[field], get);
    if (key) return key;
  }
  return undefined;
}

/** An Ingress's values on the `/` location its spec.defaultBackend gets (Feature.onDefaultBackend). */
export function valuesForDefaultBackend(values: FeatureValues): FeatureValues {
  const all = { ...(values as unknown as Record<string, unknown>) };
  for (const [field, f] of ENTRIES) if (f.onDefaultBackend) all[field] = f.onDefaultBackend(all[field]);
  return all as unknown as FeatureValues;
}

/** The URI an Ingress's regex locations rewrite to (FeatureHooks.rewriteTarget): the first feature's. */
export function rewriteTargetOf(values: FeatureValues): string | undefined {
  for (const f of FEATURE_LIST) {
    const target = f.hooks?.rewriteTarget?.(values);
    if (target !== undefined) return target;
  }
  return undefined;
}

/** How an Ingress's upstreams pick an endpoint: the first feature that answers, else the ConfigMap's load-balance. */
export function upstreamChoice(values: FeatureValues | undefined, config: GlobalConfig): UpstreamChoice {
  const choice = firstUpstreamChoice(values, config);
  const pool = values === undefined ? '' : FEATURE_LIST.map((f) => f.hooks?.connectionPool?.(values) ?? '').join('');
  return pool === '' ? choice : { ...choice, suffix: `${choice.suffix}${pool}` };
}

function firstUpstreamChoice(values: FeatureValues | undefined, config: GlobalConfig): UpstreamChoice {
  for (const f of FEATURE_LIST) {
    const choice = f.hooks?.upstream?.(values, config);
    if (choice) return choice;
  }
  return { loadBalance: config.loadBalance, hashBy: undefined, suffix: '' };
}

/** The first feature's resolution of a Service (FeatureHooks.resolve), if any. */
export function resolveByFeatures(namespace: string, backend: IngressBackend, values: FeatureValues | undefined, ctx: ResolveContext): ResolvedService | undefined {
  for (const f of FEATURE_LIST) {
    const resolved = f.hooks?.resolve?.(namespace, backend, values, ctx);
    if (resolved) return resolved;
  }
  return undefined;
}

export function runAcceptedHooks(ctx: AcceptedContext): void {
  for (const f of FEATURE_LIST) f.hooks?.accepted?.(ctx);
}

/** A path's backend through every feature's backend hook, in registry order. */
export function pathBackend(backend: Backend, path: PathFacts): Backend {
  return FEATURE_LIST.reduce((b, f) => f.hooks?.backend?.(b, path) ?? b, backend);
}

export function runLocationHooks(location: Location, host: HostFacts): void {
  for (const f of FEATURE_LIST) f.hooks?.location?.(location, host);
}

export function runServerHooks(server: Server, host: HostFacts): void {
  for (const f of FEATURE_LIST) f.hooks?.server?.(server, host);
}

export function runFinishHooks(model: FinishContext): void {
  for (const f of FINISH_ORDER) f.hooks!.finish!(model);
}

/** Whether a feature writes a proxy_set_header of its own in this location (FeatureHooks.setsProxyHeader). */
export function setsOwnProxyHeader(location: Location, server: Server): boolean {
  return FEATURE_LIST.some((f) => f.hooks?.setsProxyHeader?.(location, server) === true);
}

/** Keys under the prefix that no feature supports: ignored, with a warning so a migrating operator sees them. */
function unsupportedAnnotations(annotations: Record<string, string>, prefix: string): string[] {
  const start = `${prefix}/`;
  return Object.keys(annotations)
    .filter((k) => k.startsWith(start) && !SUPPORTED_KEYS.has(k.slice(start.length)))
    .sort();
}

/**
 * ingress-nginx annotations that protect traffic and that Portico does not enforce yet. Ignoring one would
 * serve the Ingress without the protection its author asked for (an open door where a client certificate
 * was required, an unverified backend, no WAF, no rate limit), so an Ingress that sets one is rejected as a
 * whole instead. A key set to its off value asks for nothing and gets the usual "not supported" warning.
 * Keys ending in "-" cover the whole family (every proxy-ssl-* and modsecurity-* key, present or future).
 */
const UNENFORCED_PROTECTION: ReadonlyArray<{ key: string; what: string; off?: readonly string[] }> = [
  // auth-tls-* and proxy-ssl-* are enforced (features/auth-tls.ts, features/proxy-ssl.ts); a future proxy-ssl-* key stays closed.
  { key: 'proxy-ssl-', what: 'TLS settings towards the HTTPS backend' },
  { key: 'modsecurity-', what: 'the ModSecurity web application firewall' },
  // Directives added to the external-auth subrequest: without them the auth service may decide otherwise.
  { key: 'auth-snippet', what: 'directives of the external authentication request' },
  { key: 'global-rate-limit', what: 'a global rate limit', off: ['0'] },
  { key: 'global-rate-limit-window', what: 'a global rate limit' },
  { key: 'global-rate-limit-key', what: 'a global rate limit' },
];

function protectionEntry(key: string): (typeof UNENFORCED_PROTECTION)[number] | undefined {
  return UNENFORCED_PROTECTION.find((e) => e.key === key) ?? UNENFORCED_PROTECTION.find((e) => e.key.endsWith('-') && key.startsWith(e.key));
}

/**
 * Families that ingress-nginx applies only when their Secret annotation is set: without it, its parsers
 * (authtls, proxyssl) return before reading the other keys. Without the Secret those keys ask for nothing and are
 * only ignored (the supported auth-tls-* and proxy-ssl-* keys never get here: their features warn about them themselves).
 */
const NEEDS_SECRET: ReadonlyArray<{ family: string; secret: string }> = [
  { family: 'proxy-ssl-', secret: 'proxy-ssl-secret' },
];

/** The keys (without prefix, sorted) of annotations that ask for a protection Portico does not enforce. */
function unenforcedProtections(annotations: Record<string, string>, prefix: string): string[] {
  const set = (key: string) => String(annotations[`${prefix}/${key}`] ?? '').trim() !== '';
  return unsupportedAnnotations(annotations, prefix)
    .map((k) => k.slice(prefix.length + 1))
    .filter((key) => {
      const entry = protectionEntry(key);
      if (!entry) return false;
      const family = NEEDS_SECRET.find((f) => key.startsWith(f.family));
      if (family && !set(family.secret)) return false;
      const value = String(annotations[`${prefix}/${key}`] ?? '').trim().toLowerCase();
      return !(entry.off ?? []).includes(value);
    });
}

/** One warning line for all of an Ingress's ignored keys (one Event in a cluster, not one per key). */
function unsupportedWarning(keys: string[]): string | undefined {
  if (keys.length === 0) return undefined;
  if (keys.length === 1) return `annotation ${keys[0]} is not supported by Portico and is ignored`;
  return `annotations ${keys.join(', ')} are not supported by Portico and are ignored`;
}

export function parseAnnotations(input: Omit<AnnotationInput, 'get' | 'warn'>, ref: IngressRef): AnnotationResult {
  const all = input.ingress.metadata?.annotations ?? {};
  const prefix = input.options.annotationsPrefix;
  const warnings: ModelWarning[] = [];
  const object = `Ingress ${refString(ref)}`;
  const protections = unenforcedProtections(all, prefix);
  const ignored = unsupportedWarning(unsupportedAnnotations(all, prefix).filter((k) => !protections.includes(k.slice(prefix.length + 1))));
  if (ignored) warnings.push({ object, ingress: ref, message: ignored });
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(`${prefix}/`) && String(value).length > LIMITS.annotationValueLength) {
      return { error: new AnnotationError(key.slice(prefix.length + 1), `longer than ${LIMITS.annotationValueLength} characters`), warnings };
    }
  }
  if (protections.length > 0) {
    // Fail closed: a protection the author asked for and Portico would not apply (issue 11, item 18).
    const [first, ...others] = protections as [string, ...string[]];
    const also = others.length > 0 ? ` (also set: ${others.join(', ')})` : '';
    const reason = `${protectionEntry(first)!.what} is not enforced by Portico; the Ingress is not served rather than served without it${also}`;
    return { error: new AnnotationError(first, reason), warnings };
  }
  const full: AnnotationInput = {
    ...input,
    get: (key) => {
      const v = all[`${prefix}/${key}`];
      return v === undefined || v === null ? undefined : String(v);
    },
    warn: (message) => warnings.push({ object, ingress: ref, message }),
  };
  const annotations = {} as Record<string, unknown>;
  for (const [field, feature] of ENTRIES) {
    try {
      annotations[field] = feature.parse(full, globalsAt(field, input.config));
    } catch (err) {
      if (err instanceof AnnotationError) return { error: err, warnings };
      throw err;
    }
  }
  return { annotations: annotations as unknown as FeatureValues, warnings };
}
