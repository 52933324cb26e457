// Fans shard × rendition tasks out to child workflows in batches and gathers
// what they report: frames per rendition and the tasks that failed for good.
import { CancellationScope, isCancellation, startChild, workflowInfo } from '@temporalio/workflow';
import type { ShardCommon } from '../core/contracts';
import type { FailedShard } from '../core/job/progress';
import type { RenditionSpec } from '../core/job/rendition';
import { transcodeShardBatch, type ShardTask } from './shardBatch';

export interface ShardRun {
  jobId: string;
  mediaTaskQueue: string;
  common: ShardCommon;
  renditions: RenditionSpec[];
  shardCount: number;
  batchSize: number;
  /** Child workflow ids are `<jobId>.<label>-<n>`: "shards" first, "repair-1", "repair-2" … later. */
  label: string;
}

export interface ShardRunResult {
  frames: Record<string, number>;
  failed: FailedShard[];
}

/** Every shard × rendition task of a job, shard-major so a batch covers neighbouring shards. */
export function allShardTasks(shardCount: number, renditions: RenditionSpec[]): ShardTask[] {
  const tasks: ShardTask[] = [];
  for (let shard = 0; shard < shardCount; shard++) {
    for (const r of renditions) tasks.push({ shard, rendition: r.name });
  }
  return tasks;
}

/**
 * Where the batch starting at `first` ends. A streaming shard's rungs stay in one batch, so one task encodes
 * them all from one decode: the batch grows past `batchSize` to the end of its last shard.
 */
export function batchEnd(tasks: ShardTask[], first: number, batchSize: number, streaming: boolean): number {
  let end = Math.min(tasks.length, first + batchSize);
  while (streaming && end < tasks.length && tasks[end].shard === tasks[end - 1].shard) end++;
  return end;
}

export async function runShardTasks(run: ShardRun, tasks: ShardTask[]): Promise<ShardRunResult> {
  const frames: Record<string, number> = {};
  const failed: FailedShard[] = [];
  const batches: Promise<void>[] = [];
  // A batch fails only for a reason no repair can fix: stop the other batches then, rather than finish them.
  const scope = new CancellationScope();
  let failure: unknown;
  await scope.run(async () => {
    for (let first = 0, b = 0; first < tasks.length; b++) {
      const batch = tasks.slice(first, batchEnd(tasks, first, run.batchSize, run.common.segmentFrames !== undefined));
      first += batch.length;
      const used = new Set(batch.map((t) => t.rendition));
      batches.push(
        startChild(transcodeShardBatch, {
          workflowId: `${run.jobId}.${run.label}-${b}`,
          taskQueue: workflowInfo().taskQueue,
          staticSummary: `shards ${batch[0].shard + 1}-${batch[batch.length - 1].shard + 1} of ${run.shardCount}${run.label === 'shards' ? '' : ` (${run.label})`}`,
          args: [
            {
              parentId: run.jobId,
              mediaTaskQueue: run.mediaTaskQueue,
              common: run.common,
              renditions: run.renditions.filter((r) => used.has(r.name)),
              shardCount: run.shardCount,
              tasks: batch,
            },
          ],
        })
          .then((child) => child.result())
          .then(
            (res) => {
              for (const [name, n] of Object.entries(res.frames)) frames[name] = (frames[name] ?? 0) + n;
              failed.push(...res.failed);
            },
            (err: unknown) => {
              if (failure !== undefined && isCancellation(err)) return;
              failure ??= err;
              if (!isCancellation(err)) scope.cancel();
            },
          ),
      );
    }
    // Every batch runs to its end (or is cancelled and has stopped) before anything is thrown, so cleaning never races an encoder.
    await Promise.allSettled(batches);
  });
  if (failure !== undefined) throw failure;
  return { frames, failed };
}
