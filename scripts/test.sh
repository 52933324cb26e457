#!/usr/bin/env bash
# Full test run: bootstrap the toolchain, make sure a Temporal dev server is up,
# then run the test suite. Extra arguments are passed on as `npm test -- ARGS`.
#
# A dev server that was already running is reused and left alone; one started
# here is stopped on exit unless SHARDFLOW_KEEP_SERVER=1.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# The Web UI test drives chromium; bootstrap installs it when this is 1.
export SHARDFLOW_BROWSER_TESTS="${SHARDFLOW_BROWSER_TESTS:-1}"
bash scripts/bootstrap.sh

# Tests find the CLI through SHARDFLOW_TEMPORAL_CLI; PATH covers anything that
# just runs `temporal`.
SHARDFLOW_TEMPORAL_CLI="$(cat .tools/temporal-path)"
export SHARDFLOW_TEMPORAL_CLI
PATH="$(dirname "$SHARDFLOW_TEMPORAL_CLI"):$PATH"
export PATH
# The CLI's defaults, made explicit so tests connect where it listens.
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
export TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"

STARTED_SERVER=0
STARTED_CLUSTER=0
cleanup() {
  if [ "$STARTED_CLUSTER" = "1" ]; then bash scripts/cluster.sh down --wipe || true; fi
  if [ "$STARTED_SERVER" = "1" ]; then
    if [ "${SHARDFLOW_KEEP_SERVER:-}" = "1" ]; then
      echo "test: leaving the dev server running (SHARDFLOW_KEEP_SERVER=1)"
    else
      node bin/shardflow.js server stop || true
    fi
  fi
}
# Set before starting anything, so a start that fails half-way is cleaned up too.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if node bin/shardflow.js server status >/dev/null 2>&1; then
  echo "test: using the dev server already running at $TEMPORAL_ADDRESS"
else
  STARTED_SERVER=1
fi
node bin/shardflow.js server start

# The production-shaped cluster (docs/cluster.md) for test/e2e/cluster.test.ts and the chaos
# pass, when asked (CI asks): its binaries are built once per machine and cached outside the
# checkout. Only the test's own variables are taken; every other test stays on the dev server.
if [ "${SHARDFLOW_CLUSTER_TESTS:-0}" = "1" ] || [ "${SHARDFLOW_CHAOS_TESTS:-0}" = "1" ]; then
  STARTED_CLUSTER=1
  bash scripts/cluster.sh up
  # The cluster tests run when these are set; the chaos pass sets them for itself.
  if [ "${SHARDFLOW_CLUSTER_TESTS:-0}" = "1" ]; then
    eval "$(bash scripts/cluster.sh env | grep '^export SHARDFLOW_CLUSTER_')"
  fi
fi

# Lint first: a Node import in workflow code fails the run before any test starts.
npm run lint
npm test -- "$@"

# The chaos suite's bounded pass (docs/reliability.md#chaos-suite), when asked (CI asks): what
# `npm run chaos:ci` runs, without building again (npm test just built dist/).
if [ "${SHARDFLOW_CHAOS_TESTS:-0}" = "1" ]; then
  bash scripts/chaosCi.sh
fi
