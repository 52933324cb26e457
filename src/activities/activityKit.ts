// What every media activity needs: a private scratch folder that is always
// removed, heartbeats while ffmpeg runs, and ffmpeg failures turned into
// Temporal failures that say what went wrong. The context is Temporal's inside
// a worker and the function handler's inside FC (see activityContext.ts).
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { promises as fs } from 'node:fs';
import { ProcessAbortedError, ProcessError } from '../media/runProcess';
import { makeScratchDir } from '../storage/scratchDirs';
import { refusedFormat, refusedFormatReason } from '../media/sourceInput';
import { isInputDataError, toolReason } from '../media/toolFailure';
import type { FfmpegProgress } from '../media/ffmpeg';
import { ErrorType, invalidMedia, permanentError } from '../core/errors';
import { activityContext, currentActivityContext } from './activityContext';
import { workerMetrics } from './metrics';

/** Runs `work` with a fresh scratch folder below `root`, removing it afterwards, also on failure or cancellation. */
export async function withScratch<T>(root: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeScratchDir(root, 'act');
  try {
    return await work(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Heartbeats every few seconds while `work` runs, so a killed worker is noticed and cancellation is delivered. */
export async function heartbeating<T>(work: (report: (p: FfmpegProgress) => void) => Promise<T>): Promise<T> {
  const ctx = activityContext();
  let last: FfmpegProgress = {};
  ctx.heartbeat(last);
  const timer = setInterval(() => ctx.heartbeat(last), 5000);
  const started = Date.now();
  try {
    return await work((p) => {
      last = p;
      ctx.heartbeat(p);
    });
  } finally {
    clearInterval(timer);
    workerMetrics.ffmpegSeconds((Date.now() - started) / 1000);
  }
}

/**
 * Heartbeats every 5 s while `work` runs, so a worker that dies mid-step is noticed within the heartbeat timeout.
 * Outside an activity (a storage step called directly) it just runs `work`.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = currentActivityContext();
  if (!ctx) return work();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), 5000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function cancellationSignal(): AbortSignal {
  return activityContext().cancellationSignal;
}

/**
 * Turns an ffmpeg/ffprobe failure into a Temporal failure quoting ffmpeg; cancellation stays cancellation. A
 * source that is not a media container (a playlist swapped in after probing) fails for good, and so does one
 * ffmpeg stopped over (not a kill, not the disk) when `source` is given: a retry would read the same bytes. Both
 * are InvalidMedia naming the source.
 */
export function mediaFailure(what: string, err: unknown, source?: { url: string; file: string }): Error {
  if (err instanceof ProcessAbortedError) return new CancelledFailure(err.message);
  if (err instanceof ProcessError) {
    const format = refusedFormat(err.stderrTail);
    if (format) return permanentError(ErrorType.InvalidMedia, `${what}: ${refusedFormatReason(format)}`);
    if (source && isInputDataError(err)) return invalidMedia(source.url, `${what}: ffmpeg: ${toolReason(err.stderrTail, source.file)}`);
    return ApplicationFailure.create({ type: 'FfmpegFailed', message: `${what}: ${err.message}` });
  }
  return err as Error;
}

/** Attaches the attempt number to a failure, so a job awaiting repair can say how often a shard was tried. */
export function withAttempt(err: unknown): Error {
  if (err instanceof CancelledFailure) return err;
  const attempt = activityContext().attempt;
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: err.type ?? undefined, message: err.message, nonRetryable: err.nonRetryable ?? undefined, details: [{ attempt }], cause: err.cause });
  }
  const e = err as Error;
  return ApplicationFailure.create({ type: e.name || 'Error', message: e.message, details: [{ attempt }] });
}
