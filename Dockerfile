# mcp-trace-proxy: a transparent OpenTelemetry tracing proxy for MCP servers.
#
#   docker build -t mcp-trace-proxy .
#   docker run --rm --read-only -p 8080:8080 -p 9464:9464 \
#     -e OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318 \
#     mcp-trace-proxy --upstream http://mcp-server:3001/mcp
#
# Behind a TLS-intercepting proxy or with a private registry, give npm what it needs as build secrets
# (never baked into a layer):
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt --secret id=npmrc,src=$HOME/.npmrc .
#
# Pin the base image by digest with a build argument (the digest of the node:24-bookworm-slim you
# vetted, from `docker buildx imagetools inspect node:24-bookworm-slim`):
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest> .
# and stamp the labels: --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD)
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca --mount=type=secret,id=npmrc \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi; \
    npm ci --ignore-scripts && npm cache clean --force
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- deps: production dependencies only ----
FROM ${NODE_IMAGE} AS deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
# What the runtime never reads goes: source maps and type declarations (23 MB of the production
# node_modules), and of js-tiktoken (for --estimate-tokens), which ships every encoding twice, ESM and
# CommonJS (22 MB), all but the CommonJS lite build and the o200k_base ranks (src/tracing/tokens.ts).
RUN --mount=type=secret,id=ca --mount=type=secret,id=npmrc \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi; \
    npm ci --omit=dev --ignore-scripts && npm cache clean --force \
    && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' \) -delete \
    && find node_modules/js-tiktoken/dist -type f ! -name lite.cjs ! -name o200k_base.cjs -delete

# ---- base: the node image less what only builds and package management use ----
# tini (Debian's static build) becomes PID 1: it forwards signals to node and reaps the zombies that
# --stdio mode's child process can leave. npm, npx, corepack and yarn go, and so do apt, perl and
# debconf (purged with dpkg, so that image scanners read a package list that matches the files).
FROM ${NODE_IMAGE} AS base
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tini \
    && cp /usr/bin/tini-static /usr/local/bin/tini \
    && dpkg --purge tini \
    && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
              /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /usr/local/include /usr/local/share/doc \
              /usr/local/share/man /usr/local/share/systemtap /root/.npm /tmp/* \
    && dpkg --purge --force-remove-essential --force-depends apt libapt-pkg6.0 gpgv debconf perl-base e2fsprogs \
    && rm -rf /var/lib/apt /var/cache/apt /var/cache/debconf /etc/apt /var/log/* /usr/share/doc/* /usr/share/man/* \
    && /usr/local/bin/tini --version && node --version

# ---- runtime: one flattened layer of that base, then production node_modules, dist and package.json
# (the version is read from it) ----
FROM scratch
COPY --from=base / /
# VERSION is package.json's (test/container checks it); REVISION is the commit, given at build time.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/mcp-trace-proxy/mcp-trace-proxy
LABEL org.opencontainers.image.title="mcp-trace-proxy" \
      org.opencontainers.image.description="A transparent OpenTelemetry tracing proxy for MCP servers" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production \
    MCP_TRACE_PROXY_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
COPY --chown=0:0 package.json ./
# Numeric, so Kubernetes' runAsNonRoot can verify it; the base image's `node` user (uid/gid 1000).
USER 1000:1000
EXPOSE 8080 9464
# No curl in the image: node asks the admin port. Kubernetes ignores HEALTHCHECK and uses its probes.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MCP_TRACE_PROXY_ADMIN_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/tini", "--", "node", "/app/dist/cli.js"]
