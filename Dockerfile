# syntax=docker/dockerfile:1

# Chatbot backend: multi-stage image.
#   docker build -t chatbot-backend .
#   docker run -p 3000:3000 -e JWT_SECRET=... -e DATABASE_URL=postgres://... chatbot-backend
# Without DATABASE_URL the service uses the embedded database in /app/data; mount a volume there to
# keep it (-v chatbot-data:/app/data). See docker-compose.yml for the app + PostgreSQL setup.
#
# Why a separate prod-deps stage with a C++ toolchain: the prebuilt binaries shipped by argon2 0.45
# declare Node-API 10, which Node 20 (Node-API 9) cannot load (it crashes on load), so its install
# script falls back to compiling from source. That needs python3/make/g++, which must not end up in
# the runtime image; the runtime stage therefore copies the already-built production node_modules.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------------
# build: full dependency tree (incl. dev: @nestjs/cli, typescript) and `nest build` -> dist/.
# Install scripts are skipped: compiling TypeScript needs no native addon.
# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts

COPY tsconfig*.json nest-cli.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------------------------------
# prod-deps: production dependencies only, native addons (argon2) compiled against this Node.
# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Use the headers shipped with the image instead of downloading them; no telemetry from installs.
ENV NODE_ENV=production \
    npm_config_nodedir=/usr/local \
    SCARF_ANALYTICS=false \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
 && npm cache clean --force \
 && node -e "import('argon2').then((a) => a.hash('smoke-test')).then(() => console.log('argon2 native module OK'))"

# ---------------------------------------------------------------------------------------------------
# runtime: production node_modules + dist/ only; no compilers, no dev dependencies, non-root user.
# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app

# Application code stays root-owned (read-only for the service); only /app/data is writable.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data \
 && chown node:node /app/data

USER node
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

CMD ["node", "dist/main.js"]
