/**
 * What changes for an Ingress written for ingress-nginx when Portico serves it: the rows of README's tables
 * "Partial or not supported" and "Differences from ingress-nginx", as data. README's tables are these rows
 * (differences.test.ts checks they agree, cell by cell), and `portico audit` takes its "what differs" text
 * from here for every annotation the model pipeline warned about or rejected.
 *
 * `keys` say which annotations (without the prefix) a row is about, for the audit's lookup:
 * `KEY`, `KEY=VALUE` (only when the pipeline's message names the value too) or `PREFIX*` (a family).
 * A row with no keys is about a setting or a behaviour no annotation warning names.
 */

export interface PartialSupportRow {
  /** README's "annotation" cell. */
  annotation: string;
  /** README's "status" cell. */
  status: string;
  keys: readonly string[];
}

export interface DifferenceRow {
  /** README's "behaviour" cell. */
  behaviour: string;
  ingressNginx: string;
  portico: string;
  why: string;
  keys: readonly string[];
}

/** README, "### Partial or not supported". */
export const PARTIAL_SUPPORT: readonly PartialSupportRow[] = [
  {
    annotation: "`load-balance: ewma`",
    status: "not supported (needs ingress-nginx's Lua balancer): ignored with a warning, round robin is used",
    keys: ["load-balance=ewma"],
  },
  {
    annotation: "`affinity-mode: persistent`, `session-cookie-change-on-failure`, `affinity-canary-behavior`",
    status: "partial / not supported: the cookie is a key for consistent hashing, so about 1/N of sessions move when endpoints change",
    keys: ["affinity-mode=persistent", "session-cookie-change-on-failure", "affinity-canary-behavior"],
  },
  {
    annotation: "`auth-type: digest`",
    status: "not supported: rejected (open-source nginx has no digest auth)",
    keys: ["auth-type=digest"],
  },
  {
    annotation: "`auth-snippet`, `global-rate-limit`, `-window`, `-key`",
    status: "not enforced: the Ingress is rejected as a whole (not served rather than served without the protection); an off value (`global-rate-limit: \"0\"`) is ignored with a warning (`test/hardening-fail-closed.test.ts`)",
    keys: ["auth-snippet", "global-rate-limit", "global-rate-limit-window", "global-rate-limit-key"],
  },
  {
    annotation: "`auth-tls-*` with a gRPC (`GRPC`, `GRPCS`) backend",
    status: "partial: the certificate is checked, but the `ssl-client-*` headers are sent to HTTP(S) backends only",
    // A note for gRPC backends only: no pipeline message is about it, so it attaches to none.
    keys: [],
  },
  {
    annotation: "`auth-cache-key`, `auth-cache-duration`, `auth-proxy-set-headers`, `auth-keepalive*`, `global-rate-limit-ignored-cidrs`",
    status: "not supported: ignored with a warning",
    keys: ["auth-cache-key", "auth-cache-duration", "auth-proxy-set-headers", "auth-keepalive*", "global-rate-limit-ignored-cidrs"],
  },
  {
    annotation: "`limit-whitelist`",
    status: "not supported: ignored with a warning",
    keys: ["limit-whitelist"],
  },

  {
    annotation: "other `modsecurity-*` keys",
    status: "not enforced: the Ingress is rejected as a whole",
    keys: ["modsecurity-*"],
  },
  {
    annotation: "`mirror-*`, `enable-opentelemetry`, `stream-snippet`, `ssl-passthrough`",
    status: "not supported: ignored with a warning",
    keys: ["mirror-*", "enable-opentelemetry", "stream-snippet", "ssl-passthrough"],
  },
  {
    annotation: "`backend-protocol: AUTO_HTTP`",
    status: "plain HTTP/1.1",
    keys: ["backend-protocol=AUTO_HTTP"],
  },
  {
    annotation: "`$escaped_request_uri` in `auth-url` / `auth-signin`",
    status: "in `auth-signin`, the whole URI escaped with Debian's set-misc module (`scripts/install-deps.sh` and the image install it), as ingress-nginx; in `auth-url`, or without the module, partial: the request path up to its first character that would need escaping, without the query string",
    keys: [],
  },
];

