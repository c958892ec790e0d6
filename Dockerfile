# syntax=docker/dockerfile:1
# Turnpike's image: built on Debian slim, run on distroless Node.js as the
# non-root user 65532. The runtime stage has no shell, no package manager and no curl,
# and the gateway writes nothing to disk (logs go to stdout), so it runs with a
# read-only root filesystem.

# ---- build: full install, compile, then drop the dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `npm ci` would run `prepare` (the build) before the sources are
# copied; no production dependency needs an install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
COPY examples ./examples
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ARG TURNPIKE_COMMIT=unknown
ENV NODE_ENV=production \
    TURNPIKE_COMMIT=${TURNPIKE_COMMIT}
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY configs ./configs
# The admin web dashboard's static files: tsc emits no .html/.css, and
# dist/routes/dashboard.js looks for them in the source tree's routes/dashboard.
COPY routes/dashboard ./routes/dashboard
# COPY leaves the files root-owned: the nonroot user can read them, not change them.
USER 65532:65532
# 8080 the data plane, 9090 the admin API (/healthz, /readyz, /metrics). The bundled
# configs/gateway.yaml binds admin to 127.0.0.1; mount a config that binds it to
# 0.0.0.0 (as deploy/compose/gateway.yaml does) to reach it from outside.
EXPOSE 8080 9090
# No HEALTHCHECK: distroless has no shell or curl to run one. Compose and Kubernetes
# probe GET /healthz and /readyz on the admin port from outside instead.
# The image's entrypoint is node; the config is ./configs/gateway.yaml unless
# -c FILE or TURNPIKE_CONFIG points elsewhere (e.g. /etc/turnpike/gateway.yaml).
CMD ["dist/src/cli/main.js", "start"]
