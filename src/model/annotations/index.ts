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

export function parseAnnotations(input: Omit<AnnotationInput, 'get' | 'warn'>, ref: IngressRef): AnnotationResult {
  const all = input.ingress.metadata?.annotations ?? {};
  const prefix = input.options.annotationsPrefix;
  const warnings: ModelWarning[] = [];
  const object = `Ingress ${refString(ref)}`;
  for (const key of unsupportedAnnotations(all, prefix)) {
    warnings.push({ object, ingress: ref, message: `annotation ${key} is not supported by Portico and is ignored` });
  }
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(`${prefix}/`) && String(value).length > LIMITS.annotationValueLength) {
      return { error: new AnnotationError(key.slice(prefix.length + 1), `longer than ${LIMITS.annotationValueLength} characters`), warnings };
    }
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
