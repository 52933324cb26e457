#!/usr/bin/env -S node --max-semi-space-size=4
// Entry point of the `shardflow` command; the CLI itself is compiled TypeScript.
// The flag is WORKER_NODE_FLAGS (src/workerNodeFlags.ts: why, and what it
// saves); pass it yourself when you run this file as `node bin/shardflow.js`.
require('../dist/src/cli/main.js');
