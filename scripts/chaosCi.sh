#!/usr/bin/env bash
# The chaos suite's bounded pass for CI (`npm run chaos:ci`, and scripts/test.sh
# when SHARDFLOW_CHAOS_TESTS=1): every scenario kind at least once across the
# two targets (docs/reliability.md#chaos-suite), on a 10 s clip, in about six
# minutes on two cores. Expects dist/ built. Brings the cluster of
# scripts/cluster.sh up if it is not (a no-op when it is) and leaves it as it
# was found or started, like `npm run test:cluster`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# 10 s: five shards, ten shard tasks per job, still enough for a fault to land
# after some shards finished and before the others did. No fault-free baseline
# runs: every check stays, only recovery time goes unmeasured (the full suite
# measures it).
export CHAOS_CLIP_SECONDS="${CHAOS_CLIP_SECONDS:-10}"
export CHAOS_BASELINE="${CHAOS_BASELINE:-0}"
chaos() { node --test --test-concurrency=1 --test-timeout=600000 "$@"; }
start=$(date +%s)

echo "chaos-ci: dev server: Temporal server kill; worker kill during encode and publish"
CHAOS_TARGET=devserver CHAOS_STAGES=encode,publish chaos dist/test/chaos/serverRestart.test.js dist/test/chaos/workerKill.test.js

echo "chaos-ci: cluster: Temporal server kill, PostgreSQL restart, full scratch disk, rolling restart of 4 jobs"
bash scripts/cluster.sh up >/dev/null
eval "$(bash scripts/cluster.sh env | grep '^export SHARDFLOW_CLUSTER_')"
CHAOS_TARGET=cluster CHAOS_JOBS=4 chaos dist/test/chaos/serverRestart.test.js dist/test/chaos/scratchFull.test.js dist/test/chaos/rollingRestart.test.js

echo "chaos-ci: passed in $(($(date +%s) - start)) s"
