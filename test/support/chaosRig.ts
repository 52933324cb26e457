// The single-machine default, for chaos scenarios: a Temporal dev server of
// the rig's own (own port, own SQLite file) and `shardflow worker` processes,
// all on one data folder with local storage. Everything it starts, it stops.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config';
import type { TranscodeJobInput } from '../../src/core/job/jobInput';
import { TRANSCODE_WORKFLOW } from '../../src/core/names';
import { ourServerPid, startDevServerDetached, stopDevServer } from '../../src/devServer';
import { connectClient } from '../../src/temporalConnection';
import { makeClip } from './clips';
import { spawnWorker, type WorkerProcess } from './workerProcess';

/** The job every scenario has in flight: 20 s of 640x360 with audio, 2 s shards, two renditions. */
export const CLIP_SECONDS = 20;
export const CLIP_FRAMES = 500;
export const RENDITIONS = ['mp4-480p', 'mp4-360p'];

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
  /** SIGKILLs the dev server; its database file stays. */
  killServer(): Promise<void>;
  /** Starts the dev server again on the same database file. */
  restartServer(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A dev server on `port` (UI on `port + 1000`), never the shared one on 7233, with a data folder of its own.
 * The client reconnects by itself after the server restarts.
 */
export async function startChaosRig(port: number): Promise<ChaosRig> {
  if (port === 7233) throw new Error('the chaos rig never uses the shared dev server port 7233');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-chaos-'));
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_NAMESPACE: 'default',
    SHARDFLOW_DATA_DIR: dir,
    SHARDFLOW_UI_URL: `http://localhost:${port + 1000}`,
    SHARDFLOW_TASK_QUEUE: `chaos-${port}`,
    SHARDFLOW_MEDIA_TASK_QUEUE: `chaos-${port}-media`,
  });
  await startDevServerDetached(config);
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
    async killServer() {
      const pid = ourServerPid(config);
      if (pid === undefined) throw new Error(`no dev server of the rig runs at ${config.temporalAddress}`);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && processExists(pid); i++) await new Promise((r) => setTimeout(r, 50));
    },
    async restartServer() {
      await startDevServerDetached(config);
    },
    async close() {
      for (const w of workers) await w.kill('SIGKILL');
      await client.connection.close().catch(() => undefined);
      await stopDevServer(config);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is gone for every purpose here: it runs nothing and holds no files.
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z /.test(stat);
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
