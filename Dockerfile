# syntax=docker/dockerfile:1
# The Vigil controller image: `docker build -t vigil:0.1.0 .`
#
# Base images are referenced by version tag; pin them by digest in release builds, for example
#   docker build --build-arg NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:<digest> \
#                --build-arg RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot@sha256:<digest> .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

# Build: install everything, compile TypeScript, then drop the development dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
# Manifests first, so the dependency layer is reused while only sources change. `npm ci` runs the
# `prepare` script (the build), which needs the sources, so scripts are skipped here and the build runs below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY specs ./specs
COPY controller ./controller
COPY crd ./crd
# Dependencies' own install scripts (native modules) run now, then the build, then production dependencies only.
RUN npm rebuild \
 && npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && npm cache clean --force

# Runtime: no shell, no package manager; the "nonroot" variant runs as uid/gid 65532.
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="vigil" \
      org.opencontainers.image.description="GitOps change control for clinical and operational AI: the Vigil controller and CLI." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/vigil-dev/vigil" \
      org.opencontainers.image.url="https://github.com/vigil-dev/vigil" \
      org.opencontainers.image.vendor="Vigil"
WORKDIR /app
ENV NODE_ENV=production
# Owned by root and not writable by the process; the chart mounts a writable /tmp.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/crd ./crd
USER 65532:65532
EXPOSE 8080 8443
# The distroless image has node at /nodejs/bin/node and not on PATH.
ENTRYPOINT ["/nodejs/bin/node", "bin/vigil.js"]
CMD ["controller"]
