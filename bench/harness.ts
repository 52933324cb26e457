// Running jobs for the bench: workers in this process or in child processes,
// jobs started through the real Temporal server, and what the workflow
// histories say about when each activity ran and which worker ran it.
import type { Client } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Activities } from '../src/core/contracts';
import { loadConfig, type Config } from '../src/config';
import type { TranscodeJobInput } from '../src/core/job/jobInput';
import { SHARD_BATCH_WORKFLOW, TRANSCODE_WORKFLOW } from '../src/core/names';
import { startWorkers, type WorkerSet } from '../src/worker';
import { WORKER_NODE_FLAGS } from '../src/workerNodeFlags';
import type { TranscodeResult } from '../src/workflows/transcodeVideo';
import { cpuNow, findDevServer, processCpuMs, type CpuSample } from './proc';

/** Wall-clock ms with sub-ms precision. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export interface ActivitySpan {
  name: string;
  workflowId: string;
  /** Server times of the attempt's start and of its result, ms since the epoch. */
  start: number;
  end: number;
  ok: boolean;
  /** Worker identity (pid@host) that ran it. */
  worker: string;
  /** Kept for splitSource only: the shard plan it returned. */
  result?: unknown;
}

export interface JobRun {
  workflowId: string;
  result: TranscodeResult;
  wallMs: number;
  startedAt: number;
  /** CPU of this process and of the children it reaped during the job (in-process workers only). */
  cpu: CpuSample;
  /** CPU the local dev server used during the job, when it runs on this machine. */
  serverCpuMs?: number;
  history: JobHistory;
}

export interface BenchWorkers {
  config: Config;
  run(input: TranscodeJobInput, workflowId?: string): Promise<JobRun>;
  close(): Promise<void>;
}

export function benchQueues(): { taskQueue: string; mediaTaskQueue: string } {
  // Queues of our own, so nothing else on the same server picks up our work.
  const tag = randomUUID().slice(0, 8);
  return { taskQueue: `bench-${tag}`, mediaTaskQueue: `bench-${tag}-media` };
}

export interface InProcessOptions {
  client: Client;
  temporalAddress: string;
  dataDir: string;
  mediaConcurrency: number;
  ffmpegThreads?: number;
  /** Replaces activities (stand-ins for no-op orchestration runs). */
  activities?: Partial<Activities>;
  mainConcurrency?: number;
}

export async function startInProcess(o: InProcessOptions): Promise<BenchWorkers> {
  // The workers' own defaults for these slots: thread counts set in the shell do not leak into a bench.
  const { SHARDFLOW_FFMPEG_THREADS: _f, SHARDFLOW_STREAM_THREADS: _s, ...shell } = process.env;
  const config: Config = {
    ...loadConfig({
      ...shell,
      TEMPORAL_ADDRESS: o.temporalAddress,
      SHARDFLOW_DATA_DIR: o.dataDir,
      SHARDFLOW_MEDIA_CONCURRENCY: String(o.mediaConcurrency),
      ...(o.ffmpegThreads ? { SHARDFLOW_FFMPEG_THREADS: String(o.ffmpegThreads) } : {}),
    }),
    ...benchQueues(),
  };
  const workers: WorkerSet = await startWorkers({ config, activities: o.activities, mainConcurrency: o.mainConcurrency });
  const serverPid = findDevServer(o.temporalAddress);
  return {
    config,
    async run(input, workflowId = `bench-${randomUUID().slice(0, 12)}`) {
      const server0 = serverPid ? processCpuMs(serverPid) : undefined;
      const cpu0 = cpuNow();
      const startedAt = now();
      const handle = await o.client.workflow.start(TRANSCODE_WORKFLOW, {
        taskQueue: config.taskQueue,
        workflowId,
        args: [{ ...input, mediaTaskQueue: config.mediaTaskQueue }],
      });
      const result = (await handle.result()) as TranscodeResult;
      const wallMs = now() - startedAt;
      const cpu1 = cpuNow();
      const server1 = serverPid ? processCpuMs(serverPid) : undefined;
      return {
        workflowId,
        result,
        wallMs,
        startedAt,
        cpu: { selfMs: cpu1.selfMs - cpu0.selfMs, childrenMs: cpu1.childrenMs - cpu0.childrenMs },
        serverCpuMs: server0 !== undefined && server1 !== undefined ? server1 - server0 : undefined,
        history: await readHistory(o.client, workflowId),
      };
    },
    async close() {
      await workers.shutdown();
    },
  };
}

/** Starts a job on the given queues and waits for it; the workers live elsewhere. */
export async function runRemote(
  client: Client,
  queues: { taskQueue: string; mediaTaskQueue: string },
  input: TranscodeJobInput,
): Promise<{ workflowId: string; result: TranscodeResult; wallMs: number; history: JobHistory }> {
  const workflowId = `bench-${randomUUID().slice(0, 12)}`;
  const t0 = now();
  const handle = await client.workflow.start(TRANSCODE_WORKFLOW, {
    taskQueue: queues.taskQueue,
    workflowId,
    args: [{ ...input, mediaTaskQueue: queues.mediaTaskQueue }],
  });
  const result = (await handle.result()) as TranscodeResult;
  const wallMs = now() - t0;
  return { workflowId, result, wallMs, history: await readHistory(client, workflowId) };
}

