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
  /** Threads each ffmpeg encode may use: see defaultFfmpegThreads. */
  ffmpegThreads: number;
  /**
   * Threads a verify's frame comparison may use. Verify runs after every encode of its job, where one thread
   * left the other cores idle: with two it took 4.4 s instead of 7.3 s for the seams of a 30 s 1080p clip.
   */
  verifyThreads: number;
  uiUrl: string;
}

/**
 * Threads per shard encode: twice its share of the cores, at most all of them. While every slot encodes, the
 * kernel shares the cores out as one thread each would; when the others end first (the shorter shard of an
 * uneven split, an easier stretch of video), the encode still running takes up their cores instead of leaving
 * them idle. x264 spends about the same CPU on 2 threads as on 1 (a 4-rung 1080p ladder: 50.7 s against
 * 50.2 s of CPU); its frame buffers per thread cost memory (228 to 289 MB for one 1080p encode).
 */
export function defaultFfmpegThreads(cores: number, mediaConcurrency: number): number {
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
    ffmpegThreads: intFromEnv(env, 'SHARDFLOW_FFMPEG_THREADS', defaultFfmpegThreads(cores, mediaConcurrency)),
    verifyThreads: intFromEnv(env, 'SHARDFLOW_VERIFY_THREADS', cores),
    uiUrl: env.SHARDFLOW_UI_URL ?? 'http://localhost:8233',
  };
}

export function jobUiUrl(config: Config, workflowId: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