/** README, "### Differences from ingress-nginx". */
export const DIFFERENCES: readonly DifferenceRow[] = [
  {
    behaviour: "`use-forwarded-headers`",
    ingressNginx: "believes `X-Forwarded-Proto`, `-Port` and `-Host` from any peer",
    portico: "believes them only from `proxy-real-ip-cidr`, as the client address (the default `0.0.0.0/0` behaves the same)",
    why: "one trust setting for everything a proxy in front tells; with it set, a client cannot fake the scheme or host",
    keys: [],
  },
  {
    behaviour: "Exact paths on a host in regex mode",
    ingressNginx: "become `~* \"^PATH\"`: a case-insensitive prefix regex",
    portico: "stay exact and case-sensitive",
    why: "the Ingress API defines Exact; another Ingress's `use-regex` must not widen it (`test/compat/blog-five-surprising-behaviours.test.ts`)",
    keys: [],
  },
  {
    behaviour: "path with a trailing slash",
    ingressNginx: "nginx answers `/my-path` with a 301 to `/my-path/`",
    portico: "Prefix `/my-path/` serves `/my-path` directly; no implicit 301",
    why: "the Ingress API's Prefix matching ignores a trailing slash (`test/compat/blog-five-surprising-behaviours.test.ts`, `test/pathtype-table.test.ts`)",
    keys: [],
  },
  {
    behaviour: "`session-cookie-expires` without Debian's Lua module",
    ingressNginx: "`Expires=<date>` (its Lua balancer)",
    portico: "`Max-Age` only (a warning when only `-expires` is set); with the module (`scripts/install-deps.sh` and the image install it) `Expires=` as ingress-nginx",
    why: "nginx computes no dates; browsers prefer `Max-Age` anyway (RFC 6265) (`test/compat/annotations-affinity.test.ts`)",
    keys: ["session-cookie-expires"],
  },
  {
    behaviour: "`affinity-mode: persistent`",
    ingressNginx: "a session stays on its endpoint when endpoints are added",
    portico: "behaves as `balanced` (a warning): about 1/N of sessions move when endpoints are added",
    why: "the cookie is a key for nginx's consistent hashing; keeping every session needs a balancer that remembers them (`test/compat/annotations-affinitymode.test.ts`)",
    keys: [],
  },
  {
    behaviour: "`load-balance: ewma`; a change of method",
    ingressNginx: "ewma balancing; a change is applied in Lua without touching nginx.conf",
    portico: "`ewma` ignored with a warning (round robin); a change of method rewrites the upstream and reloads",
    why: "nginx's own balancers do the work (`test/compat/loadbalance-configmap.test.ts`; ingress-nginx's `lua/dynamic_configuration.go` asserts the unchanged nginx.conf)",
    keys: [],
  },
  {
    behaviour: "`use-proxy-protocol` with `use-forwarded-headers`, PROXY source in `proxy-real-ip-cidr`",
    ingressNginx: "the client address is taken from that source's X-Forwarded-For",
    portico: "the PROXY header's source stays the client address",
    why: "ingress-nginx rewrites the request header with headers-more before real_ip; not built yet (`test/compat/settings-proxy-protocol.test.ts`)",
    keys: [],
  },
  {
    behaviour: "`backend-protocol: AUTO_HTTP`",
    ingressNginx: "`proxy_pass $scheme://…`: a request that came over https reaches the backend over https",
    portico: "plain HTTP whichever scheme the client used",
    why: "not built yet; a backend that needs https takes `HTTPS` (`test/compat/annotations-backendprotocol.test.ts`)",
    keys: [],
  },
  {
    behaviour: "`$proxy_host` (seen by snippets)",
    ingressNginx: "its upstream's name, `NAMESPACE-SERVICE-PORT-noncanary`",
    portico: "Portico's upstream name, `NAMESPACE.SERVICE.PORT` (with a `.lb-…` suffix for an Ingress's own balancing)",
    why: "the names are each controller's own; in both `upstream-vhost` leaves it alone (`test/compat/settings-proxy-host.test.ts`)",
    keys: [],
  },
  {
    behaviour: "`ssl-protocols` with TLSv1 or TLSv1.1",
    ingressNginx: "accepted",
    portico: "refused as an invalid value (a warning; the default kept)",
    why: "both are deprecated (RFC 8996)",
    keys: [],
  },
  {
    behaviour: "`allow-snippet-annotations` (ConfigMap)",
    ingressNginx: "turns snippets on or off",
    portico: "can only turn them off; `--allow-snippet-annotations` turns them on",
    why: "whoever may edit the ConfigMap should not be able to open nginx.conf to every Ingress author",
    keys: [],
  },
  {
    behaviour: "`log-format-upstream` with ingress-nginx's variables",
    ingressNginx: "`$proxy_upstream_name`, `$req_id`… (its Lua)",
    portico: "refused with a hint; nginx's own variables only",
    why: "they are set by ingress-nginx's Lua code (`src/features/forwarded-headers.test.ts`)",
    keys: [],
  },
  {
    behaviour: "`auth-signin` `rd=` without the set-misc module",
    ingressNginx: "(escaped in Lua)",
    portico: "`$scheme://$http_host$request_uri`, not escaped",
    why: "stock nginx has no escaping; with Debian's `libnginx-mod-http-set-misc` (installed by `scripts/install-deps.sh` and in the image) it is escaped as in ingress-nginx",
    keys: [],
  },
  {
    behaviour: "`server-tokens: \"false\"` without the headers-more module",
    ingressNginx: "(always has it)",
    portico: "`Server: nginx`, no version",
    why: "Portico uses Debian's packages; `scripts/install-deps.sh` and the image install the module",
    keys: [],
  },
  {
    behaviour: "`more_set_headers` and other `more_*` directives in snippets",
    ingressNginx: "always available (headers-more is built in)",
    portico: "available when headers-more is installed and `server-tokens` is `\"false\"` (the default: Portico loads the module only then); with `server-tokens: \"true\"` such a snippet fails `nginx -t` and the last good config keeps serving",
    why: "Portico loads a dynamic module only for a feature of its own; not yet changed (`test/compat/annotations-snippet.test.ts`)",
    keys: [],
  },
  {
    behaviour: "`backend-protocol: AJP`",
    ingressNginx: "`ajp_pass` (its image builds nginx_ajp_module)",
    portico: "the Ingress is rejected, naming the annotation",
    why: "Debian's nginx has no AJP module; serving AJP backends over HTTP would send them requests they cannot read (`test/compat/annotations-backendprotocol.test.ts`)",
    keys: ["backend-protocol=AJP"],
  },
  {
    behaviour: "`upstream-hash-by-subset`, `-subset-size`",
    ingressNginx: "a key goes to a subset of N endpoints (its Lua balancer)",
    portico: "ignored with a warning: a key goes to one endpoint",
    why: "nginx's `hash … consistent` maps a key to one server; a subset needs a balancer in Lua (`test/compat/annotations-upstreamhashby.test.ts`)",
    keys: ["upstream-hash-by-subset", "upstream-hash-by-subset-size"],
  },
  {
    behaviour: "cookie affinity with a canary (`affinity-canary-behavior`)",
    ingressNginx: "a session first served by the canary stays on the canary (`sticky`, the default); `legacy` issues no session cookie from the canary",
    portico: "the canary is chosen by header, cookie, then weight on every request; the session cookie picks the endpoint inside the chosen upstream and is issued whichever upstream answers",
    why: "it needs the cookie to record the upstream that issued it (without Lua, in the cookie's value), not built yet; `test/compat/annotations-canary.test.ts`",
    keys: ["affinity-canary-behavior"],
  },  {
    behaviour: "`proxy-ssl-name` unset, with `proxy-ssl-verify: \"on\"`",
    ingressNginx: "verifies the name `upstream_balancer` (its `proxy_pass` host), which no backend certificate holds: every request is 502",
    portico: "verifies the upstream-vhost, else the request's host",
    why: "a verification that can pass without an extra annotation; set `proxy-ssl-name` to match ingress-nginx's configs exactly (`test/compat/annotations-proxyssl.test.ts`)",
    keys: ["proxy-ssl-name"],
  },  {
    behaviour: "`proxy-ssl-location-only: \"false\"` (the default): the host's other locations",
    ingressNginx: "the first Ingress's Secret (with `ca.crt`) in the server block, inherited by every location of the host",
    portico: "the host's oldest Ingress's values, when it has `ca.crt`, for the host's other locations of the same namespace (not canary paths); each such location gets its own upstream",
    why: "a tenant's client certificate never goes to another namespace's backend, and no location reuses a connection opened under other TLS settings (`test/compat/annotations-proxyssl.test.ts`)",
    keys: ["proxy-ssl-location-only"],
  },  {
    behaviour: "`proxy-ssl-secret` missing or unusable, `proxy-ssl-verify` neither `on` nor `off`, `on` without `ca.crt`",
    ingressNginx: "denies the location, or serves without verifying",
    portico: "rejects the Ingress, naming the Secret or the key",
    why: "never an unverified backend where verification was asked for (`src/features/proxy-ssl.test.ts`)",
    keys: ["proxy-ssl-secret", "proxy-ssl-verify"],
  },



];

/** A README row that applies to one annotation, as the audit shows it. */
export interface KnownDifference {
  /** The README row's first cell. */
  row: string;
  /** What differs, in README's words. */
  text: string;
}

function keyMatches(pattern: string, key: string, message: string): boolean {
  if (pattern.endsWith('*')) return key.startsWith(pattern.slice(0, -1));
  const [k, value] = pattern.split('=', 2) as [string, string | undefined];
  if (k !== key) return false;
  return value === undefined || message.toLowerCase().includes(value.toLowerCase());
}

/**
 * README's rows about annotation `key` (without prefix), for a pipeline message (a warning or a rejection
 * reason) that named it; a `KEY=VALUE` row needs the message to name the value.
 */
export function knownDifferences(key: string, message: string): KnownDifference[] {
  const out: KnownDifference[] = [];
  for (const r of PARTIAL_SUPPORT) {
    if (r.keys.some((p) => keyMatches(p, key, message))) out.push({ row: r.annotation, text: r.status });
  }
  for (const r of DIFFERENCES) {
    if (r.keys.some((p) => keyMatches(p, key, message))) out.push({ row: r.behaviour, text: `ingress-nginx: ${r.ingressNginx}; Portico: ${r.portico}` });
  }
  return out;
}
