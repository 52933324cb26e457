// What every chaos scenario runs on: a Temporal (a dev server of the rig's
// own, or the cluster of scripts/cluster.sh: chaosTargets.ts) and
// `shardflow worker` processes, all on one data folder with local storage and
// task queues of the rig's own. Everything it starts, it stops.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import type { TranscodeJobInput } from '../../src/core/job/jobInput';
import { TRANSCODE_WORKFLOW } from '../../src/core/names';
import { connectClient } from '../../src/temporalConnection';
import { chaosTarget } from './chaosTargets';
import { makeClip } from './clips';
import { spawnWorker, type WorkerProcess } from './workerProcess';

/**
 * The job every scenario has in flight: 20 s of 640x360 with audio, 2 s shards, two renditions. CHAOS_CLIP_SECONDS
 * (an even number, at least 6: three shards, six shard tasks) shortens it for the bounded CI pass.
 */
export const CLIP_SECONDS = clipSeconds();
export const CLIP_FRAMES = CLIP_SECONDS * 25;
export const RENDITIONS = ['mp4-480p', 'mp4-360p'];
/** Shard × rendition tasks of one job. */
export const SHARD_TASKS = (CLIP_SECONDS / 2) * RENDITIONS.length;

function clipSeconds(): number {
  const raw = process.env.CHAOS_CLIP_SECONDS || '20';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 6 || n % 2 !== 0) throw new Error(`CHAOS_CLIP_SECONDS is "${raw}": it must be an even whole number of seconds, at least 6`);
  return n;
}

export function chaosClip(): string {
  return makeClip({ seconds: CLIP_SECONDS, fps: 25, gop: 25, width: 640, height: 360, audio: true });
}

export function chaosJob(output: string, source = chaosClip()): TranscodeJobInput {
  return { source: `file://${source}`, output: `file://${output}/`, renditions: RENDITIONS, segmentSeconds: 2 };
}

export interface ChaosRig {
  config: Config;
  dir: string;
  client: Client;
  workers: WorkerProcess[];
  /** Starts a `shardflow worker` and waits until it is ready. */
  startWorker(extraEnv?: Record<string, string>): Promise<WorkerProcess>;
  startJob(input: TranscodeJobInput, workflowId?: string): Promise<WorkflowHandle>;
  /** SIGKILLs the Temporal server process and starts it again on the same database. */
  killAndRestartServer(): Promise<void>;
  /** Restarts the cluster's PostgreSQL under the running server; absent on the dev server (SQLite in its process). */
  restartDatabase?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A rig on the target CHAOS_TARGET names: on `devserver` a dev server on `port` (UI on `port + 1000`), never the
 * shared one on 7233; on `cluster` the running cluster. A data folder and task queues of its own either way (the
 * queues' random part keeps two runs on one cluster apart). The client reconnects by itself after a server restart.
 */
export async function startChaosRig(port: number): Promise<ChaosRig> {
  const target = chaosTarget(port);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-chaos-'));
  const queue = `chaos-${port}-${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: target.address,
    TEMPORAL_NAMESPACE: 'default',
    SHARDFLOW_DATA_DIR: dir,
    SHARDFLOW_UI_URL: target.uiUrl,
    SHARDFLOW_TASK_QUEUE: queue,
    SHARDFLOW_MEDIA_TASK_QUEUE: `${queue}-media`,
  });
  await target.start(config);
  const client = await connectClient(config);
  const workers: WorkerProcess[] = [];
  const rig: ChaosRig = {
    config,
    dir,
    client,
    workers,
    async startWorker(extraEnv = {}) {
      const w = spawnWorker(config, extraEnv);
      workers.push(w);
      await w.ready;
      return w;
    },
    startJob(input, workflowId = `chaos-${randomUUID().slice(0, 8)}`) {
      return client.workflow.start(TRANSCODE_WORKFLOW, {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ ...input, mediaTaskQueue: config.mediaTaskQueue }],
      });
    },
    killAndRestartServer: () => target.killAndRestartServer(config),
    restartDatabase: target.restartDatabase?.bind(target),
    async close() {
      for (const w of workers) await w.kill('SIGKILL');
      await client.connection.close().catch(() => undefined);
      await target.stop(config);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/**
 * ffmpeg and ffprobe that wait `seconds` before they start, so a stage made of short ffmpeg runs (probe, split,
 * merge) lasts long enough for a fault to land in it. Returned as the worker's SHARDFLOW_FFMPEG/FFPROBE.
 */
export function slowMediaTools(dir: string, seconds: number): Record<string, string> {
  const bin = path.join(dir, 'slow-bin');
  mkdirSync(bin, { recursive: true });
  const env: Record<string, string> = {};
  for (const tool of ['ffmpeg', 'ffprobe']) {
    const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    const file = path.join(bin, tool);
    writeFileSync(file, `#!/bin/sh\nsleep ${seconds}\nexec ${real} "$@"\n`);
    chmodSync(file, 0o755);
    env[`SHARDFLOW_${tool.toUpperCase()}`] = file;
  }
  return env;
}

/** Files below `folder` (recursively), relative to it. */
export function filesBelow(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(folder, path.join(e.parentPath, e.name)));
}
