# syntax=docker/dockerfile:1
# naftiko-gateway image: docker build -t naftiko-gateway .
# Another capability baked in: docker build --build-arg CAPABILITY_FILE=path/in/context.yaml .
# Or mount one at run time and point GATEWAY_CAPABILITY at it (see docs/deployment.md).

# Build stage: compile TypeScript with the dev dependencies.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: nothing the build needs runs one, and it keeps the build hermetic.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Runtime stage: tini, production dependencies and the compiled code only.
FROM node:22-slim AS runtime
# tini as PID 1 forwards signals (SIGTERM drains, SIGHUP reloads) and reaps zombies; Node as PID 1 does neither well.
# Debian's tini is pinned by the base image's release; version pins on apt packages break on every point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
ARG CAPABILITY_FILE=capability.yaml
COPY ${CAPABILITY_FILE} ./capability.yaml
# The official-dialect JSON schema `check` validates against.
COPY schemas ./schemas
# The capability the gateway serves; override at run time to serve a mounted file.
ARG GATEWAY_CAPABILITY=/app/capability.yaml
ENV GATEWAY_CAPABILITY=${GATEWAY_CAPABILITY} \
    GATEWAY_HOST=0.0.0.0
# The image's `node` user, numerically so Kubernetes' runAsNonRoot can verify it.
# Code and dependencies stay owned by root: the gateway cannot modify itself.
# The embedded role-change ledger lives in ./data/ledger: writable by the runtime user, a volume to keep it.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
VOLUME ["/app/data"]
USER 1000:1000
EXPOSE 8080 9090
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.GATEWAY_REST_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
CMD ["serve"]
