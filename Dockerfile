# One image for every process of the platform; Compose picks the process with
# `command` (node services/gateway/main.js, node workers/booking/main.js, …).

# 1. Build: compile the TypeScript once, with the files the code reads beside it.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.sh scripts/build.sh
COPY lib lib
COPY services services
COPY workers workers
COPY waiting-room waiting-room
RUN bash scripts/build.sh dist

# 2. Production dependencies only (bcrypt's prebuilt binary matches the runtime's glibc).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: the compiled tree at the same relative paths as the sources, so
#    paths resolved from import.meta.url (Lua scripts, pages, node_modules) hold.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /src/dist ./
COPY --chown=node:node package.json ./
# Where Compose's edge-config writes haproxy.cfg (a named volume starts as a copy of it, owned by node).
RUN mkdir /etc/onsale-edge && chown node:node /etc/onsale-edge
USER node
EXPOSE 3000
# Every process serves GET /health on PORT (200 when its Redis and MongoDB answer).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM reaches node directly (exec form): each process shuts down gracefully.
CMD ["node", "services/gateway/main.js"]

# 4. Load generator for the `load` Compose profile, never deployed: k6 (from the
#    official grafana/k6 image) plus the Node runner that seeds a concert and real
#    fans through the API, runs the k6 scenario and verifies the result.
FROM grafana/k6:1.8.1 AS k6
FROM build AS load
COPY --from=k6 /usr/bin/k6 /src/.tools/bin/k6
COPY scripts scripts
COPY test/support test/support
COPY load/run.ts load/run.ts
COPY load/lib load/lib
COPY load/scenarios load/scenarios
ENV NODE_ENV=production K6_NO_USAGE_REPORT=true
ENTRYPOINT ["node", "--import", "tsx", "load/run.ts"]
CMD ["storm"]
