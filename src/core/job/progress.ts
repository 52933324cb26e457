// The shape of the `progress` query and of the progress signals children send.

export type JobPhase =
  | 'starting'
  | 'probing'
  | 'splitting'
  | 'transcoding'
  | 'awaiting-repair'
  | 'merging'
  | 'verifying'
  | 'publishing'
  | 'cleaning'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

export interface RenditionProgress {
  total: number;
  done: number;
  failed: number;
}

/** A shard task, or a rendition's audio encode, that used up its retries; the job waits for a repair. */
export interface FailedShard {
  /** 1-based, as shown everywhere ("shard 3/8"); 0 for an audio encode. */
  shard: number;
  rendition: string;
  /** The rendition's audio encode (one per rendition, not per shard) rather than a shard task. */
  audio?: boolean;
  attempts: number;
  error: string;
  /** Where the failed activity lives, for `temporal activity reset` and the Web UI. */
  workflowId: string;
  activityId: string;
}

export interface JobProgress {
  jobId: string;
  phase: JobPhase;
  /** Shard tasks per rendition. */
  renditions: Record<string, RenditionProgress>;
  /** 0..100 over the whole job. */
  percent: number;
  /** While awaiting repair: the shards that failed. */
  failedShards?: FailedShard[];
  /** While awaiting repair: when the job gives up (ISO time). */
  repairDeadline?: string;
  error?: string;
}

/** Shards finished since the previous signal, per rendition. */
export interface ShardProgressDelta {
  done: Record<string, number>;
  failed: Record<string, number>;
}

/** Share of the whole job each phase stands for, so percent moves steadily. */
const PHASE_START: Record<JobPhase, number> = {
  starting: 0,
  probing: 1,
  splitting: 3,
  transcoding: 8,
  'awaiting-repair': 8,
  merging: 90,
  verifying: 94,
  publishing: 96,
  cleaning: 99,
  succeeded: 100,
  failed: 100,
  cancelled: 100,
};

export function percentOf(phase: JobPhase, renditions: Record<string, RenditionProgress>): number {
  if (phase !== 'transcoding' && phase !== 'awaiting-repair') return PHASE_START[phase];
  let total = 0;
  let done = 0;
  for (const r of Object.values(renditions)) {
    total += r.total;
    done += r.done;
  }
  const share = total === 0 ? 1 : done / total;
  const span = PHASE_START.merging - PHASE_START.transcoding;
  return Math.floor((PHASE_START.transcoding + share * span) * 10) / 10;
}
