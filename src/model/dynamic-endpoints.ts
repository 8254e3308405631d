import type { ModelOptions } from './types.js';

/** Below the state dir: nginx/portico_endpoints.lua is copied here, and nginx's lua_package_path points here. */
export const LUA_DIR = 'lua';

/** Dynamic endpoints are pushed through the loopback status server, so they need it. */
export function dynamicEndpointsOn(options: ModelOptions): boolean {
  return options.dynamicEndpoints === true && (options.statusPort ?? 0) > 0;
}
