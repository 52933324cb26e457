// How much work one job may ask for. A job's input can come from outside (a
// queue message, a trigger, the plain Temporal CLI), so its size is bounded
// here, where every path validates it: renditions, frame rate, segment length
// and, once the source's duration is known, the number of shards. Pure.
import { invalidJob } from '../errors';

export const MAX_RENDITIONS = 10;
export const MAX_FPS = 240;
export const MIN_SEGMENT_SECONDS = 0.5;
export const MAX_SEGMENT_SECONDS = 3600;
/**
 * Shards per job: each is an activity per rendition, and a history event or more in a batch child. The plan
 * itself stays in the work area, so no payload grows with it; 20,000 shards are 55 hours of video at 10 s.
 */
export const MAX_SHARDS = 20_000;

/** Shards a source of `durationSeconds` cut every `segmentSeconds` makes, at most (keyframes may merge some). */
export function expectedShards(durationSeconds: number, segmentSeconds: number): number {
  if (!(durationSeconds > 0)) return 1;
  return Math.max(1, Math.ceil(durationSeconds / segmentSeconds - 1e-9));
}

/** Refuses a job whose source would be cut into more than `maxShards` shards. */
export function checkShardCount(durationSeconds: number, segmentSeconds: number, maxShards: number): void {
  const shards = expectedShards(durationSeconds, segmentSeconds);
  if (shards > maxShards) {
    throw invalidJob(
      `the source's ${durationSeconds.toFixed(1)} s cut every ${segmentSeconds} s make ${shards} shards; at most ${maxShards} are allowed. ` +
        `Use a longer "segmentSeconds" (at least ${Math.ceil((durationSeconds / maxShards) * 10) / 10})`,
    );
  }
}
