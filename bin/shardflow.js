#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point of the `shardflow` command; the CLI itself is compiled TypeScript.
// The flag caps V8's young generation at 4 MB per semi-space: a worker then
// peaks about 20 MB lower and orchestrates as fast (docs/production.md#memory).
// It is WORKER_NODE_FLAGS in src/worker.ts; start node with it yourself when
// you run this file as `node bin/shardflow.js`.
require('../dist/src/cli/main.js');
