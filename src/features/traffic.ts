import { createHash } from 'node:crypto';
import type { GlobalConfig, LoadBalanceMethod } from '../model/config.js';
import { refString, type FeatureValues, type IngressRef, type ModelWarning, type Server, type Upstream } from '../model/types.js';
import { affinityKeyVariable, cookieExpiresVariable, setCookieValue, type AffinityAnnotation } from './affinity.js';
import type { Feature } from './feature.js';
import { cookieMapFor, cookieMatches, cookieSource, headerMatches, weightShare, type CanaryMatch, type CookieMap } from './canary.js';

export interface LocationAffinity {
  /** http-level map variable (no `$`): the Set-Cookie value when the request had no affinity cookie, else "". */
  setCookieVariable: string;
  /** session-cookie-expires with the Lua module: the variable (no `$`) the location sets to now + seconds. */
  expires: { variable: string; seconds: number } | undefined;
}

/** One canary decision: maps on header and cookie, a split on the weight, and the map naming the upstream. */
export interface CanaryRoute {
  /** The variable proxy_pass reads (no `$`). */
  variable: string;
  ingress: IngressRef;
  canaryIngress: IngressRef;
  mainUpstream: string;
  canaryUpstream: string;
  /** `$http_NAME` source and its entries, when canary-by-header is set. */
  header: { source: string; variable: string; matches: CanaryMatch[] } | undefined;
  cookie: { source: string; variable: string; matches: CanaryMatch[] } | undefined;
  /** split_clients share, when the weight is strictly between 0 and the total. */
  split: { variable: string; percent: string } | undefined;
  /** The `header:cookie:weight` decision string the final map reads. */
  decision: string;
}

export interface AffinityKey {
  /** The variable (no `$`) holding the cookie's value: `cookie_NAME` or a CookieMap's. */
  source: string;
  variable: string;
}

export interface AffinitySetCookie {
  source: string;
  variable: string;
  value: string;
}

export interface TrafficMaps {
  canaries: CanaryRoute[];
  affinityKeys: AffinityKey[];
  affinitySetCookies: AffinitySetCookie[];
  /** Cookies nginx has no `$cookie_NAME` for (names with ".", "-", ...): read from the Cookie header. */
  cookieMaps: CookieMap[];
}

declare module '../model/types.js' {
  interface Location {
    /** Cookie affinity: the map variable holding the Set-Cookie value (affinity.ts). */
    affinity?: LocationAffinity;
  }
  interface NginxModel {
    /** http-level maps for canary routing and cookie affinity. */
    traffic: TrafficMaps;
  }
  interface Upstream {
    /** Cookie affinity: the upstream hashes on this key (its `hashBy` is `$variable`), which needs its map. */
    affinityKey?: AffinityKey;
  }
}

function emptyTraffic(): TrafficMaps {
  return { canaries: [], affinityKeys: [], affinitySetCookies: [], cookieMaps: [] };
}

/** How an upstream picks an endpoint: cookie affinity, then upstream-hash-by, then load-balance, then the global method. */
export interface UpstreamPolicy {
  loadBalance: LoadBalanceMethod;
  hashBy: string | undefined;
}

export function upstreamPolicy(annotations: FeatureValues | undefined, config: GlobalConfig): UpstreamPolicy {
  const affinity = annotations?.affinity;
  if (affinity?.cookie !== undefined) return { loadBalance: 'hash', hashBy: `$${affinityKeyVariable(affinity.cookie)}` };
  const lb = annotations?.loadBalance;
  if (lb?.hashBy !== undefined) return { loadBalance: 'hash', hashBy: lb.hashBy };
  return { loadBalance: lb?.method ?? config.loadBalance, hashBy: undefined };
}

/** What an upstream of this Ingress records for finishTraffic: the affinity key it hashes on (upstreamPolicy's hashBy). */
function upstreamFacts(annotations: FeatureValues | undefined): Partial<Upstream> | undefined {
  const cookie = annotations?.affinity?.cookie;
  return cookie === undefined ? undefined : { affinityKey: { source: cookieSource(cookie), variable: affinityKeyVariable(cookie) } };
}

/**
 * Upstreams are shared per (service, port); an Ingress that picks endpoints differently from the global
 * default gets its own upstream, named with a short digest of its policy.
 */
export function upstreamSuffix(policy: UpstreamPolicy, config: GlobalConfig): string {
  if (policy.loadBalance === config.loadBalance && policy.hashBy === undefined) return '';
  const digest = createHash('sha256').update(`${policy.loadBalance}|${policy.hashBy ?? ''}`).digest('hex').slice(0, 8);
  return `.lb-${digest}`;
}

function headerSource(name: string): string {
  return `http_${name.toLowerCase().replace(/-/g, '_')}`;
}

/**
 * After the locations exist: turns each location's canary into http-level maps and points its proxy_pass at
 * the map's variable, and gives each affinity location the variable holding its Set-Cookie value.
 */
