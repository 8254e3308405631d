import type { GlobalConfig, LoadBalanceMethod } from './config.js';

/**
 * Each feature's parsed value for one Ingress, under its registry field (features/registry.ts). Empty here:
 * every feature adds its field by declaration merging (`declare module '../model/types.js'`), and may add
 * facts of its own to Location, UpstreamBackend, Server or NginxModel the same way, so the model has their
 * types without importing a feature.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface FeatureValues {}

/** How the operator configured this controller; the same for `render` and `run`. */
export interface ModelOptions {
  controllerClass: string;
  ingressClass: string;
  watchIngressWithoutClass: boolean;
  /** Also own Ingresses whose spec.ingressClassName equals ingressClass, with no IngressClass object (ingress-nginx's --ingress-class-by-name). */
  ingressClassByName?: boolean;
  annotationsPrefix: string;
  /** NAMESPACE/NAME of a kubernetes.io/tls Secret, or undefined for a generated self-signed certificate. */
  defaultSslCertificate?: string;
  /** NAMESPACE/NAME of the global ConfigMap. */
  configMap?: string;
  httpPort: number;
  httpsPort: number;
  /** Absolute path; everything nginx reads or writes lives below it. */
  stateDir: string;
  allowSnippetAnnotations: boolean;
  /** DNS servers (IP addresses) for names nginx resolves when requests arrive (auth-url); in a cluster, /etc/resolv.conf's. */
  resolvers?: string[];
  /** Port of the controller's own status server that nginx's stub_status listens on; 0 turns it off. */
  statusPort?: number;
  /**
   * Round-robin upstreams pick their endpoint in Lua (Debian's libnginx-mod-http-lua) from a list the
   * controller updates through the status server, so an endpoint-only change needs no reload. Needs statusPort.
   */
  dynamicEndpoints?: boolean;
  /**
   * The machine has IPv6 (an address in /proc/net/if_inet6): nginx listens on [::] too, unless the ConfigMap
   * sets disable-ipv6. Without it an IPv6-only pod would start nginx and receive nothing.
   */
  ipv6?: boolean;
  /** Where nginx's dynamic modules are (Debian: /usr/lib/nginx/modules). */
  nginxModulesDir?: string;
  /**
   * The headers-more module (Debian's libnginx-mod-http-headers-more-filter), when the CLI found it: with
   * server-tokens "false" it removes the Server header, as ingress-nginx does. Unset: the header stays "nginx".
   */
  headersMoreModule?: string;
  /**
   * The set-misc module (Debian's libnginx-mod-http-set-misc, with NDK), when the CLI found it: auth-signin's
   * rd= is URL-escaped with it (set_escape_uri), as ingress-nginx escapes it in Lua. Unset: rd= is not escaped.
   */
  setMiscModule?: string;
  /**
   * The Lua module (Debian's libnginx-mod-http-lua, with NDK), when the CLI found it: affinity cookies with
   * session-cookie-expires get their Expires= date from it (ngx.cookie_time), as ingress-nginx's Lua balancer
   * sets it. Unset: session-cookie-expires is sent as Max-Age.
   */
  luaModule?: string;
  /**
   * The ModSecurity module (Debian's libnginx-mod-http-modsecurity), when the CLI found it: enable-modsecurity
   * needs it (features/modsecurity.ts). Unset: Ingresses that ask for ModSecurity are rejected, never served without it.
   */
  modsecurityModule?: string;
  /**
   * The OWASP Core Rule Set's files in load order (Debian's modsecurity-crs: its setup, exclusions and rules), when
   * the CLI found them. Unset: Ingresses that ask for the Core Rule Set are rejected.
   */
  coreRuleSet?: string[];
  /**
   * Loopback endpoint addresses (127.0.0.0/8, ::1) are served: set for directory mode (`--manifests`, the
   * operator's own files); unset for the Kubernetes API, where tenants write EndpointSlices and Kubernetes
   * refuses such addresses itself (model/endpoint-addresses.ts).
   */
  allowLoopbackEndpoints?: boolean;
  /** The controller's own ports besides statusPort (metrics, debug): never an endpoint at a loopback address. */
  controllerPorts?: number[];
  /**
   * Dynamic endpoints: the SHA-1 digest (hex) of the per-start secret the controller sends with each push;
   * nginx accepts a push only with the secret (nginx/portico_endpoints.lua). The secret itself is not here.
   */
  endpointPushDigest?: string;
  /** Keys the digest in htpasswd file names (model/state-files.ts), so nginx.conf is no oracle for guessed passwords. */
  fileNameKey?: string;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = {
  controllerClass: 'portico.dev/ingress-controller',
  ingressClass: 'portico',
  watchIngressWithoutClass: false,
  annotationsPrefix: 'nginx.ingress.kubernetes.io',
  httpPort: 80,
  httpsPort: 443,
  stateDir: '/etc/nginx',
  allowSnippetAnnotations: false,
  nginxModulesDir: '/usr/lib/nginx/modules',
  // render's defaults: the manifests are the operator's own files.
  allowLoopbackEndpoints: true,
};

export interface IngressRef {
  namespace: string;
  name: string;
}

export function refString(ref: IngressRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** One reason an Ingress (or one of its paths) was not routed. */
export interface Rejection {
  ingress: IngressRef;
  /** The field or annotation at fault, e.g. `spec.rules[0].http.paths[1].path`. */
  field: string;
  reason: string;
  /** true when the whole Ingress was left out; false when only the named part was. */
  whole: boolean;
}

/** Something the operator should know that did not stop routing (an ignored annotation, a fallback certificate). */
export interface ModelWarning {
  /** e.g. `Ingress default/web`. */
  object: string;
  ingress?: IngressRef;
  message: string;
}

/** A file the config refers to, written below the state dir before nginx reads the config. */
export interface StateFile {
  /** Relative to the state dir; built only from validated names. */
  path: string;
  content: string;
  /** Always 0o600: certificates, keys and credentials. */
  mode: number;
  /** Read by nginx workers at request time (htpasswd); must be readable by the worker user. */
  readByWorkers?: boolean;
}

export interface UpstreamEndpoint {
  address: string;
  port: number;
}

export interface Upstream {
  /** nginx upstream name: only [a-z0-9_.-]. */
  name: string;
  service: IngressRef;
  servicePort: string;
  endpoints: UpstreamEndpoint[];
  loadBalance: LoadBalanceMethod;
  /** nginx variables for `hash`, already validated. */
  hashBy?: string;
  keepalive: number;
  keepaliveTimeoutSeconds: number;
  /** The endpoints can change without a reload (ModelOptions.dynamicEndpoints, round robin only). */
  dynamic: boolean;
}

/** Where a location sends its requests. */
export type Backend =
  | UpstreamBackend
  /** No Service, no such port or no endpoints: nginx answers with this status itself. */
  | { kind: 'unavailable'; status: number; reason: string };

/** A location that proxies to an upstream (features add their facts by declaration merging). */
export interface UpstreamBackend {
  kind: 'upstream';
  upstream: string;
  protocol: BackendProtocol;
  /** Set by canary: an nginx variable (no `$`) whose value names the upstream per request; proxy_pass uses it. */
  upstreamVariable?: string;
  /** upstream-vhost: the Host header sent upstream instead of the client's (features/upstream-vhost.ts). */
  hostHeader?: string;
  /** The TLS server name (SNI) for HTTPS/GRPCS backends: the upstream-vhost without its port. */
  sslName?: string;
  /** SNI towards an HTTPS/GRPCS backend; unset: on. proxy-ssl-server-name sets it (features/proxy-ssl.ts). */
  sslServerName?: boolean;
  /** x-forwarded-prefix: sent upstream as X-Forwarded-Prefix. */
  forwardedPrefix?: string;
  /** The location sets a proxy header of its own, so it must repeat the http-level set (see build.ts). */
  ownProxyHeaders?: boolean;
  /** The Ingress path's Service, sent to error backends as X-Service-Name/-Port (features/custom-http-errors.ts). */
  service?: { name: string; port: string };
  /** default-backend answering for this path's missing Service: it gets the error-page headers, X-Code 503. */
  standInFor?: { code: number; namespace: string; ingressName: string };
}

export type BackendProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS' | 'FCGI';

export type LocationModifier = '=' | '^~' | '' | '~*';

export interface Location {
  modifier: LocationModifier;
  /** The nginx location argument (a prefix, an exact path or a regex). */
  path: string;
  /** The path as the Ingress wrote it, for comments and reports. */
  ingressPath: string;
  pathType: string;
  ingress: IngressRef;
  backend: Backend;
  annotations: FeatureValues;
  /** Set when rewrite-target applies: `rewrite PATTERN REPLACEMENT break;`. */
  rewrite?: { pattern: string; replacement: string };
  /** Plain http on a TLS host is redirected to https (ssl-redirect). */
  redirectToHttps: boolean;
  /** Where that redirect goes (set with redirectToHttps by the feature that decides it). */
  httpsRedirect?: string;
  /** Strict-Transport-Security is sent on https. */
  hsts: boolean;
  /**
   * Another Ingress (a canary: Feature.secondary) that adds an alternative backend to this path; the
   * features route between the two (features/traffic.ts, through `model.traffic`).
   */
  canary?: { ingress: IngressRef; backend: Backend; annotations: FeatureValues };
}

export interface ServerTLS {
  certificate: string;
  key: string;
  /** Where the certificate came from, for the config comment. */
  source: string;
}

export interface Server {
  /** The Ingress host ('' for the catch-all server). */
  host: string;
  /** nginx server_name arguments: exact names, or `~` regexes for wildcards. */
  serverNames: string[];
  isDefault: boolean;
  /**
   * The certificate this server block loads: the default certificate on the catch-all server, a host's own
   * certificate from its TLS Secret, or none. A host without its own certificate still answers https: nginx
   * keeps the default server's SSL context for its SNI name and routes by name. Not loading the default
   * certificate again into every server block saves one SSL context per host, which at 10,000 hosts was
   * most of nginx -t and reload time (docs/notes/bench.md).
   */
  tls?: ServerTLS;
  /** A TLS host answers plain http with this redirect (308) unless turned off. */
  redirectToHttps: boolean;
  /** Where the redirect of its unmatched paths goes (set with redirectToHttps). */
  httpsRedirect?: string;
  locations: Location[];
  /** What answers a request that matches no location. */
  fallback: Backend | { kind: 'status'; status: number } | { kind: 'none' };
  /** Annotations of the oldest Ingress that defines this host, for server-level annotations. */
  serverAnnotations?: FeatureValues;
  /** Ingresses that contributed to this server. */
  ingresses: IngressRef[];
  /** Each Ingress with a location in this server, once, with its annotations (per-Ingress server blocks such as auth). */
  ingressAnnotations: IngressAnnotationsOf[];
  /** from-to-www-redirect (features/redirect.ts): a redirect server for the other name, to this host. */
  wwwRedirect?: { from: string; target: string };
}

export interface IngressAnnotationsOf {
  ingress: IngressRef;
  annotations: FeatureValues;
}

export interface NginxModel {
  options: ModelOptions;
  config: GlobalConfig;
  servers: Server[];
  upstreams: Upstream[];
  files: StateFile[];
  defaultCertificate: ServerTLS;
  /** Ingresses this controller owns, accepted (possibly with some paths rejected). */
  accepted: IngressRef[];
  /** Ingresses this controller owns. */
  owned: IngressRef[];
  rejections: Rejection[];
  warnings: ModelWarning[];
  /** nginx dynamic modules a feature needs (`set-misc`, `lua`); render loads those the CLI found (ModelOptions). */
  modules?: string[];
  /** Every accepted Ingress, once, with its annotations (per-Ingress http-level blocks such as rate-limit zones). */
  ingressAnnotations: IngressAnnotationsOf[];
}
