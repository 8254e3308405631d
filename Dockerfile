# syntax=docker/dockerfile:1
# Portico: the controller (Node 20) and Debian's nginx in one image, run as uid 10001.
# Consistent with manifests/base/deployment.yaml: uid/gid 10001, state in /var/lib/portico,
# health and metrics on 10254. The manifests run nginx on 80/443 (the pod's safe sysctl
# net.ipv4.ip_unprivileged_port_start=0, no capability); the image's own default is 8080/8443,
# which need nothing (behind `-p 80:8080` the www redirect then names :8080, as ingress-nginx's would).

# --- build: compile TypeScript to dist/ -------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production node_modules only ---------------------------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------------
# Only what `portico run` uses: node (the binary alone), nginx with the modules the features load (the
# list in scripts/install-deps.sh; test/image/entrypoint.image.test.ts checks they match), openssl (the
# default self-signed certificate is made with it) and tini. On Debian's slim image, the one the Node
# image is built on, so npm, npx, corepack and yarn (about 20 MB) are in no layer. No CA bundle
# (ca-certificates): nothing verifies against the system store (the API server's CA comes from the
# ServiceAccount or the kubeconfig, Node carries its own roots, nginx.conf names no trusted certificate).
FROM debian:bookworm-slim AS runtime
# Debian's archive keeps only the current version of a package in a suite (a security update
# replaces it), so an exact "nginx=<version>" pin would stop this build from working at the next
# update; the suite (bookworm, from the base image) is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx libnginx-mod-http-lua libnginx-mod-http-headers-more-filter libnginx-mod-http-set-misc libnginx-mod-http-modsecurity modsecurity-crs openssl tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && rm -f /etc/nginx/sites-enabled/default \
 && groupadd --system --gid 10001 portico \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/portico --no-create-home --shell /usr/sbin/nologin portico \
 && mkdir -p /var/lib/portico \
 && chown 10001:10001 /var/lib/portico
ENV NODE_ENV=production
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY templates ./templates
COPY nginx ./nginx
USER 10001:10001
VOLUME ["/var/lib/portico"]
EXPOSE 8080 8443 10254
ENTRYPOINT ["tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["run", "--state-dir", "/var/lib/portico", "--http-port", "8080", "--https-port", "8443"]
