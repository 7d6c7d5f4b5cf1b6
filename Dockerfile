# syntax=docker/dockerfile:1
# Tessera production image: one replica (HTTP + /ws + the Next.js page) on port 3000.
#   docker build -t tessera .
#   docker run -p 3000:3000 tessera                   # embedded database in /app/data, no Redis
# docker-compose.yml runs three of these behind nginx with PostgreSQL and Redis.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: every dependency, dev ones included (next build type-checks with typescript) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build: the production build of the page ----
FROM deps AS build
ENV NEXT_TELEMETRY_DISABLED=1
COPY . .
# The build cache is only useful to later builds, not to the running server. public/ may be empty,
# and git keeps no empty folders: make sure it exists for the runtime stage to copy.
RUN npm run build && rm -rf .next/cache && mkdir -p public

# ---- prod-deps: runtime dependencies only (tsx, which runs server/*.ts, is one of them) ----
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
# Code and dependencies stay owned by root (read-only to the server); only the embedded-database
# directory and Next's runtime cache belong to the unprivileged `node` user of the base image.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/.next ./.next
COPY package.json tsconfig.json next.config.js ./
COPY server ./server
COPY lib ./lib
COPY drizzle ./drizzle
COPY --from=build /app/public ./public
RUN mkdir -p /app/data /app/.next/cache && chown node:node /app/data /app/.next/cache
USER node
EXPOSE 3000
# Healthy when /api/health answers 200 (database reachable; "degraded" with Redis down still counts:
# the replica keeps serving its own clients).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# `npm start` without npm in between: node is PID 1 and gets SIGTERM itself, so `docker stop`
# drains placements and closes WebSockets with 1001 (NODE_ENV=production is set above).
CMD ["node", "--import", "tsx", "server/index.ts"]
