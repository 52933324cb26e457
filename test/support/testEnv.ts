// A real Temporal dev server (started by scripts/test.sh, found through
// TEMPORAL_ADDRESS) with in-process workers on task queues of the test's own,
// so tests never pick up each other's work.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Activities } from '../../src/core/contracts';
import { loadConfig, type Config } from '../../src/config';
import type { TranscodeJobInput } from '../../src/core/job/jobInput';
import { TRANSCODE_WORKFLOW } from '../../src/core/names';
import { connectClient, ensureSearchAttributes } from '../../src/temporalConnection';
import { startWorkers, type WorkerSet } from '../../src/worker';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';

export interface TestEnv {
  client: Client;
  config: Config;
  /** Scratch folder of this environment, removed by close(). */
  dir: string;
  workers: WorkerSet | undefined;
  startWorkers(activities?: Partial<Activities>): Promise<WorkerSet>;
  start(input: TranscodeJobInput, workflowId?: string): Promise<WorkflowHandle>;
  run(input: TranscodeJobInput): Promise<TranscodeResult>;
  close(): Promise<void>;
}

export interface TestEnvOptions {
  activities?: Partial<Activities>;
  /** Start no workers: the test starts them itself. */
  noWorkers?: boolean;
  mediaConcurrency?: number;
  /** Settings read instead of process.env's, e.g. TEMPORAL_ADDRESS of another server. */
  env?: Record<string, string>;
}

export async function createTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shardflow-test-'));
  const tag = randomUUID().slice(0, 8);
  const config: Config = {
    ...loadConfig({ ...process.env, ...options.env, SHARDFLOW_DATA_DIR: dir }),
    taskQueue: `test-${tag}`,
    mediaTaskQueue: `test-${tag}-media`,
    ...(options.mediaConcurrency ? { mediaConcurrency: options.mediaConcurrency } : {}),
  };
  const client = await connectClient(config);
  await ensureSearchAttributes(client, config.namespace);
  const env: TestEnv = {
    client,
    config,
    dir,
    workers: undefined,
    async startWorkers(activities) {
      env.workers = await startWorkers({ config, activities });
      return env.workers;
    },
    start(input, workflowId = `test-${randomUUID()}`) {
      return client.workflow.start(TRANSCODE_WORKFLOW, {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ ...input, mediaTaskQueue: config.mediaTaskQueue }],
      });
    },
    async run(input) {
      const handle = await env.start(input);
      return handle.result() as Promise<TranscodeResult>;
    },
    async close() {
      await env.workers?.shutdown();
      await client.connection.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  if (!options.noWorkers) await env.startWorkers(options.activities);
  return env;
}
