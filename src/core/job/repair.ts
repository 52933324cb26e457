// Requests to re-run failed shards, and their answers. Pure: the workflow's
// update validator uses it to refuse bad requests before anything runs.
import type { FailedShard } from './progress';

export interface RetryRequest {
  /** 1-based shard numbers; all failed shards and audio encodes when omitted. */
  shards?: number[];
  rendition?: string;
}

export interface RetryAccepted {
  /** `audio: true` for a rendition's audio encode (shard 0). */
  accepted: { shard: number; rendition: string; audio?: boolean }[];
}

export class RetryRefused extends Error {}

/** The failed shards a request names; throws RetryRefused with the reason when it names none or names a shard that did not fail. */
export function selectForRetry(failed: FailedShard[], shardCount: number, req: RetryRequest): FailedShard[] {
  const renditions = new Set(failed.map((f) => f.rendition));
  if (req.rendition !== undefined && !renditions.has(req.rendition)) {
    throw new RetryRefused(`rendition ${req.rendition} has no failed shards; failed renditions: ${[...renditions].join(', ') || 'none'}`);
  }
  for (const n of req.shards ?? []) {
    if (!Number.isInteger(n) || n < 1 || n > shardCount) throw new RetryRefused(`unknown shard ${n}; the job has shards 1 to ${shardCount}`);
    if (!failed.some((f) => !f.audio && f.shard === n && (req.rendition === undefined || f.rendition === req.rendition))) {
      throw new RetryRefused(`shard ${n}${req.rendition ? ` of ${req.rendition}` : ''} has not failed`);
    }
  }
  return failed.filter(
    (f) => (req.shards === undefined || (!f.audio && req.shards.includes(f.shard))) && (req.rendition === undefined || f.rendition === req.rendition),
  );
}

/** "shard 3 · mp4-720p" (with `shardCount`, "shard 3/8 · mp4-720p"), or "audio · mp4-720p" for an audio encode. */
export function failedTaskName(f: Pick<FailedShard, 'shard' | 'rendition' | 'audio'>, shardCount?: number): string {
  if (f.audio) return `audio · ${f.rendition}`;
  return `shard ${f.shard}${shardCount === undefined ? '' : `/${shardCount}`} · ${f.rendition}`;
}

/** One line per failed task, at most `limit` of them. */
export function describeFailedShards(failed: FailedShard[], shardCount: number, limit = 10): string {
  const lines = failed.slice(0, limit).map((f) => `${failedTaskName(f, shardCount)} after ${f.attempts} attempt(s): ${f.error}`);
  if (failed.length > limit) lines.push(`and ${failed.length - limit} more`);
  return lines.join('; ');
}
