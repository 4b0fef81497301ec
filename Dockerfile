# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled code only.
FROM node:22-slim AS runtime
ENV NODE_ENV=production \
    GATEWAY_CAPABILITY=/app/capability.yaml \
    GATEWAY_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY capability.yaml ./capability.yaml
# The embedded role-change ledger lives in ./data/ledger: writable by the runtime user, a volume to keep it.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 8080 9090
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --init semantics: node runs as PID 1 only behind `docker run --init` or tini; the gateway handles SIGTERM itself.
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
