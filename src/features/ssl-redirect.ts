import type { GlobalConfig } from '../model/config.js';
import { checkLiteralPath } from '../model/validate.js';
import { boolAnnotation, boolGlobal, globalsByKey, type Feature } from './feature.js';

/** Effective values for one Ingress: its annotations, or the ConfigMap's keys, or ingress-nginx's defaults. */
export interface SslRedirectAnnotation {
  /** ssl-redirect: plain http is redirected to https when the host has TLS. */
  sslRedirect: boolean;
  /** force-ssl-redirect: plain http is redirected to https even when the host has no TLS. */
  forceSslRedirect: boolean;
  /** preserve-trailing-slash: keep a trailing "/" in the https redirect (ingress-nginx drops it by default). */
  preserveTrailingSlash: boolean;
  /**
   * use-port-in-redirects: the https redirect names the https listen port, and nginx's own absolute
   * redirects the port it accepted on (`port_in_redirect on`). Off by default, as in ingress-nginx: behind
   * a Service or load balancer the listen port is not the one clients connect to.
   */
  usePortInRedirects: boolean;
  /** The Location of this Ingress's http → https redirect (httpsRedirectTarget). */
  httpsRedirect: string;
}

/** ConfigMap keys of this feature: every Ingress's defaults. */
export interface SslRedirectGlobals {
  /** ssl-redirect (ingress-nginx's default: true). */
  sslRedirect: boolean;
  forceSslRedirect: boolean;
  preserveTrailingSlash: boolean;
  usePortInRedirects: boolean;
  /** no-tls-redirect-locations: locations whose path starts with one of these are never redirected. */
  noTlsRedirectLocations: string[];
}

const DEFAULT_SSL_REDIRECT_GLOBALS: SslRedirectGlobals = {
  sslRedirect: true,
  forceSslRedirect: false,
  preserveTrailingSlash: false,
  usePortInRedirects: false,
  noTlsRedirectLocations: ['/.well-known/acme-challenge'],
};

declare module '../model/types.js' {
  interface FeatureValues {
    sslRedirect: SslRedirectAnnotation;
  }
}
declare module '../model/config.js' {
  interface FeatureGlobals {
    sslRedirect: SslRedirectGlobals;
  }
}

export const sslRedirectFeature: Feature<SslRedirectAnnotation, SslRedirectGlobals> = {
  name: 'ssl-redirect',
  keys: ['ssl-redirect', 'force-ssl-redirect', 'preserve-trailing-slash', 'use-port-in-redirects'],
  hooks: {
    location(location, host) {
      location.redirectToHttps = redirectsToHttps(location.annotations, location.ingressPath, host.isTlsHost, host.config);
      location.httpsRedirect = location.annotations.sslRedirect.httpsRedirect;
    },
    server(server, host) {
      server.redirectToHttps = redirectsToHttps(server.serverAnnotations, '/', host.isTlsHost, host.config);
      // Unmatched paths: the ConfigMap's settings, with the request's URI as it came.
      server.httpsRedirect = httpsRedirectTarget(defaultSslRedirect(host.config, host.options.httpsPort), host.options.httpsPort, '$request_uri');
    },
  },
  parse(input, g) {
    const effective = {
      sslRedirect: boolAnnotation(input, 'ssl-redirect') ?? g.sslRedirect,
      forceSslRedirect: boolAnnotation(input, 'force-ssl-redirect') ?? g.forceSslRedirect,
      preserveTrailingSlash: boolAnnotation(input, 'preserve-trailing-slash') ?? g.preserveTrailingSlash,
      usePortInRedirects: boolAnnotation(input, 'use-port-in-redirects') ?? g.usePortInRedirects,
    };
    return { ...effective, httpsRedirect: httpsRedirectTarget(effective, input.options.httpsPort) };
  },
  globals: globalsByKey<SslRedirectGlobals>(DEFAULT_SSL_REDIRECT_GLOBALS, {
    'ssl-redirect': boolGlobal('sslRedirect'),
    'force-ssl-redirect': boolGlobal('forceSslRedirect'),
    'preserve-trailing-slash': boolGlobal('preserveTrailingSlash'),
    'use-port-in-redirects': boolGlobal('usePortInRedirects'),
    'no-tls-redirect-locations': (globals, value) => {
      const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const p of list) {
        const reason = checkLiteralPath(p);
        if (reason) return `${JSON.stringify(p)}: ${reason}`;
      }
      globals.noTlsRedirectLocations = list;
      return undefined;
    },
  }),
};

/**
 * Whether plain http to a location is redirected to https: force-ssl-redirect always, ssl-redirect when the
 * host has TLS; never for paths under no-tls-redirect-locations (ACME HTTP-01 challenges must answer on http).
 */
export function redirectsToHttps(annotations: { sslRedirect: SslRedirectAnnotation } | undefined, ingressPath: string, isTlsHost: boolean, config: GlobalConfig): boolean {
  const g = config.sslRedirect;
  if (g.noTlsRedirectLocations.some((prefix) => ingressPath.startsWith(prefix))) return false;
  const a = annotations?.sslRedirect ?? g;
  return a.forceSslRedirect || (isTlsHost && a.sslRedirect);
}

/** What an Ingress without these annotations gets: the ConfigMap's keys, or ingress-nginx's defaults. */
function defaultSslRedirect(config: GlobalConfig, httpsListenPort: number): SslRedirectAnnotation {
  const g = config.sslRedirect;
  const effective = { sslRedirect: g.sslRedirect, forceSslRedirect: g.forceSslRedirect, preserveTrailingSlash: g.preserveTrailingSlash, usePortInRedirects: g.usePortInRedirects };
  return { ...effective, httpsRedirect: httpsRedirectTarget(effective, httpsListenPort) };
}

/**
 * The Location of the http → https redirect, as ingress-nginx writes it: the request's host without any
 * port (nginx's $host), because the port nginx listens on is rarely the one clients reach: a Service maps
 * 443 to the pod, a NodePort 30443 to it, a load balancer anything. Clients then use https's default port,
 * 443. Only use-port-in-redirects names a port, and then the https listen port (ingress-nginx: --https-port),
 * for installs that clients reach directly on it. One trailing "/" is dropped unless preserve-trailing-slash.
 */
function httpsRedirectTarget(a: Omit<SslRedirectAnnotation, 'httpsRedirect'>, httpsListenPort: number, uri: '$request_uri' | '$portico_request_uri_trimmed' = a.preserveTrailingSlash ? '$request_uri' : '$portico_request_uri_trimmed'): string {
  return `https://$portico_redirect_host${a.usePortInRedirects ? `:${httpsListenPort}` : ''}${uri}`;
}
