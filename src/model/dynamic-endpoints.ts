import type { ModelOptions } from './types.js';

/** Below the state dir: nginx/portico_endpoints.lua is copied here, and nginx's lua_package_path points here. */
export const LUA_DIR = 'lua';

/** The dynamic modules dynamic endpoints load, from nginx's modules directory (Debian: libnginx-mod-http-lua). */
export function luaModules(modulesDir: string): { ndkModule: string; luaModule: string } {
  const dir = modulesDir.replace(/\/+$/, '');
  return { ndkModule: `${dir}/ndk_http_module.so`, luaModule: `${dir}/ngx_http_lua_module.so` };
}

/** Dynamic endpoints are pushed through the loopback status server, so they need it. */
export function dynamicEndpointsOn(options: ModelOptions): boolean {
  return options.dynamicEndpoints === true && (options.statusPort ?? 0) > 0;
}
