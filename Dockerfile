# syntax=docker/dockerfile:1
# cdn-cert-sync operator image.
#   docker build -t ghcr.io/cdn-cert-sync/cdn-cert-sync:0.1.0 .
# (ghcr.io/cdn-cert-sync is a placeholder registry: push where you deploy from.)
#
# Three stages: `build` compiles the TypeScript with every dependency,
# `deps` installs only the production dependencies, and the runtime stage
# gets dist/ and those, runs as a numeric non-root user, and holds no npm,
# no sources, no tests and no secrets. Pin the base images by digest
# (node:22-bookworm-slim@sha256:...) for reproducible builds.

# ---- build: npm ci (dev dependencies included) and tsc -> dist/
FROM node:22-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
# Install scripts are needed here: the `node` devDependency installs the
# Node 22 binary that `npm run build` runs tsc with.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ src/
RUN npm run build

# ---- deps: production dependencies only. The `node` package is a
# devDependency and is omitted: the base image's own Node 22 runs the
# operator. --ignore-scripts: no production dependency needs an install
# script (package.json's allowScripts disallows @alicloud/openapi-core's).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime
FROM node:22-bookworm-slim AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="cdn-cert-sync" \
      org.opencontainers.image.description="Kubernetes operator that keeps Alibaba Cloud CDN and Tencent Cloud EdgeOne serving the TLS certificates cert-manager renews" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/cdn-cert-sync/cdn-cert-sync"
ENV NODE_ENV=production
# The operator needs neither npm, npx nor corepack at run time.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /build/dist/ dist/
COPY package.json package-lock.json ./
# 65532: the conventional "nonroot" uid/gid; the Kubernetes manifests run as it too.
USER 65532:65532
# 8080: /metrics (METRICS_ADDR); 8081: /healthz and /readyz (HEALTH_ADDR).
EXPOSE 8080 8081
ENTRYPOINT ["node", "dist/main.js"]
