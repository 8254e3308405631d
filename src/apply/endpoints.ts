import { request } from 'node:http';
import type { NginxModel } from '../model/types.js';

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

/** Upstream name → its endpoints as the Lua module reads them ("ADDRESS:PORT ADDRESS:PORT"). */
export type EndpointSets = ReadonlyMap<string, string>;

export function dynamicEndpointSets(model: NginxModel): EndpointSets {
  const sets = new Map<string, string>();
  for (const u of model.upstreams) {
    if (u.dynamic) sets.set(u.name, u.endpoints.map((e) => `${e.address}:${e.port}`).join(' '));
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

/** Sends the changed lists to nginx's loopback status server; every worker uses them within 0.1 s (REFRESH_SECONDS). */
export function pushEndpoints(statusPort: number, changes: ReadonlyArray<[string, string]>, timeoutMs = 10_000): Promise<void> {
  const body = changes.map(([name, endpoints]) => `${name} ${endpoints}\n`).join('');
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: statusPort, method: 'POST', path: '/portico/endpoints', headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode === 200 && text.trim() === `ok ${changes.length}`) resolve();
          else reject(new EndpointPushError(`HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new EndpointPushError(err.message)));
    req.end(body);
  });
}
