import type { Snapshot } from '../store/snapshot.js';
import type { Ingress, IngressBackend } from '../store/types.js';
import type { EndpointChecks, ResolvedService } from '../model/backends.js';
import type { GlobalConfig, LoadBalanceMethod } from '../model/config.js';
import type { Backend, FeatureValues, IngressRef, Location, ModelOptions, ModelWarning, NginxModel, Server, StateFile, Upstream } from '../model/types.js';
import { INJECTION_CHARS_RE, parseBool } from '../model/validate.js';

/**
 * One feature: a family of annotations (and the ConfigMap keys that set their defaults), in one file named
 * after its keys, with its nginx text in templates/features/<name>/ and its tests beside it. The registry
 * (registry.ts) runs the features in order; the model's passes (model/build.ts) never name one.
 *
 * A feature's parsed value and its typed ConfigMap values join the model's types by declaration merging:
 *   declare module '../model/types.js' { interface FeatureValues { cors: CorsAnnotation } }
 *   declare module '../model/config.js' { interface FeatureGlobals { cors: CorsGlobals } }
 * so the model knows their shapes without importing any feature (the imports run one way: features → model).
 */
export interface Feature<T, G extends object = Record<never, never>> {
  /** Its file (src/features/<name>.ts) and template folder (templates/features/<name>/): named after its keys. */
  name: string;
  /** The annotation keys it owns, without prefix; every other key under the prefix is reported as unsupported. */
  keys: readonly string[];
  /** Global ConfigMap keys with ingress-nginx's names, parsed into a typed value (GlobalConfig[field]). */
  globals?: FeatureGlobals<G>;
  /** Parser and validator for one Ingress: throws AnnotationError for a value it refuses. */
  parse(input: AnnotationInput, globals: G): T;
  /**
   * The keys of server scope this value sets: they apply to a host only from an Ingress of the namespace
   * that owns it (model/hosts.ts), and are reported as not used elsewhere.
   */
  serverKeys?(value: T): string[];
  /**
   * The key that makes this Ingress's paths regexes (use-regex, rewrite-target), or undefined: the host
   * is then in regex mode (model/paths.ts). `get` reads the Ingress's annotations as written.
   */
  regexPaths?(value: T, get: (key: string) => string | undefined): string | undefined;
  /**
   * This Ingress only adds another backend to paths of other Ingresses (canary): it never owns a host's
   * server, never becomes a default backend, and its server-scope keys are not used. `raw` answers from
   * the annotations as written, for host ownership, which is settled before any parser runs.
   */
  secondary?: { value(value: T): boolean; raw(get: (key: string) => string | undefined): boolean };
  /**
   * Its value on the `/` location a host's spec.defaultBackend gets (model/build.ts): a feature that acts
   * only on the Ingress's own paths (rewrite-target, redirects) returns its value turned off. Unset: the same.
   */
  onDefaultBackend?(value: T): T;
  /** Its effect on the model, run by the registry at fixed points of model/build.ts. */
  hooks?: FeatureHooks;
}

/**
 * Where a feature acts on the model, in the order model/build.ts reaches them. A hook reads its own
 * value from `location.annotations`, `server.serverAnnotations` or `server.ingressAnnotations`.
 */
