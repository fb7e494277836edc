# syntax=docker/dockerfile:1
# residency-gate container image.
#
#   docker build -t residency-gate:local .
#   docker run --rm -v "$PWD/my-config.yaml:/etc/residency-gate/config.yaml:ro" -p 127.0.0.1:9191:9191 residency-gate:local
#
# The image serves the config mounted at /etc/residency-gate/config.yaml (as the Kubernetes
# Deployment in envoy/istio/ mounts it). It should listen on port 9191 on all interfaces
# (server.listen: 0.0.0.0:9191): EXPOSE and HEALTHCHECK use that port.
#
# Stages: grpc-health-probe (the HEALTHCHECK binary, built from the Go module proxy), build
# (npm ci, Envoy types, tsc), prod-deps (production node_modules only) and the runtime image, which
# holds node_modules, dist/src, package.json, config/ and protos/ (residency-gate's own gRPC
# services, loaded at start), and runs as an unprivileged user.
# No private key goes into the image: .dockerignore excludes config/example/*.private.jwk.json (the
# demo issuer's and the demo audit-signing key). docker-compose.yml mounts them read-only where
# its demo needs them.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG GO_IMAGE=golang:1.26-bookworm

# --- grpc-health-probe: a static gRPC health client for HEALTHCHECK --------------------------------
FROM ${GO_IMAGE} AS health-probe
ARG GRPC_HEALTH_PROBE_VERSION=v0.4.62
# GOTOOLCHAIN=local: build with this image's Go (the module needs go >= 1.26.0), never fetch another.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN=/out
RUN go install github.com/grpc-ecosystem/grpc-health-probe@${GRPC_HEALTH_PROBE_VERSION}

# --- build: dev dependencies, generated Envoy types, compiled JavaScript ---------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/gen-envoy-types.mjs scripts/
COPY src/ src/
# `npm ci` runs the package's prepare script: generate Envoy's types, then tsc -p tsconfig.build.json.
RUN npm ci --no-audit --no-fund

# --- prod-deps: production dependencies only, no install scripts ----------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
COPY config/ ./config/
COPY protos/ ./protos/
COPY --from=health-probe /out/grpc-health-probe /usr/local/bin/grpc-health-probe
# A writable place for the audit trail: config/example.yaml writes to ../var (= /app/var). Mount a
# volume there, or wherever your config's audit.file points, to keep the trail beyond the container.
RUN mkdir -p /app/var && chown 10001:10001 /app/var
# Unprivileged, numeric (Kubernetes' runAsNonRoot can verify a numeric user). Nothing under /app
# but var/ is writable by it.
USER 10001:10001
EXPOSE 9191
# gRPC health, service "": SERVING while residency-gate is ready (see docs/grpcurl.md).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["grpc-health-probe", "-addr=127.0.0.1:9191", "-connect-timeout=2s", "-rpc-timeout=2s"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/etc/residency-gate/config.yaml"]
