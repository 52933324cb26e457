// Verify compares the frames around every seam with the source, a GOP of
// decoding each. On one worker that grows with the seam count and bounds
// short shards at scale, so a job with many seams splits them into parts
// that run as separate tasks on any media worker. Only seams sought one by
// one are split: where one pass from the start is cheaper (keyframes sparse
// against the shards), every part would repeat that pass. Pure:
// workflow-safe.
import { seekingPays } from '../media/seamSeeking';

/** Seams one verify task compares at least: below this the task's start costs more than the spread saves. */
export const MIN_SEAMS_PER_TASK = 16;
/** Tasks a rendition's seams are spread over at most, so a job of thousands of shards adds few tasks. */
export const MAX_SEAM_TASKS = 32;

/** Workflow patch id: jobs that reached verify before seam parts existed replay with one verify task per rendition. */
export const SEAM_PARTS_PATCH = 'verify-seam-parts';

/** A run of seams, by 0-based index into the job's inner cuts. */
export interface SeamRange {
  first: number;
  count: number;
}

/**
 * The parts of the seams of `shards` shards of a source of `sourceSeconds` with `keyframes` keyframes, in order,
 * covering every seam once: one part (or none, without seams) below two tasks' worth or where seams are not sought.
 */
export function seamParts(shards: number, sourceSeconds: number, keyframes: number): SeamRange[] {
  const seams = shards - 1;
  if (seams <= 0) return [];
  // Shards of about equal length: the last seam falls one shard before the end.
  if (!seekingPays(seams, (sourceSeconds * seams) / shards, sourceSeconds, keyframes)) return [{ first: 0, count: seams }];
  const perTask = Math.max(MIN_SEAMS_PER_TASK, Math.ceil(seams / MAX_SEAM_TASKS));
  const parts: SeamRange[] = [];
  for (let first = 0; first < seams; first += perTask) parts.push({ first, count: Math.min(perTask, seams - first) });
  return parts;
}
