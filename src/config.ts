// Settings that come from the environment. Secrets never pass through job input.
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MEDIA_TASK_QUEUE, DEFAULT_TASK_QUEUE } from './core/names';
import { fileUrl } from './core/objectUrl';
import { temporalAuthFromEnv, type TemporalAuth } from './temporalTls';

export interface Config {
  temporalAddress: string;
  /** TLS / mTLS and API key for the frontend, from the Temporal CLI's TEMPORAL_TLS_* and TEMPORAL_API_KEY. */
  temporalAuth: TemporalAuth;
  namespace: string;
  taskQueue: string;
  mediaTaskQueue: string;
  /** Holds the local store, job work areas, scratch files and the dev server's database. */
  dataDir: string;
  /** Bare keys in job input resolve below this folder. */
  localStoreRoot: string;
  /** Prefix URL under which each job gets its work area. */
  workRoot: string;
  /** Scratch files for ffmpeg; on the data disk so results can be renamed into place. */
  scratchDir: string;
  /** ffmpeg processes a worker runs at once. */
  mediaConcurrency: number;
  /** Threads each file shard encode may use: the slot's share of the cores. */
  ffmpegThreads: number;
  /** Threads a streaming shard task (every rung of one shard) may use: see defaultStreamThreads. */
  streamThreads: number;
  /**
   * Threads a verify's frame comparison may use. Verify runs after every encode of its job, where one thread
   * left the other cores idle: with two it took 4.4 s instead of 7.3 s for the seams of a 30 s 1080p clip.
   */
  verifyThreads: number;
  uiUrl: string;
}

/**
 * Threads per streaming shard task: twice the slot's share of the cores, at most all of them. Streaming shards
 * are whole segments, so a job's shards are often uneven (15 segments on 2 slots split 8 against 7), and
 * their content differs too. While every slot encodes, the kernel shares the cores as one thread each would;
 * when the others end first, the task still running takes up their cores: the 60 s 4-rung ladder's two tasks
 * ended 4 s apart instead of 16 s, and its ffmpeg CPU went from 1.016 to 1.035 x plain ffmpeg's. File shards
 * are planned even and keep their share: 2 threads each cost them about 13 % more CPU.
 */
export function defaultStreamThreads(cores: number, mediaConcurrency: number): number {
  return Math.max(1, Math.min(cores, Math.floor((2 * cores) / Math.max(1, mediaConcurrency))));
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.SHARDFLOW_DATA_DIR ?? path.join(process.cwd(), '.shardflow'));
  const cores = os.availableParallelism();
  const mediaConcurrency = intFromEnv(env, 'SHARDFLOW_MEDIA_CONCURRENCY', cores);
  return {
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    temporalAuth: temporalAuthFromEnv(env),
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.SHARDFLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    mediaTaskQueue: env.SHARDFLOW_MEDIA_TASK_QUEUE ?? DEFAULT_MEDIA_TASK_QUEUE,
    dataDir,
    localStoreRoot: path.join(dataDir, 'store'),
    workRoot: env.SHARDFLOW_WORK_URL ?? `${fileUrl(path.join(dataDir, 'work'))}/`,
    scratchDir: path.join(dataDir, 'tmp'),
    mediaConcurrency,
    ffmpegThreads: intFromEnv(env, 'SHARDFLOW_FFMPEG_THREADS', Math.max(1, Math.floor(cores / mediaConcurrency))),
    streamThreads: intFromEnv(env, 'SHARDFLOW_STREAM_THREADS', defaultStreamThreads(cores, mediaConcurrency)),
    verifyThreads: intFromEnv(env, 'SHARDFLOW_VERIFY_THREADS', cores),
    uiUrl: env.SHARDFLOW_UI_URL ?? 'http://localhost:8233',
  };
}

export function jobUiUrl(config: Config, workflowId: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