// ---------------------------------------------------------------- histories

export interface JobHistory {
  /** Server times the job's workflow started and closed, ms since the epoch. */
  startedAt: number;
  closedAt: number;
  /** Events in the parent and all batch children. */
  events: number;
  childWorkflows: number;
  /** Every activity attempt that finished, from the histories (so it works wherever the workers run). */
  spans: ActivitySpan[];
  /** encodeShard tasks per worker identity (pid@host). */
  shardsByWorker: Record<string, number>;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

function eventMs(e: HistoryEvent): number {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;
}

function decodeFirstPayload(payloads: { data?: Uint8Array | null }[] | null | undefined): unknown {
  const data = payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Reads the job's histories: size, and each activity attempt with the server's
 * start and result times. A started event's time is when a worker took the
 * task, so these spans include the few ms of the worker's poll round trip.
 */
export async function readHistory(client: Client, workflowId: string): Promise<JobHistory> {
  const parent = await client.workflow.getHandle(workflowId).fetchHistory();
  const pe = parent.events ?? [];
  const children: string[] = [];
  for (const e of pe) {
    const a = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (a?.workflowType?.name === SHARD_BATCH_WORKFLOW && a.workflowId) children.push(a.workflowId);
  }
  const spans: ActivitySpan[] = [];
  const collect = (id: string, events: HistoryEvent[]): void => {
    const scheduled = new Map<string, string>();
    const started = new Map<string, { name: string; at: number; worker: string }>();
    for (const e of events) {
      const sched = e.activityTaskScheduledEventAttributes;
      if (sched) scheduled.set(String(e.eventId), sched.activityType?.name ?? '?');
      const st = e.activityTaskStartedEventAttributes;
      if (st) started.set(String(e.eventId), { name: scheduled.get(String(st.scheduledEventId)) ?? '?', at: eventMs(e), worker: st.identity ?? '?' });
      const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
      if (done) {
        const s = started.get(String(done.startedEventId));
        if (!s) continue;
        const ok = Boolean(e.activityTaskCompletedEventAttributes);
        const result = ok && s.name === 'splitSource' ? decodeFirstPayload(e.activityTaskCompletedEventAttributes?.result?.payloads) : undefined;
        spans.push({ name: s.name, workflowId: id, start: s.at, end: eventMs(e), ok, worker: s.worker, result });
      }
    }
  };
  collect(workflowId, pe);
  let events = pe.length;
  for (const id of children) {
    const h = await client.workflow.getHandle(id).fetchHistory();
    events += h.events?.length ?? 0;
    collect(id, h.events ?? []);
  }
  const shardsByWorker: Record<string, number> = {};
  for (const s of spans.filter((x) => x.name === 'encodeShard' && x.ok)) shardsByWorker[s.worker] = (shardsByWorker[s.worker] ?? 0) + 1;
  return {
    startedAt: pe.length ? eventMs(pe[0]) : NaN,
    closedAt: pe.length ? eventMs(pe[pe.length - 1]) : NaN,
    events,
    childWorkflows: children.length,
    spans: spans.sort((a, b) => a.start - b.start),
    shardsByWorker,
  };
}

// ---------------------------------------------------------------- worker processes

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  temporalAddress: string;
  queues: { taskQueue: string; mediaTaskQueue: string };
  dataDir: string;
  role: 'all' | 'media' | 'workflows';
  mediaConcurrency: number;
  ffmpegThreads?: number;
  /** CPUs the process (and its ffmpeg children) may run on, as taskset takes them: "0", "1", "0-1". */
  cpus?: string;
  logFile: string;
}

const WORKER_SCRIPT = path.join(__dirname, 'workerProcess.js');

/** Spawns bench/workerProcess.js and waits until its workers poll. */
export async function spawnWorker(o: WorkerProcessOptions): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: o.temporalAddress,
    SHARDFLOW_TASK_QUEUE: o.queues.taskQueue,
    SHARDFLOW_MEDIA_TASK_QUEUE: o.queues.mediaTaskQueue,
    SHARDFLOW_DATA_DIR: o.dataDir,
    SHARDFLOW_MEDIA_CONCURRENCY: String(o.mediaConcurrency),
    SHARDFLOW_WORKER_ROLE: o.role,
  };
  if (o.ffmpegThreads) env.SHARDFLOW_FFMPEG_THREADS = String(o.ffmpegThreads);
  const log = await fs.open(o.logFile, 'a');
  // The node flags `shardflow worker` starts with, so the bench measures the worker users run.
  const node = [process.execPath, ...WORKER_NODE_FLAGS, WORKER_SCRIPT];
  const [command, args] = o.cpus ? ['taskset', ['-c', o.cpus, ...node]] : [node[0], node.slice(1)];
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', log.fd] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`worker process did not report ready within 120 s; see ${o.logFile}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before it was ready; see ${o.logFile}`));
    });
  });
  await log.close();
  // taskset execs node in place, so the child's pid is the worker's.
  return {
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