export interface FeatureHooks {
  /**
   * Where a Service of this Ingress is sent, instead of its endpoints (service-upstream); undefined leaves it
   * to the next feature, then to the endpoints. `values` is undefined for a backend no Ingress path names.
   */
  resolve?(namespace: string, backend: IngressBackend, values: FeatureValues | undefined, ctx: ResolveContext): ResolvedService | undefined;
  /** Once, after every Ingress is accepted and the catch-all backend is known. */
  accepted?(ctx: AcceptedContext): void;
  /**
   * How the upstreams of this Ingress pick an endpoint; undefined: the ConfigMap's load-balance. The first
   * feature that answers decides (`values` is undefined for a backend no Ingress path names).
   */
  upstream?(values: FeatureValues | undefined, config: GlobalConfig): UpstreamChoice | undefined;
  /**
   * A suffix of the upstream's name that keeps this Ingress's kept-alive connections apart from others to
   * the same Service ([a-z0-9-] only): nginx reuses an upstream's idle connection for any location, so
   * locations that open connections differently (TLS verified against another CA) must not share one.
   * Every feature's suffix is appended, after the upstream hook's.
   */
  connectionPool?(values: FeatureValues): string | undefined;
  /** The URI this Ingress's regex locations rewrite to (`rewrite PATTERN URI break;`), if any. */
  rewriteTarget?(values: FeatureValues): string | undefined;
  /** Each Ingress path's backend, in registry order (a protocol, headers, a stand-in for a missing Service). */
  backend?(backend: Backend, path: PathFacts): Backend;
  /** Each location, once its server's TLS is known. */
  location?(location: Location, host: HostFacts): void;
  /** Each server, once its locations are done. */
  server?(server: Server, host: HostFacts): void;
  /** Once, over every server. */
  finish?(model: FinishContext): void;
  /** Names of the features whose finish hook must run before this one's. */
  finishAfter?: readonly string[];
  /**
   * The location writes a proxy_set_header of its own (nginx then inherits none from http{}, so the
   * location repeats the standard set: UpstreamBackend.ownProxyHeaders). Asked once the model is built.
   */
  setsProxyHeader?(location: Location, server: Server): boolean;
}

export interface UpstreamChoice {
  loadBalance: LoadBalanceMethod;
  hashBy: string | undefined;
  /** Appended to the upstream's name: a non-default policy gets its own upstream. */
  suffix: string;
  /** Recorded on the upstream for a later step. */
  facts?: Partial<Upstream>;
}

export interface ResolveContext {
  snapshot: Snapshot;
  checks: EndpointChecks;
  /** A warning about the Service. */
  warn(message: string): void;
}

export interface AcceptedContext {
  /** Accepted Ingresses, oldest first, with their values. */
  accepted: ReadonlyArray<{ ref: IngressRef; annotations: FeatureValues }>;
  /** What answers requests for hosts that no rule names. */
  fallback: Server['fallback'];
  /** The backend of a Service of the namespace (no Ingress's features applied). */
  backendOf(namespace: string, backend: IngressBackend): Backend;
  snapshot: Snapshot;
  config: GlobalConfig;
  warnings: ModelWarning[];
}

/** One Ingress path, for the backend hook. */
export interface PathFacts {
  ingress: IngressRef;
  annotations: FeatureValues;
  /** The path's backend as the Ingress wrote it. */
  ingressBackend: IngressBackend | undefined;
}

/** What a location or server hook knows of its host. */
export interface HostFacts {
  host: string;
  /** An Ingress of the owning namespace has TLS for this host (its certificate may still have failed). */
  isTlsHost: boolean;
  config: GlobalConfig;
  options: ModelOptions;
}

export interface FinishContext {
  /** The model being finished: a hook may set the facts its feature adds to NginxModel. */
  model: NginxModel;
  servers: Server[];
  upstreams: Upstream[];
  /** Accepted Ingresses, oldest first: who wins a contested name. */
  ageOrder: IngressRef[];
  /** The namespace that owns a host (model/hosts.ts), if any Ingress of it names the host. */
  hostOwner(host: string): string | undefined;
  warnings: ModelWarning[];
  config: GlobalConfig;
  options: ModelOptions;
}

export interface FeatureGlobals<G extends object> {
  /** The ConfigMap keys, with ingress-nginx's names. */
  keys: readonly string[];
  /** ingress-nginx's defaults. Never changed: each ConfigMap is parsed into a shallow copy. */
  defaults: G;
  /** Sets one key into `globals`; returns the reason the value is refused (the default is then kept). */
  parse(globals: G, key: string, value: string): string | undefined;
}

