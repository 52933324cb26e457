// A child workflow that encodes one batch of shard × rendition tasks. Batches
// keep every execution far below Temporal's 2,000 pending activities and
// 51,200 history events, whatever the length of the video.
import { ApplicationFailure, getExternalWorkflowHandle, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ShardCommon } from '../activities/types';
import type { RenditionSpec } from '../job/rendition';
import { shardProgressSignal } from '../names';
import { mediaOptions } from './activityOptions';
import { asCancelledIfCancellation } from './cancellation';

export interface ShardBatchInput {
  parentId: string;
  mediaTaskQueue: string;
  common: ShardCommon;
  renditions: RenditionSpec[];
  shardCount: number;
  /** Cut times for the shards this batch touches: boundaries[i - firstShard] starts shard i. */
  boundaries: number[];
  firstShard: number;
  /** Tasks are numbered shard-major over the whole job: task t is shard t / R, rendition t % R. */
  firstTask: number;
  taskCount: number;
}

export interface ShardBatchResult {
  /** Video frames encoded per rendition. */
  frames: Record<string, number>;
  /** Tasks a retried attempt found already stored. */
  reused: number;
}

export async function transcodeShardBatch(input: ShardBatchInput): Promise<ShardBatchResult> {
  const { encodeShard } = proxyActivities<Activities>(mediaOptions(input.mediaTaskQueue));
  const parent = getExternalWorkflowHandle(input.parentId);
  const r = input.renditions.length;
  const frames: Record<string, number> = Object.fromEntries(input.renditions.map((x) => [x.name, 0]));
  const flushEvery = Math.max(1, Math.ceil(input.taskCount / 20));
  let pending = { done: {} as Record<string, number>, failed: {} as Record<string, number> };
  let pendingCount = 0;
  const signals: Promise<void>[] = [];
  const flush = (): void => {
    if (pendingCount === 0) return;
    signals.push(parent.signal(shardProgressSignal, pending));
    pending = { done: {}, failed: {} };
    pendingCount = 0;
  };
  const note = (kind: 'done' | 'failed', rendition: string): void => {
    pending[kind][rendition] = (pending[kind][rendition] ?? 0) + 1;
    if (++pendingCount >= flushEvery) flush();
  };

  let reused = 0;
  const tasks = Array.from({ length: input.taskCount }, (_, k) => {
    const t = input.firstTask + k;
    const index = Math.floor(t / r);
    const rendition = input.renditions[t % r];
    const local = index - input.firstShard;
    return encodeShard
      .executeWithOptions({ ...mediaOptions(input.mediaTaskQueue), summary: `shard ${index + 1}/${input.shardCount} · ${rendition.name}` }, [
        { common: input.common, index, count: input.shardCount, start: input.boundaries[local], end: input.boundaries[local + 1], rendition },
      ])
      .then(
        (res) => {
          frames[rendition.name] += res.frames;
          if (res.reused) reused++;
          note('done', rendition.name);
        },
        (err: unknown) => {
          if (isCancellation(err)) throw err;
          note('failed', rendition.name);
          throw ApplicationFailure.create({
            type: 'ShardFailed',
            message: `shard ${index + 1}/${input.shardCount} of ${rendition.name} failed: ${(err as Error).message}`,
            cause: err as Error,
          });
        },
      );
  });
  // Every shard runs to its end before the batch reports, so one failure never strands the others' work.
  const results = await Promise.allSettled(tasks);
  flush();
  await Promise.allSettled(signals);
  const failure = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failure) throw asCancelledIfCancellation(failure.reason);
  return { frames, reused };
}
