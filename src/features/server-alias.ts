import { serverNamesFor } from '../model/hosts.js';
import type { IngressRef, ModelWarning, Server } from '../model/types.js';
import { refString } from '../model/types.js';
import { checkHost } from '../model/validate.js';
import { AnnotationError, type Feature } from './feature.js';

export interface ServerAliasAnnotation {
  /** server-alias: extra names the Ingress's hosts answer to. */
  hosts: string[];
}

const MAX_ALIASES = 100;

declare module '../model/types.js' {
  interface FeatureValues {
    serverAlias: ServerAliasAnnotation;
  }
}

export const serverAliasFeature: Feature<ServerAliasAnnotation> = {
  name: 'server-alias',
  keys: ['server-alias'],
  serverKeys: (v) => (v.hosts.length > 0 ? ['server-alias'] : []),
  hooks: {
    finish: (model) => applyServerAliases(model.servers, model.ageOrder, model.warnings, model.hostOwner),
  },
  parse(input) {
    const raw = input.get('server-alias');
    if (raw === undefined) return { hosts: [] };
    const hosts = raw.split(',').map((h) => h.trim()).filter((h) => h !== '');
    if (hosts.length > MAX_ALIASES) throw new AnnotationError('server-alias', `more than ${MAX_ALIASES} names`);
    for (const host of hosts) {
      const reason = checkHost(host);
      if (reason) throw new AnnotationError('server-alias', `${JSON.stringify(host)}: ${reason}`);
    }
    return { hosts: [...new Set(hosts)] };
  },
};

/**
 * Adds each host's aliases to its server_name. An alias never takes a name that an Ingress rule defines as
 * a host, nor one another host already aliased: it is skipped with a warning. Aliases come from every
 * Ingress with a path on the host; contested aliases go to the oldest Ingress (`ageOrder`: accepted
 * Ingresses, oldest first).
 */
function applyServerAliases(
  servers: Server[],
  ageOrder: IngressRef[],
  warnings: ModelWarning[],
  /** The namespace a host belongs to (tenancy): only its Ingresses add names to the host's server (build.ts rejects the others'). */
  ownerOf: (host: string) => string | undefined = () => undefined,
): void {
  const hosts = new Set(servers.map((s) => s.host));
  const rank = new Map(ageOrder.map((r, i) => [refString(r), i]));
  const requests: Array<{ server: Server; ingress: IngressRef; alias: string; rank: number }> = [];
  for (const server of servers) {
    if (server.isDefault) continue;
    const owner = ownerOf(server.host);
    for (const { ingress, annotations } of server.ingressAnnotations) {
      if (owner !== undefined && ingress.namespace !== owner) continue;
      for (const alias of annotations.serverAlias.hosts) requests.push({ server, ingress, alias, rank: rank.get(refString(ingress)) ?? Infinity });
    }
  }
  requests.sort((a, b) => a.rank - b.rank);
  const claimed = new Map<string, string>();
  for (const { server, ingress, alias } of requests) {
    if (alias === server.host || claimed.get(alias) === server.host) continue;
    const reason = hosts.has(alias)
      ? `host ${alias} is defined by an Ingress rule`
      : claimed.has(alias)
        ? `${alias} is already an alias of host ${claimed.get(alias)}`
        : undefined;
    if (reason) {
      warnings.push({ object: `Ingress ${refString(ingress)}`, ingress, message: `server-alias ${alias} on host ${server.host} ignored: ${reason}` });
      continue;
    }
    claimed.set(alias, server.host);
    server.serverNames.push(...serverNamesFor(alias));
  }
}
