#!/usr/bin/env node
// Entry point of the `shardflow` command; the CLI itself is compiled TypeScript.
require('../dist/src/cli/main.js');
