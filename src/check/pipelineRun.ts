// Runs one file through the real pipeline (the transcodeVideo workflow on a
// Temporal server, ffmpeg in a worker) and records how it ended: the output,
// or the failure with its type, whether it was retryable, how long it took,
// and what was published anyway. A job that parks itself awaiting repair is
// abandoned: for the check that is a failure, not a wait of a day.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readProgress, startTranscodeJob } from '../client';
import type { Config } from '../config';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors';
import { rootMessage } from '../core/failureMessage';
import type { RenditionRequest } from '../core/job/jobInput';
import type { JobPhase } from '../core/job/progress';
import { abandonUpdate } from '../core/names';
import { fileUrl } from '../core/objectUrl';
import type { TranscodeResult } from '../workflows/transcodeVideo';
import { rootFailure } from '../core/failureMessage';

export interface PipelineFailure {
  message: string;
  type?: string;
  nonRetryable: boolean;
  /** The job stopped in awaiting-repair: shards had used up their retries. */
  awaitedRepair: boolean;
  /** The job ran past the time limit and was cancelled. */
  timedOut: boolean;
}

export interface PipelineRun {
  jobId: string;
  seconds: number;
  result?: TranscodeResult;
  /** The published output of the rendition, when the job succeeded. */
  file?: string;
  splitMode?: string;
  failure?: PipelineFailure;
  /** Every file found under the output folder afterwards. */
  published: string[];
}

export interface PipelineRequest {
  source: string;
  /** Folder the job publishes to; must not exist yet. */
  outDir: string;
  rendition: RenditionRequest;
  segmentSeconds: number;
  jobId: string;
  /** Give up (cancel the job) after this long. */
  timeoutSeconds: number;
  onPhase?: (phase: JobPhase) => void;
  /** Terminates the job when it fires (the user interrupted the check). */
  signal?: AbortSignal;
}

async function filesBelow(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name))).sort();
  } catch {
    return [];
  }
}

function describeFailure(err: unknown, awaitedRepair: boolean, timedOut: boolean): PipelineFailure {
  const root = err instanceof WorkflowFailedError ? rootFailure(err) : undefined;
  const type = root instanceof ApplicationFailure ? (root.type ?? undefined) : undefined;
  const nonRetryable = root instanceof ApplicationFailure && (root.nonRetryable === true || (type !== undefined && NON_RETRYABLE_ERROR_TYPES.includes(type)));
  return { message: rootMessage(err), type, nonRetryable, awaitedRepair, timedOut };
}

export async function runPipeline(client: Client, config: Config, req: PipelineRequest): Promise<PipelineRun> {
  const started = Date.now();
  const job = await startTranscodeJob(client, config, {
    source: fileUrl(path.resolve(req.source)),
    output: `${fileUrl(path.resolve(req.outDir))}/`,
    renditions: [req.rendition],
    segmentSeconds: req.segmentSeconds,
    jobId: req.jobId,
  });
  let finished = false;
  let awaitedRepair = false;
  let timedOut = false;
  const outcome = (job.handle.result() as Promise<TranscodeResult>).finally(() => {
    finished = true;
  });
  // Watch the phase: report it, abandon a job that waits for a repair, cancel one that runs too long.
  const watch = (async () => {
    let last: JobPhase | undefined;
    while (!finished) {
      const progress = await readProgress(client, job.handle);
      if (progress && progress.phase !== last && !finished) {
        last = progress.phase;
        req.onPhase?.(last);
      }
      if (!finished && progress?.phase === 'awaiting-repair' && !awaitedRepair) {
        awaitedRepair = true;
        await job.handle.executeUpdate(abandonUpdate).catch(() => undefined);
      }
      if (!finished && req.signal?.aborted) {
        // Terminated, not cancelled: the worker that would clean up stops with the check.
        await job.handle.terminate('shardflow check was interrupted').catch(() => undefined);
        break;
      }
      if (!finished && Date.now() - started > req.timeoutSeconds * 1000) {
        timedOut = true;
        await job.handle.cancel().catch(() => undefined);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  try {
    const result = await outcome;
    const seconds = (Date.now() - started) / 1000;
    const rendition = result.renditions[0];
    const manifest = JSON.parse(await fs.readFile(path.join(req.outDir, 'manifest.json'), 'utf8')) as { splitMode?: string };
    return {
      jobId: job.jobId,
      seconds,
      result,
      file: rendition ? path.join(req.outDir, rendition.file) : undefined,
      splitMode: manifest.splitMode,
      published: await filesBelow(req.outDir),
    };
  } catch (err) {
    const seconds = (Date.now() - started) / 1000;
    return { jobId: job.jobId, seconds, failure: describeFailure(err, awaitedRepair, timedOut), published: await filesBelow(req.outDir) };
  } finally {
    finished = true;
    await watch;
  }
}