function finishTraffic(servers: Server[], upstreams: Upstream[], warnings: ModelWarning[]): TrafficMaps {
  const traffic = emptyTraffic();
  const routes = new Map<string, CanaryRoute>();
  const setCookies = new Map<string, AffinitySetCookie>();
  const keys = new Map<string, AffinityKey>();
  const warned = new Set<string>();
  const warnOnce = (ingress: IngressRef, message: string) => {
    const k = `${refString(ingress)}|${message}`;
    if (warned.has(k)) return;
    warned.add(k);
    warnings.push({ object: `Ingress ${refString(ingress)}`, ingress, message });
  };

  for (const server of servers) {
    for (const loc of server.locations) {
      const canary = loc.canary;
      if (canary && loc.backend.kind === 'upstream') {
        if (canary.backend.kind !== 'upstream') {
          warnOnce(canary.ingress, `canary for ${JSON.stringify(loc.ingressPath)} on host ${JSON.stringify(server.host || '*')}: ${canary.backend.reason}; every request goes to the main backend`);
        } else {
          const main = loc.backend.upstream;
          const alt = canary.backend.upstream;
          const policy = canary.annotations.canary;
          const id = JSON.stringify([main, alt, policy]);
          let route = routes.get(id);
          if (!route) {
            const variable = `portico_canary_${routes.size + 1}`;
            const p = policy;
            const header = p.header !== undefined ? { source: headerSource(p.header), variable: `${variable}_header`, matches: headerMatches(p) } : undefined;
            const cookie = p.cookie !== undefined ? { source: cookieSource(p.cookie), variable: `${variable}_cookie`, matches: cookieMatches() } : undefined;
            const share = weightShare(p);
            const split = 'percent' in share ? { variable: `${variable}_weight`, percent: share.percent } : undefined;
            const part = (v: string | undefined) => (v === undefined ? '' : `$${v}`);
            const weightPart = split ? `$${split.variable}` : (share as { constant: string }).constant;
            route = {
              variable,
              ingress: loc.ingress,
              canaryIngress: canary.ingress,
              mainUpstream: main,
              canaryUpstream: alt,
              header,
              cookie,
              split,
              decision: `${part(header?.variable)}:${part(cookie?.variable)}:${weightPart}`,
            };
            routes.set(id, route);
          }
          loc.backend = { ...loc.backend, upstreamVariable: route.variable };
        }
      } else if (canary && loc.backend.kind !== 'upstream') {
        warnOnce(loc.ingress, `path ${JSON.stringify(loc.ingressPath)}: ${loc.backend.reason}; the canary Ingress ${refString(canary.ingress)} gets no traffic either`);
      }

      const affinity: AffinityAnnotation | undefined = loc.annotations.affinity;
      if (affinity?.cookie !== undefined && loc.backend.kind === 'upstream') {
        const cookiePath = affinity.path ?? (loc.modifier === '~*' ? '/' : loc.ingressPath);
        const value = setCookieValue(affinity, cookiePath);
        let entry = setCookies.get(value);
        if (!entry) {
          entry = { source: cookieSource(affinity.cookie), variable: `portico_affset_${setCookies.size + 1}`, value };
          setCookies.set(value, entry);
        }
        loc.affinity = {
          setCookieVariable: entry.variable,
          expires: affinity.expires !== undefined ? { variable: cookieExpiresVariable(affinity.expires), seconds: affinity.expires } : undefined,
        };
      }
    }
  }
  // Every upstream that hashes on an affinity cookie (canary upstreams included) needs the cookie's key map.
  for (const u of upstreams) {
    if (u.affinityKey && !keys.has(u.affinityKey.variable)) keys.set(u.affinityKey.variable, u.affinityKey);
  }
  traffic.canaries = [...routes.values()];
  traffic.affinityKeys = [...keys.values()].sort((a, b) => a.source.localeCompare(b.source));
  traffic.affinitySetCookies = [...setCookies.values()];
  const sources = new Set([...traffic.canaries.flatMap((c) => (c.cookie ? [c.cookie.source] : [])), ...traffic.affinityKeys.map((k) => k.source), ...traffic.affinitySetCookies.map((c) => c.source)]);
  traffic.cookieMaps = [...sources].sort().flatMap((source) => cookieMapFor(source) ?? []);
  return traffic;
}

declare module '../model/types.js' {
  interface FeatureValues {
    traffic: undefined;
  }
}

/**
 * What canary, affinity and load-balance decide together: how each upstream picks an endpoint (cookie
 * affinity, then upstream-hash-by, then load-balance), and the http-level maps of canary routes and
 * affinity cookies. No keys of its own: it reads theirs.
 */
export const trafficFeature: Feature<undefined> = {
  name: 'traffic',
  keys: [],
  parse: () => undefined,
  hooks: {
    upstream(values, config) {
      const policy = upstreamPolicy(values, config);
      return { ...policy, suffix: upstreamSuffix(policy, config), facts: upstreamFacts(values) };
    },
    finish(ctx) {
      ctx.model.traffic = finishTraffic(ctx.servers, ctx.upstreams, ctx.warnings);
    },
    // After server names are final (aliases, www redirects), whose warnings come first.
    finishAfter: ['server-alias', 'redirect'],
  },
};
