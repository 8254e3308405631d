import { createHash, randomBytes } from 'node:crypto';
import type { ModelOptions } from './types.js';

/** Below the state dir: nginx/portico_endpoints.lua is copied here, and nginx's lua_package_path points here. */
export const LUA_DIR = 'lua';

/** The dynamic modules dynamic endpoints load, from nginx's modules directory (Debian: libnginx-mod-http-lua). */
export function luaModules(modulesDir: string): { ndkModule: string; luaModule: string } {
  const dir = modulesDir.replace(/\/+$/, '');
  return { ndkModule: `${dir}/ndk_http_module.so`, luaModule: `${dir}/ngx_http_lua_module.so` };
}

/** Debian's libnginx-mod-http-headers-more-filter in modulesDir (server-tokens "false" removes the Server header with it). */
export function headersMoreModulePath(modulesDir: string): string {
  return `${modulesDir.replace(/\/+$/, '')}/ngx_http_headers_more_filter_module.so`;
}

/** Debian's libnginx-mod-http-set-misc in modulesDir (auth-signin's rd= is URL-escaped with it). */
export function setMiscModulePath(modulesDir: string): string {
  return `${modulesDir.replace(/\/+$/, '')}/ngx_http_set_misc_module.so`;
}

/** Debian's libnginx-mod-http-modsecurity in modulesDir (enable-modsecurity needs it). */
export function modsecurityModulePath(modulesDir: string): string {
  return `${modulesDir.replace(/\/+$/, '')}/ngx_http_modsecurity_module.so`;
}

/** Dynamic endpoints are pushed through the loopback status server, so they need it. */
export function dynamicEndpointsOn(options: ModelOptions): boolean {
  return options.dynamicEndpoints === true && (options.statusPort ?? 0) > 0;
}

/**
 * The per-start secret a push must carry: 256 random bits, held only in the controller's memory. An
 * EndpointSlice pointing at the loopback status server, or anything else that reaches it on 127.0.0.1,
 * cannot push without it.
 */
export function newPushToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What nginx.conf holds instead of the secret (and what /debug/config may show): its SHA-1, hex. Debian's
 * Lua module offers SHA-1 (ngx.sha1_bin) with no other package; for a 256-bit random secret only preimage
 * resistance matters, which SHA-1's known weaknesses (collisions) do not touch.
 */
export function pushTokenDigest(token: string): string {
  return createHash('sha1').update(token).digest('hex');
}