/** What a feature's parser sees of one Ingress. */
export interface AnnotationInput {
  ingress: Ingress;
  ref: IngressRef;
  /** The value of `PREFIX/key`, or undefined when the Ingress does not set it. */
  get(key: string): string | undefined;
  snapshot: Snapshot;
  config: GlobalConfig;
  options: ModelOptions;
  /** Adds a file below the state dir (htpasswd, CA bundle); `path` must be built from validated names. */
  addFile(file: StateFile): void;
  /** A warning that does not reject the Ingress. */
  warn(message: string): void;
}

/** An invalid annotation value: the whole Ingress is rejected, naming the annotation and the reason. */
export class AnnotationError extends Error {
  constructor(
    /** The annotation key without prefix. */
    readonly annotation: string,
    readonly reason: string,
  ) {
    super(`${annotation}: ${reason}`);
    this.name = 'AnnotationError';
  }
}

/**
 * ingress-nginx ignores a malformed value of many keys and uses its default (its parsers log a warning and
 * carry on). Portico does the same with a warning line / Warning Event, unless the value holds characters that
 * could carry text into nginx.conf: then the Ingress is rejected, naming the key and the character.
 * `allowed` widens the safe characters for list values (e.g. the spaces between proxy-next-upstream conditions).
 * Returns undefined: the caller uses its default.
 */
export function fallBack(input: Pick<AnnotationInput, 'warn'>, key: string, raw: string, reason: string, fallback: string, allowed?: RegExp): undefined {
  // ".." too: a value that looks like a path traversal is refused, never quietly replaced.
  const unsafe = allowed ? !allowed.test(raw) : INJECTION_CHARS_RE.test(raw.trim()) || raw.includes('..');
  if (unsafe) throw new AnnotationError(key, `${reason}; ${describeUnsafe(raw)}`);
  input.warn(`annotation ${key}: ${JSON.stringify(raw)} ${reason}; ${fallback} is used instead, as in ingress-nginx`);
  return undefined;
}

function describeUnsafe(value: string): string {
  const match = /[^\x20-\x7e]|[\s"'`;{}#\\$]/.exec(value.trim()) ?? /[^\x20-\x7e]|["'`;{}#\\$]/.exec(value);
  if (!match) return value.includes('..') ? '".." is not allowed' : 'only letters, digits and "_" are allowed';
  const code = match[0].codePointAt(0)!;
  const shown = code < 0x20 || code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(match[0]);
  return `character ${shown} is not allowed`;
}

/** A boolean annotation: "true" or "false", or undefined when the Ingress does not set it. */
export function boolAnnotation(input: AnnotationInput, key: string): boolean | undefined {
  const raw = input.get(key);
  if (raw === undefined) return undefined;
  const b = parseBool(raw);
  if (b === undefined) throw new AnnotationError(key, 'must be "true" or "false"');
  return b;
}

/** A whole number annotation within [min, max], or undefined when not set. */
export function intAnnotation(input: AnnotationInput, key: string, min: number, max: number): number | undefined {
  const raw = input.get(key);
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (!/^\d{1,9}$/.test(v)) throw new AnnotationError(key, 'must be a whole number');
  const n = Number(v);
  if (n < min || n > max) throw new AnnotationError(key, `must be from ${min} to ${max}`);
  return n;
}

/** A feature's globals from one parser per ConfigMap key (each sets its field of `globals` or returns a reason). */
export function globalsByKey<G extends object>(defaults: G, parsers: Readonly<Record<string, (globals: G, value: string) => string | undefined>>): FeatureGlobals<G> {
  return {
    keys: Object.keys(parsers),
    defaults,
    parse: (globals, key, value) => parsers[key]!(globals, value),
  };
}

/** A ConfigMap key that is "true" or "false", into `field` of a feature's globals. */
export function boolGlobal<G extends object>(field: { [K in keyof G]: G[K] extends boolean ? K : never }[keyof G]): (globals: G, value: string) => string | undefined {
  return (globals, value) => {
    const b = parseBool(value);
    if (b === undefined) return 'must be "true" or "false"';
    (globals as Record<keyof G, unknown>)[field] = b;
    return undefined;
  };
}
