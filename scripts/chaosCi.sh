#!/usr/bin/env bash
# The chaos suite's pass for CI (`npm run chaos:ci`, and scripts/test.sh when
# SHARDFLOW_CHAOS_TESTS=1): every scenario on both targets
# (docs/reliability.md#chaos-suite). Expects dist/ built. Brings the cluster
# of scripts/cluster.sh up if it is not (a no-op when it is) and leaves it as
# it was found or started, like `npm run test:cluster`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# 10 s: five shards, ten shard tasks per job, still enough for a fault to land
# after some shards finished and before the others did. No fault-free baseline
# runs: every check stays, only recovery time goes unmeasured (the full suite
# measures it).
export CHAOS_CLIP_SECONDS="${CHAOS_CLIP_SECONDS:-10}"
export CHAOS_BASELINE="${CHAOS_BASELINE:-0}"
# Jobs at once in the deploy across worker hosts: the issue's hundred on the
# cluster; fewer on the dev server, whose pass runs beside the cluster's.
CLUSTER_HOST_JOBS="${CHAOS_HOST_JOBS:-100}"
DEVSERVER_HOST_JOBS="${CHAOS_HOST_JOBS:-20}"
chaos() { node --test --test-concurrency=1 --test-timeout=1800000 "$@"; }
start=$(date +%s)

bash scripts/cluster.sh up >/dev/null
eval "$(bash scripts/cluster.sh env | grep '^export SHARDFLOW_CLUSTER_')"

# The two targets side by side: most of a fault scenario is waiting out a
# heartbeat timeout, and each target's rigs have their own servers, queues,
# folders and worker hosts. Each pass logs to its own file, printed when both
# have ended.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
echo "chaos-ci: dev server: Temporal server kill; worker kill at each stage; rolling restart of 4 jobs; worker host cut off; $DEVSERVER_HOST_JOBS jobs on 3 worker hosts across a deploy"
echo "chaos-ci: cluster: Temporal server kill; PostgreSQL restart; full scratch disk; worker kill at each stage; worker host cut off; $CLUSTER_HOST_JOBS jobs on 3 worker hosts across a deploy"
echo "chaos-ci: both side by side, about 15 minutes; each target's output follows when both have ended"
CHAOS_TARGET=devserver CHAOS_JOBS=4 CHAOS_HOST_JOBS="$DEVSERVER_HOST_JOBS" chaos \
  dist/test/chaos/serverRestart.test.js dist/test/chaos/workerKill.test.js dist/test/chaos/rollingRestart.test.js \
  dist/test/chaos/hostCut.test.js dist/test/chaos/hostsDeploy.test.js >"$logs/devserver" 2>&1 &
devserver=$!
CHAOS_TARGET=cluster CHAOS_HOST_JOBS="$CLUSTER_HOST_JOBS" chaos \
  dist/test/chaos/serverRestart.test.js dist/test/chaos/scratchFull.test.js dist/test/chaos/workerKill.test.js \
  dist/test/chaos/hostCut.test.js dist/test/chaos/hostsDeploy.test.js >"$logs/cluster" 2>&1 &
cluster=$!
status=0
wait "$devserver" || status=1
wait "$cluster" || status=1
for target in devserver cluster; do
  echo "chaos-ci: --- $target ---"
  cat "$logs/$target"
done
if [ "$status" != 0 ]; then
  echo "chaos-ci: failed after $(($(date +%s) - start)) s (see the not ok lines above)" >&2
  exit 1
fi
echo "chaos-ci: passed in $(($(date +%s) - start)) s"
