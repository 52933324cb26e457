# shardflow container images.
#
#   docker build --target worker -t shardflow-worker .
#   docker run --init --rm \
#     -e TEMPORAL_ADDRESS=host.docker.internal:7233 -e TEMPORAL_NAMESPACE=default \
#     -v shardflow-data:/data shardflow-worker
#
# docker-compose.temporal.yml builds the `worker` target and runs it next to a
# Temporal cluster. Run the image with an init process (`docker run --init`, or
# `init: true` in compose) so that ffmpeg child processes are reaped and
# SIGTERM reaches node.

# ---------------------------------------------------------------------------
# build: compile the TypeScript, then keep only the production dependencies.
# ---------------------------------------------------------------------------
FROM node:20-bookworm-slim AS build

WORKDIR /app

# Install dependencies in their own layer, so that this layer is rebuilt only
# when the manifests change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json ./
COPY src/ ./src/
COPY bin/ ./bin/
# Compiles to dist/ (bin/shardflow.js loads ../dist/src/cli/main.js).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------
# runtime: what both images share (Node 20 + ffmpeg + the compiled app).
# ---------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime

ENV NODE_ENV=production

# ffmpeg from Debian bookworm (ffprobe is included).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged runtime user. The application files stay root-owned and
# read-only. Only /data (SHARDFLOW_DATA_DIR) is writable by this user. A new
# named volume mounted at /data takes its ownership from this directory.
RUN groupadd --system --gid 10001 shardflow \
 && useradd --system --uid 10001 --gid shardflow \
      --create-home --home-dir /home/shardflow --shell /usr/sbin/nologin shardflow \
 && mkdir -p /data \
 && chown shardflow:shardflow /data

WORKDIR /app

COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The Python runner of python: flow functions (src/functions/userFunctions/childFunction.ts).
COPY runners/ ./runners/

# ---------------------------------------------------------------------------
# fc: the Function Compute 3.0 custom-container image for `shardflow
# fc-handler` (see deploy/fc/s.yaml and docs/function-compute.md).
#
#   docker build --target fc -t shardflow-fc .
#   docker run --init --rm -p 127.0.0.1:9000:9000 -e SHARDFLOW_FC_SECRET=... shardflow-fc
#
# It serves POST /invoke on 0.0.0.0:9000 (FC's default CAPort) and refuses to
# start there without SHARDFLOW_FC_SECRET (docs/security.md). Scratch files
# go to /tmp, the disk FC gives every instance (the function's diskSize).
# ---------------------------------------------------------------------------
FROM runtime AS fc

ENV SHARDFLOW_DATA_DIR=/tmp/shardflow

USER shardflow

EXPOSE 9000

CMD ["node", "/app/bin/shardflow.js", "fc-handler", "--port", "9000"]

# ---------------------------------------------------------------------------
# worker: the runtime image for `shardflow worker`. Last, so a build without
# --target still gives the worker.
# ---------------------------------------------------------------------------
FROM runtime AS worker

ENV SHARDFLOW_DATA_DIR=/data
VOLUME /data

USER shardflow

# The node flags bin/shardflow.js's first line gives a worker (WORKER_NODE_FLAGS in src/workerNodeFlags.ts).
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/bin/shardflow.js"]
CMD ["worker"]
