// A worker in a child process, as users run it (`shardflow worker`), so a
// test can SIGKILL it mid-job.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Config } from '../../src/config';
import { WORKER_NODE_FLAGS } from '../../src/workerNodeFlags';

const CLI = path.resolve(__dirname, '../../../bin/shardflow.js');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the worker printed that it is ready. */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `launcher` runs the worker through another command, e.g. `ip netns exec <namespace>`. */
export function spawnWorker(config: Config, extraEnv: Record<string, string> = {}, args: string[] = ['--metrics', 'off'], launcher: string[] = []): WorkerProcess {
  const [command, ...before] = [...launcher, process.execPath];
  const child = spawn(command!, [...before, ...WORKER_NODE_FLAGS, CLI, 'worker', ...args], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: config.temporalAddress,
      TEMPORAL_NAMESPACE: config.namespace,
      SHARDFLOW_TASK_QUEUE: config.taskQueue,
      SHARDFLOW_MEDIA_TASK_QUEUE: config.mediaTaskQueue,
      SHARDFLOW_DATA_DIR: config.dataDir,
      SHARDFLOW_MEDIA_CONCURRENCY: String(config.mediaConcurrency),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('worker ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready:\n${output}`)));
  });
  return {
    child,
    output: () => output,
    ready,
    kill(signal = 'SIGKILL') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
}
