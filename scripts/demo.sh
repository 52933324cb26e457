#!/usr/bin/env bash
# The main job on the embedded defaults, from a fresh machine: installs what is
# missing, starts the dev server (left running for the Web UI) and a worker,
# transcodes a generated sample into several renditions.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash scripts/bootstrap.sh
SHARDFLOW_TEMPORAL_CLI="$(cat .tools/temporal-path)"
export SHARDFLOW_TEMPORAL_CLI
# Run through the shebang, so the worker gets its node flags (bin/shardflow.js).
exec ./bin/shardflow.js demo "$@"
