#!/usr/bin/env bash
# Installs what Portico's tests and demo need on a fresh Debian machine: nginx, its modules (Lua, ModSecurity...), openssl and
# chromium (the audit report's browser test) from Debian's packages, then the npm packages (npm ci) and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# Debian's Lua module for nginx: upstream endpoints change without a reload (portico run --dynamic-endpoints).
[ -e /usr/lib/nginx/modules/ngx_http_lua_module.so ] || need+=(libnginx-mod-http-lua)
# Debian's headers-more module: server-tokens "false" removes the Server header with it, as ingress-nginx does.
[ -e /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so ] || need+=(libnginx-mod-http-headers-more-filter)
# Debian's set-misc module (with NDK): auth-signin's rd= is URL-escaped with it, as ingress-nginx escapes it.
[ -e /usr/lib/nginx/modules/ngx_http_set_misc_module.so ] || need+=(libnginx-mod-http-set-misc)
# Debian's ModSecurity module (libmodsecurity 3): enable-modsecurity, loaded only when a config asks for it.
[ -e /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ] || need+=(libnginx-mod-http-modsecurity)
# Debian's OWASP Core Rule Set: enable-owasp-core-rules and the ConfigMap's enable-owasp-modsecurity-crs.
[ -e /usr/share/modsecurity-crs/rules ] || need+=(modsecurity-crs)
# Debian's chromium: test/cli-audit.test.ts opens `portico audit --format html` in it, headless (about 130
# packages, 530 MB installed, 2 minutes to install here with apt-get update).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Debian starts the packaged nginx on port 80; Portico runs its own, so the system one is stopped.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  systemctl stop nginx || true
fi
export PATH="$PATH:/usr/sbin"

npm ci --no-audit --no-fund
npm run build
