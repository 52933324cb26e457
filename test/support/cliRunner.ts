// Runs the shardflow CLI as a child process against a test environment.
// Asynchronous on purpose: the test's workers run in this process and must keep polling.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { TestEnv } from './testEnv';

const CLI = path.resolve(__dirname, '../../../bin/shardflow.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cliRunner(env: Pick<TestEnv, 'config' | 'dir'>): (args: string[], extraEnv?: Record<string, string>) => Promise<CliResult> {
  return (args, extraEnv = {}) =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: env.config.temporalAddress,
            SHARDFLOW_TASK_QUEUE: env.config.taskQueue,
            SHARDFLOW_MEDIA_TASK_QUEUE: env.config.mediaTaskQueue,
            SHARDFLOW_DATA_DIR: env.dir,
            ...extraEnv,
          },
          timeout: 180_000,
        },
        (err, stdout, stderr) => {
          const code = err ? (err as { code?: unknown }).code : 0;
          resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
        },
      );
    });
}
