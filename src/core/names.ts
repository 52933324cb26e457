// The one place that names what workflows, workers, clients and tests share.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { JobProgress, ShardProgressDelta } from './job/progress';
import type { RetryAccepted, RetryRequest } from './job/repair';

export const TRANSCODE_WORKFLOW = 'transcodeVideo';
export const SHARD_BATCH_WORKFLOW = 'transcodeShardBatch';

/** Workflows and light activities (probe, publish, clean). */
export const DEFAULT_TASK_QUEUE = 'shardflow';
/** Heavy ffmpeg work: split, shard encodes, audio, merge, verify. */
export const DEFAULT_MEDIA_TASK_QUEUE = 'shardflow-media';

/**
 * Audio encodes, served by every media worker in slots of their own: an audio encode costs a few percent of a
 * shard encode's CPU, and in a media slot it held back one shard for its whole run.
 */
export function audioTaskQueue(mediaTaskQueue: string): string {
  return `${mediaTaskQueue}-audio`;
}

export const progressQuery = defineQuery<JobProgress>('progress');
export const shardProgressSignal = defineSignal<[ShardProgressDelta]>('shardProgress');
/** Re-runs failed shards of a job awaiting repair; refused with a reason otherwise. */
export const retryShardsUpdate = defineUpdate<RetryAccepted, [RetryRequest]>('retryShards');
/** Ends a job awaiting repair as failed. */
export const abandonUpdate = defineUpdate<{ abandoned: number }, []>('abandon');

export const PHASE_SEARCH_ATTRIBUTE = 'ShardflowPhase';
export const SOURCE_SEARCH_ATTRIBUTE = 'ShardflowSource';
export const SEARCH_ATTRIBUTES = [PHASE_SEARCH_ATTRIBUTE, SOURCE_SEARCH_ATTRIBUTE] as const;

export const PHASE_KEY = defineSearchAttributeKey(PHASE_SEARCH_ATTRIBUTE, SearchAttributeType.KEYWORD);
export const SOURCE_KEY = defineSearchAttributeKey(SOURCE_SEARCH_ATTRIBUTE, SearchAttributeType.KEYWORD);
