// Where the source is cut. Pure arithmetic over keyframe times, so it is
// unit-tested without ffmpeg.
//
// Shards are defined on the output frame grid: shard i holds output frames
// [round((b[i]-start)*fps), round((b[i+1]-start)*fps)). The counts telescope,
// so the shards always add up to the whole video, whatever the rounding.

export type SplitMode = 'copy' | 'range';

export interface ShardPlan {
  /** copy: stream-copied keyframe-aligned shard files. range: encoders seek into the source. */
  mode: SplitMode;
  /** Source times of the cuts: shard i spans [boundaries[i], boundaries[i+1]). */
  boundaries: number[];
}

export interface PlanInput {
  keyframes: number[];
  startTime: number;
  endTime: number;
  /** Output frames per second. */
  fps: number;
  segmentSeconds: number;
}

/** Output frames between two source times on the grid anchored at `start`. */
export function framesBetween(start: number, from: number, to: number, fps: number): number {
  return Math.round((to - start) * fps) - Math.round((from - start) * fps);
}

/** Shards longer than this many segment lengths mean the keyframes are too sparse to copy-split. */
const SPARSE_FACTOR = 2;

export function planShards(input: PlanInput): ShardPlan {
  const { startTime, endTime, fps, segmentSeconds } = input;
  const halfFrame = 0.5 / fps;
  const duration = endTime - startTime;
  if (duration <= segmentSeconds + halfFrame) return { mode: 'copy', boundaries: [startTime, endTime] };

  // Cut at the first keyframe at least one segment after the previous cut.
  const cuts = [startTime];
  for (const k of input.keyframes) {
    if (k - cuts[cuts.length - 1] >= segmentSeconds - halfFrame && endTime - k > halfFrame) cuts.push(k);
  }
  // A sliver at the end is cheaper folded into the shard before it.
  if (cuts.length > 1 && endTime - cuts[cuts.length - 1] < segmentSeconds / 4) cuts.pop();
  const copy = [...cuts, endTime];
  let longest = 0;
  for (let i = 1; i < copy.length; i++) longest = Math.max(longest, copy[i] - copy[i - 1]);
  if (longest <= segmentSeconds * SPARSE_FACTOR) return { mode: 'copy', boundaries: dropEmpty(copy, startTime, fps) };

  // Too few keyframes: cut on the frame grid and let each encoder seek.
  const framesPerShard = Math.max(1, Math.round(segmentSeconds * fps));
  const totalFrames = framesBetween(startTime, startTime, endTime, fps);
  const boundaries = [startTime];
  for (let f = framesPerShard; f < totalFrames; f += framesPerShard) {
    if (totalFrames - f < framesPerShard / 4) break;
    boundaries.push(startTime + f / fps);
  }
  boundaries.push(endTime);
  return { mode: 'range', boundaries };
}

function dropEmpty(boundaries: number[], start: number, fps: number): number[] {
  const kept = [boundaries[0]];
  for (let i = 1; i < boundaries.length; i++) {
    const last = i === boundaries.length - 1;
    if (framesBetween(start, kept[kept.length - 1], boundaries[i], fps) > 0 || last) kept.push(boundaries[i]);
  }
  return kept;
}
