// A child workflow that encodes one batch of shard × rendition tasks (in a
// streaming job, one activity per shard for all its rungs). Batches
// keep every execution far below Temporal's 2,000 pending activities and
// 51,200 history events, whatever the length of the video. A task that uses up
// its retries is reported, not thrown, so the job can wait for a repair; a task
// that fails for a reason no retry or repair can change (the source's own bytes)
// stops the batch at once and fails it.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors';
import type { Activities } from '../core/contracts';
import type { ShardCommon } from '../core/contracts';
import type { FailedShard } from '../core/job/progress';
import type { RenditionSpec } from '../core/job/rendition';
import { rootMessage } from '../core/failureMessage';
import { shardProgressSignal } from '../core/names';
import { mediaOptions } from './activityOptions';
import { asCancelledIfCancellation } from './cancellation';

/** One shard of one rendition. `shard` is 0-based here and 1-based wherever people read it; its spec is in the plan. */
export interface ShardTask {
  shard: number;
  rendition: string;
}

export interface ShardBatchInput {
  parentId: string;
  mediaTaskQueue: string;
  common: ShardCommon;
  renditions: RenditionSpec[];
  shardCount: number;
  tasks: ShardTask[];
}

export interface ShardBatchResult {
  /** Video frames encoded per rendition, by the tasks that succeeded. */
  frames: Record<string, number>;
  /** Tasks a retried attempt found already stored. */
  reused: number;
  failed: FailedShard[];
}

/** `shard-3.mp4-720p`; a streaming call that encodes several rungs of shard 3 is `shard-3.1080p+720p+…`. */
export function shardActivityId(call: ShardTask[]): string {
  return `shard-${call[0].shard + 1}.${call.map((t) => t.rendition).join('+')}`;
}

/**
 * The activity calls a batch makes: one per task, or in a streaming job one per shard covering all of that
 * shard's rungs in the batch (top rung first), which the shard task encodes from a single decode.
 */
export function shardCalls(tasks: ShardTask[], streaming: boolean, ladder: string[]): ShardTask[][] {
  if (!streaming) return tasks.map((t) => [t]);
  const byShard = new Map<number, ShardTask[]>();
  for (const t of tasks) byShard.set(t.shard, [...(byShard.get(t.shard) ?? []), t]);
  // Rungs in ladder order, top first, whatever order a repair lists them in.
  return [...byShard.values()].map((call) => call.sort((a, b) => ladder.indexOf(a.rendition) - ladder.indexOf(b.rendition)));
}

/** The attempt count the activity attached to its failure, or the policy's maximum. */
export function attemptsOf(err: unknown, maximumAttempts: number): number {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const detail = cause instanceof ApplicationFailure ? (cause.details?.[0] as { attempt?: number } | undefined) : undefined;
  return detail?.attempt ?? maximumAttempts;
}

/** The non-retryable failure behind an activity failure, if that is what it is: nothing a repair could fix. */
export function permanentCause(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  return cause.nonRetryable || NON_RETRYABLE_ERROR_TYPES.includes(cause.type ?? '') ? cause : undefined;
}

/**
 * Tasks finished between two progress signals to the parent: about 5 % of the
 * batch, and never more than about 100 signals for the whole job. Every
 * signal costs the server a history event and a workflow task in both
 * executions, so at thousands of shards a finer grain slows the job itself.
 */
export function progressFlushEvery(batchTasks: number, jobTasks: number): number {
  return Math.max(1, Math.ceil(batchTasks / 20), Math.ceil(jobTasks / 100));
}

export async function transcodeShardBatch(input: ShardBatchInput): Promise<ShardBatchResult> {
  const options = mediaOptions(input.mediaTaskQueue);
  const { encodeShard } = proxyActivities<Activities>(options);
  const parent = getExternalWorkflowHandle(input.parentId);
  const renditions = new Map(input.renditions.map((r) => [r.name, r]));
  const frames: Record<string, number> = Object.fromEntries(input.renditions.map((x) => [x.name, 0]));
  const failed: FailedShard[] = [];
  const flushEvery = progressFlushEvery(input.tasks.length, input.shardCount * input.renditions.length);
  let pending = { done: {} as Record<string, number>, failed: {} as Record<string, number> };
  let pendingCount = 0;
  const signals: Promise<void>[] = [];
  const flush = (): void => {
    if (pendingCount === 0) return;
    // Progress is best effort. A signal sent while the job is being cancelled fails at once; left without a
    // handler until the end, that failure would fail the workflow task as an unhandled rejection.
    signals.push(parent.signal(shardProgressSignal, pending).catch(() => undefined));
    pending = { done: {}, failed: {} };
    pendingCount = 0;
  };
  const note = (kind: 'done' | 'failed', rendition: string): void => {
    pending[kind][rendition] = (pending[kind][rendition] ?? 0) + 1;
    if (++pendingCount >= flushEvery) flush();
  };

  let reused = 0;
  let permanent: ApplicationFailure | undefined;
  const scope = new CancellationScope();
  const runs = scope.run(() =>
    Promise.allSettled(
      shardCalls(input.tasks, input.common.segmentFrames !== undefined, input.renditions.map((r) => r.name)).map((call) => {
        const shard = call[0].shard;
        const rungs = call.map((t) => renditions.get(t.rendition)!);
        const names = rungs.map((r) => r.name).join(', ');
        return encodeShard
          .executeWithOptions(
            { ...options, activityId: shardActivityId(call), summary: `shard ${shard + 1}/${input.shardCount} · ${names}` },
            [{ common: input.common, index: shard, count: input.shardCount, rendition: rungs[0], ...(input.common.segmentFrames !== undefined ? { rungs } : {}) }],
          )
          .then(
            (res) => {
              // Every rung of the call got the shard's frames.
              for (const t of call) {
                frames[t.rendition] += res.frames;
                note('done', t.rendition);
              }
              if (res.reused) reused++;
            },
            (err: unknown) => {
              if (permanent && isCancellation(err)) return;
              if (isCancellation(err)) throw err;
              const cause = permanentCause(err);
              if (cause) {
                // The same bytes fail the same way: stop the other encoders and fail the job now.
                permanent ??= ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true });
                scope.cancel();
                return;
              }
              // One task encodes all of the call's rungs, so each of them failed.
              for (const t of call) {
                note('failed', t.rendition);
                failed.push({
                  shard: shard + 1,
                  rendition: t.rendition,
                  attempts: attemptsOf(err, options.retry?.maximumAttempts ?? 1),
                  error: rootMessage(err),
                  workflowId: workflowInfo().workflowId,
                  activityId: shardActivityId(call),
                });
              }
            },
          );
      }),
    ),
  );
  // Every task runs to its end (or is cancelled and has stopped) before the batch reports, so no encoder is stranded.
  const results = await runs;
  flush();
  await Promise.allSettled(signals);
  if (permanent) throw permanent as ApplicationFailure;
  const cancelled = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (cancelled) throw asCancelledIfCancellation(cancelled.reason);
  failed.sort((a, b) => a.shard - b.shard || a.rendition.localeCompare(b.rendition));
  return { frames, reused, failed };
}
