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

# ---- build: all dependencies, compile TypeScript to dist/ ----
FROM node:24-bookworm-slim AS build
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
FROM node:24-bookworm-slim AS deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca --mount=type=secret,id=npmrc \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi; \
    npm ci --omit=dev --ignore-scripts && npm cache clean --force

# ---- runtime: node, production node_modules, dist and package.json (the version is read from it) ----
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
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
ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/dist/cli.js"]
