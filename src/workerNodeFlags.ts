// The node flags a worker process starts with: bin/shardflow.js's shebang and
// the worker image's entry point carry them (node takes them only at start).
// V8's young generation grows to 16 MB per semi-space by default, in the main
// isolate and in the workflow thread's; at 4 MB a combined worker peaked
// 166 MB instead of 188 MB on a 2 GiB job, and 1,000 shards orchestrated as
// fast, within run-to-run noise (docs/production.md#memory).
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=4'] as const;
