import type { NginxModel } from '../model/types.js';
import { socketAddress } from '../render/helpers.js';

/**
 * Endpoint changes without a reload (nginx/portico_endpoints.lua). A dynamic upstream's `server` lines end
 * with this marker; a config that differs from the one in force only in such lines can be put in force by
 * pushing the new lists to nginx, with no nginx -t and no reload.
 */
const DYNAMIC_ENDPOINT_LINE = /^[ \t]*server [^\n]*; # dynamic endpoint\n/gm;

/** The config without its dynamic endpoint lines: equal for two configs that differ in those lines only. */
export function withoutDynamicEndpoints(text: string): string {
  return text.replace(DYNAMIC_ENDPOINT_LINE, '');
}

/** Upstream name → its endpoints as the Lua module reads them ("ADDRESS:PORT ADDRESS:PORT", IPv6 in brackets as in `server` lines). */
export type EndpointSets = ReadonlyMap<string, string>;

export function dynamicEndpointSets(model: NginxModel): EndpointSets {
  const sets = new Map<string, string>();
  for (const u of model.upstreams) {
    if (u.dynamic) sets.set(u.name, u.endpoints.map((e) => socketAddress(e.address, e.port)).join(' '));
  }
  return sets;
}

/** The upstreams of `next` whose endpoints differ from `inForce`. */
export function changedEndpointSets(inForce: EndpointSets, next: EndpointSets): Array<[string, string]> {
  return [...next].filter(([name, endpoints]) => inForce.get(name) !== endpoints);
}

export class EndpointPushError extends Error {
  constructor(reason: string) {
    super(`endpoint update not accepted by nginx: ${reason}`);
    this.name = 'EndpointPushError';
  }
}

/** The header a push carries its secret in (model/dynamic-endpoints.ts newPushToken); nginx compares its digest. */
export const PUSH_TOKEN_HEADER = 'x-portico-push-token';

/**
 * Sends the changed lists to nginx's loopback status server, with the per-start secret; every worker uses
 * them within 0.1 s (REFRESH_SECONDS).
 */
export async function pushEndpoints(statusPort: number, token: string, changes: ReadonlyArray<[string, string]>, timeoutMs = 10_000): Promise<void> {
  const body = changes.map(([name, endpoints]) => `${name} ${endpoints}\n`).join('');
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${statusPort}/portico/endpoints`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', [PUSH_TOKEN_HEADER]: token },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    throw new EndpointPushError((cause ?? (err as Error)).message);
  }
  const text = (await res.text()).trim();
  if (res.status !== 200 || text !== `ok ${changes.length}`) throw new EndpointPushError(`HTTP ${res.status}: ${text.slice(0, 200)}`);
}
