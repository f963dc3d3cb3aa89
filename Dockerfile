# syntax=docker/dockerfile:1

# Chatbot backend: multi-stage image.
#   docker build -t chatbot-backend .
#   docker run -p 3000:3000 -e JWT_SECRET=... -e DATABASE_URL=postgres://... chatbot-backend
# Without DATABASE_URL the service uses the embedded database in /app/data; mount a volume there to
# keep it (-v chatbot-data:/app/data). See docker-compose.yml for the app + PostgreSQL setup.
# No stage needs a C++ toolchain: argon2id comes from @node-rs/argon2's prebuilt npm packages.

ARG NODE_IMAGE=node:20-bookworm-slim

# build: the full dependency tree (incl. @nestjs/cli, typescript) and `nest build` -> dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig*.json nest-cli.json ./
COPY src ./src
RUN npm run build

# runtime: production dependencies and dist/ only, as the non-root `node` user
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/data \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Application code stays root-owned (read-only for the service); only /app/data is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
