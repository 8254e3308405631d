import type { Snapshot } from '../store/snapshot.js';
import type { IngressBackend } from '../store/types.js';
import type { GlobalConfig } from '../model/config.js';
import type { Backend, IngressRef, ModelWarning, Server } from '../model/types.js';
import { refString } from '../model/types.js';
import { checkObjectName } from '../model/validate.js';
import { AnnotationError, globalsByKey, type Feature } from './feature.js';

export interface CustomHttpErrorsAnnotation {
  /** custom-http-errors as the Ingress wrote it (undefined: the ConfigMap's list applies). */
  codes: number[] | undefined;
  /** default-backend: a Service in the Ingress's namespace for error pages and for paths without endpoints. */
  defaultBackend: string | undefined;
  /** Set by resolveErrorBackends: the default-backend Service's backend, when it resolves. */
  backend: Backend | undefined;
  /** Set by resolveErrorBackends: the upstream that renders error pages, and the codes it renders. */
  errorUpstream: string | undefined;
  errorPages: number[];
}

export function parseErrorCodes(value: string): number[] | string {
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return 'must list HTTP status codes, e.g. "404,503"';
  if (parts.length > 100) return 'more than 100 codes';
  const codes: number[] = [];
  for (const p of parts) {
    if (!/^\d{3}$/.test(p) || Number(p) < 400 || Number(p) > 599) return `${JSON.stringify(p)} is not an HTTP error status from 400 to 599`;
    if (!codes.includes(Number(p))) codes.push(Number(p));
  }
  return codes;
}

/** The ConfigMap's custom-http-errors: the codes of every Ingress that sets none. */
export interface CustomHttpErrorsGlobals {
  codes: number[];
}

declare module '../model/types.js' {
  interface FeatureValues {
    customHttpErrors: CustomHttpErrorsAnnotation;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    customHttpErrors: CustomHttpErrorsGlobals;
  }
}

export const customHttpErrorsFeature: Feature<CustomHttpErrorsAnnotation, CustomHttpErrorsGlobals> = {
  name: 'custom-http-errors',
  keys: ['custom-http-errors', 'default-backend'],
  hooks: {
    accepted: (ctx) => resolveErrorBackends(ctx.accepted, ctx.fallback, ctx.config, ctx.snapshot, ctx.backendOf, ctx.warnings),
    backend: (b, path) => withDefaultBackend(b, path.annotations, path.ingress, path.ingressBackend),
    // default-backend standing in for a missing Service sends the error-page headers.
    setsProxyHeader: ({ backend: b }) => b.kind === 'upstream' && Boolean(b.standInFor),
  },
  parse(input) {
    const raw = input.get('custom-http-errors');
    let codes: number[] | undefined;
    if (raw !== undefined) {
      const parsed = parseErrorCodes(raw);
      if (typeof parsed === 'string') throw new AnnotationError('custom-http-errors', parsed);
      codes = parsed;
    }
    const svc = input.get('default-backend')?.trim();
    if (svc !== undefined) {
      const reason = checkObjectName(svc) ?? (svc.includes('.') ? 'must be a Service name in the Ingress namespace (no ".")' : undefined);
      if (reason) throw new AnnotationError('default-backend', reason);
    }
    return { codes, defaultBackend: svc, backend: undefined, errorUpstream: undefined, errorPages: [] };
  },
  globals: globalsByKey<CustomHttpErrorsGlobals>({ codes: [] }, {
    'custom-http-errors': (globals, value) => {
      const parsed = parseErrorCodes(value);
      if (typeof parsed === 'string') return parsed;
      globals.codes = parsed;
      return undefined;
    },
  }),
};

type BackendOf = (namespace: string, backend: IngressBackend) => Backend;

/**
 * Resolves default-backend (the Service's first port, as ingress-nginx does) and which upstream renders each
 * Ingress's custom error pages: its default-backend, else the cluster default backend (spec.defaultBackend
 * of the oldest Ingress). Without either, error pages stay nginx's own, with a warning.
 */
function resolveErrorBackends(
  accepted: ReadonlyArray<{ ref: IngressRef; annotations: { customHttpErrors: CustomHttpErrorsAnnotation } }>,
  fallback: Server['fallback'],
  config: GlobalConfig,
  snapshot: Snapshot,
  backendOf: BackendOf,
  warnings: ModelWarning[],
): void {
  const globalCodes = config.customHttpErrors.codes;
  for (const a of accepted) {
    const c = a.annotations.customHttpErrors;
    const warn = (message: string) => warnings.push({ object: `Ingress ${refString(a.ref)}`, ingress: a.ref, message });
    c.backend = undefined;
    if (c.defaultBackend) {
      const port = snapshot.services.get(`${a.ref.namespace}/${c.defaultBackend}`)?.spec?.ports?.[0];
      if (!port?.port) {
        warn(`default-backend: Service ${a.ref.namespace}/${c.defaultBackend} not found or has no port; ignored`);
      } else {
        const b = backendOf(a.ref.namespace, { service: { name: c.defaultBackend, port: { number: port.port } } });
        if (b.kind === 'upstream') c.backend = { ...b, protocol: 'HTTP' };
        else warn(`default-backend: ${b.reason}; ignored`);
      }
    }
    const errorBackend = c.backend ?? (fallback.kind === 'upstream' ? fallback : undefined);
    const codes = c.codes ?? globalCodes;
    c.errorUpstream = errorBackend?.kind === 'upstream' ? errorBackend.upstream : undefined;
    c.errorPages = c.errorUpstream ? codes : [];
    if (c.codes && c.codes.length > 0 && !c.errorUpstream) {
      warn('custom-http-errors: no default-backend annotation and no cluster default backend; nginx answers with its own error pages');
    }
  }
}

/**
 * A path whose Service has no endpoints (or does not exist) is served by the Ingress's default-backend, which
 * gets the error-page headers with X-Code 503 as in ingress-nginx (its e2e annotations/default_backend.go:
 * x-code=503, x-service-name of the missing Service). Where error pages or a stand-in may be asked for, the
 * backend keeps the path's Service for X-Service-Name/-Port.
 */
export function withDefaultBackend(
  backend: Backend,
  annotations: { customHttpErrors: CustomHttpErrorsAnnotation },
  ingress?: IngressRef,
  ingressBackend?: IngressBackend,
): Backend {
  const c = annotations.customHttpErrors;
  const svc = ingressBackend?.service;
  const service = svc?.name ? { name: svc.name, port: String(svc.port?.number ?? svc.port?.name ?? '') } : undefined;
  if (backend.kind === 'unavailable' && c.backend) {
    if (!ingress || c.backend.kind !== 'upstream') return c.backend;
    return { ...c.backend, service, standInFor: { code: 503, namespace: ingress.namespace, ingressName: ingress.name } };
  }
  if (backend.kind === 'upstream' && c.errorPages.length > 0 && service) return { ...backend, service };
  return backend;
}
