import { LIMITS } from '../limits.js';
import { type IngressRef, type ModelWarning, refString } from '../types.js';
import { rewriteFamily, type RewriteAnnotation } from './rewrite.js';
import { affinityFamily, type AffinityAnnotation } from './affinity.js';
import { canaryFamily, type CanaryAnnotation } from './canary.js';
import { loadBalanceFamily, type LoadBalanceAnnotation } from './load-balance.js';
import { authBasicFamily, type AuthBasicAnnotation } from './auth-basic.js';
import { authExternalFamily, type AuthExternalAnnotation } from './auth-external.js';
import { corsFamily, type CorsAnnotation } from './cors.js';
import { rateLimitFamily, type RateLimitAnnotation } from './rate-limit.js';
import { snippetsFamily, type SnippetsAnnotation } from './snippets.js';
import { sourceRangeFamily, type SourceRangeAnnotation } from './source-range.js';
import { appRootFamily, type AppRootAnnotation } from './app-root.js';
import { sslRedirectFamily, type SslRedirectAnnotation } from './ssl-redirect.js';
import { redirectFamily, type RedirectAnnotation } from './redirect.js';
import { backendProtocolFamily, type BackendProtocolAnnotation } from './backend-protocol.js';
import { proxyFamily, type ProxyAnnotation } from './proxy.js';
import { upstreamHeadersFamily, type UpstreamHeadersAnnotation } from './upstream-headers.js';
import { serverAliasFamily, type ServerAliasAnnotation } from './server-alias.js';
import { customHttpErrorsFamily, type CustomHttpErrorsAnnotation } from './custom-http-errors.js';
import { serviceUpstreamFamily, type ServiceUpstreamAnnotation } from './service-upstream.js';
import { AnnotationError, type AnnotationFamily, type AnnotationInput } from './types.js';

/** Every annotation family's parsed result, one field per family (one file under annotations/ each). */
export interface IngressAnnotations {
  rewrite: RewriteAnnotation;
  canary: CanaryAnnotation;
  loadBalance: LoadBalanceAnnotation;
  affinity: AffinityAnnotation;
  sourceRange: SourceRangeAnnotation;
  authBasic: AuthBasicAnnotation;
  authExternal: AuthExternalAnnotation;
  cors: CorsAnnotation;
  rateLimit: RateLimitAnnotation;
  snippets: SnippetsAnnotation;
  appRoot: AppRootAnnotation;
  sslRedirect: SslRedirectAnnotation;
  redirect: RedirectAnnotation;
  backendProtocol: BackendProtocolAnnotation;
  proxy: ProxyAnnotation;
  upstreamHeaders: UpstreamHeadersAnnotation;
  serverAlias: ServerAliasAnnotation;
  customHttpErrors: CustomHttpErrorsAnnotation;
  serviceUpstream: ServiceUpstreamAnnotation;
}

type Families = { [K in keyof IngressAnnotations]: AnnotationFamily<IngressAnnotations[K]> };

/** The families, in the order their parsers run. */
export const FAMILIES: Families = {
  rewrite: rewriteFamily,
  canary: canaryFamily,
  loadBalance: loadBalanceFamily,
  affinity: affinityFamily,
  sourceRange: sourceRangeFamily,
  authBasic: authBasicFamily,
  authExternal: authExternalFamily,
  cors: corsFamily,
  rateLimit: rateLimitFamily,
  snippets: snippetsFamily,
  appRoot: appRootFamily,
  sslRedirect: sslRedirectFamily,
  redirect: redirectFamily,
  backendProtocol: backendProtocolFamily,
  proxy: proxyFamily,
  upstreamHeaders: upstreamHeadersFamily,
  serverAlias: serverAliasFamily,
  customHttpErrors: customHttpErrorsFamily,
  serviceUpstream: serviceUpstreamFamily,
};

export const ANNOTATION_FAMILIES: ReadonlyArray<AnnotationFamily<unknown>> = Object.values(FAMILIES);

const SUPPORTED_KEYS = new Set(ANNOTATION_FAMILIES.flatMap((f) => f.keys));

export interface AnnotationResult {
  annotations?: IngressAnnotations;
  /** The first invalid annotation; the Ingress is rejected as a whole. */
  error?: AnnotationError;
  warnings: ModelWarning[];
}

/** Keys under the prefix that no family supports: ignored, with a warning so a migrating operator sees them. */
export function unsupportedAnnotations(annotations: Record<string, string>, prefix: string): string[] {
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
export const UNENFORCED_PROTECTION: ReadonlyArray<{ key: string; what: string; off?: readonly string[] }> = [
  { key: 'auth-tls-secret', what: 'client-certificate authentication' },
  { key: 'auth-tls-verify-client', what: 'client-certificate verification', off: ['off'] },
  { key: 'auth-tls-verify-depth', what: 'client-certificate verification' },
  { key: 'auth-tls-match-cn', what: 'client-certificate name matching' },
  { key: 'auth-tls-error-page', what: 'client-certificate authentication' },
  // The upstream may trust the certificate header; unset by Portico, a client could send its own.
  { key: 'auth-tls-pass-certificate-to-upstream', what: 'the verified client certificate sent upstream', off: ['false'] },
  { key: 'proxy-ssl-verify', what: 'verification of the HTTPS backend', off: ['off'] },
  { key: 'proxy-ssl-server-name', what: 'SNI towards the HTTPS backend', off: ['off'] },
  { key: 'proxy-ssl-', what: 'TLS settings towards the HTTPS backend' },
  { key: 'enable-modsecurity', what: 'the ModSecurity web application firewall', off: ['false'] },
  { key: 'enable-owasp-core-rules', what: 'the OWASP core rules of ModSecurity', off: ['false'] },
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
 * (authtls, proxyssl) return before reading the other keys, so `auth-tls-verify-client: on` alone checks
 * no certificate there either. Without the Secret those keys ask for nothing and are only ignored.
 */
const NEEDS_SECRET: ReadonlyArray<{ family: string; secret: string }> = [
  { family: 'auth-tls-', secret: 'auth-tls-secret' },
  { family: 'proxy-ssl-', secret: 'proxy-ssl-secret' },
];

/** The keys (without prefix, sorted) of annotations that ask for a protection Portico does not enforce. */
export function unenforcedProtections(annotations: Record<string, string>, prefix: string): string[] {
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
export function unsupportedWarning(keys: string[]): string | undefined {
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
  for (const [field, family] of Object.entries(FAMILIES)) {
    try {
      annotations[field] = family.parse(full);
    } catch (err) {
      if (err instanceof AnnotationError) return { error: err, warnings };
      throw err;
    }
  }
  return { annotations: annotations as unknown as IngressAnnotations, warnings };
}
