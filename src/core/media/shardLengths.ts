// How long each shard should be when the job does not say: chosen from the
// source's length and the media slots the job can use. Pure arithmetic.
//
// Shards are planned longest first and shrink toward the end (guided
// self-scheduling): the first round gives every slot a long shard, later ones
// shorter, so the slots that finish early pick up the short tail shards and
// every slot stays busy to the end. No shard is shorter than the length at
// which a shard start costs measurable size or quality.

/**
 * The shortest shard planned by default, in seconds. Each shard start costs a
 * fresh rate control and lookahead: 2 s shards of 1080p measured +3 % size at
 * equal PSNR without the x264 start zone and +0.15 % with it, 4 s shards
 * well under 1 %. Also a keyframe interval or two of most sources.
 */
export const MIN_SHARD_SECONDS = 4;
/** Each later shard is this share of what is left over the slots: 1/2 leaves room for a long tail of short ones. */
const SHRINK = 2;
/** Never more rounds of shards per slot than this: every shard costs an encoder start and a task. */
const MAX_ROUNDS = 6;

export interface CapacityInput {
  /** Seconds of video to cut. */
  durationSeconds: number;
  /** Media slots the job's shard encodes can use at once (one ffmpeg each). */
  slots: number;
  /** Typical keyframe interval of the source in seconds; copy cuts land on keyframes, so lengths are multiples of it. */
  keyframeSeconds?: number;
  /** Floor for a shard's length, seconds; MIN_SHARD_SECONDS when absent. */
  minShardSeconds?: number;
}

/**
 * Target lengths of the shards in dispatch order, longest first; they add up
 * to the duration. One shard when the source is shorter than two minimum
 * shards. The split snaps each cut to the keyframe at or after its target.
 */
export function capacityShardLengths(input: CapacityInput): number[] {
  const { durationSeconds: total } = input;
  const slots = Math.max(1, Math.floor(input.slots));
  const step = input.keyframeSeconds && input.keyframeSeconds > 0 ? input.keyframeSeconds : 0;
  const snap = (s: number): number => (step ? Math.max(step, Math.round(s / step) * step) : s);
  // Short sources: enough shards for every slot, none shorter than the floor nor a tiny share of the work.
  const floor = Math.max(snap(input.minShardSeconds ?? MIN_SHARD_SECONDS), total / (slots * MAX_ROUNDS));
  if (!(total > 0) || total < 2 * floor) return total > 0 ? [total] : [];
  const lengths: number[] = [];
  let left = total;
  while (left > 0) {
    let next = Math.max(floor, snap(left / (SHRINK * slots)));
    // What would remain after this shard is too short for a shard of its own: take it along.
    if (left - next < floor) next = left;
    lengths.push(next);
    left -= next;
  }
  // Position order is dispatch order: the longest shards first, whatever the tail's rounding left.
  return lengths.sort((a, b) => b - a);
}

/** Longest shard planned by default (streaming, or an even split), in seconds: what a failed shard costs again, and work left for more workers. */
export const MAX_SHARD_SECONDS = 32;
/**
 * What one shard task costs besides its frames, in seconds: encoder starts, the pre-roll decode and the frame
 * check. It makes fewer, longer shards win when the slots' finish is otherwise the same.
 */
const TASK_OVERHEAD_SECONDS = 2;

export interface StreamShardInput {
  /** Whole segments in the video. */
  segments: number;
  segmentSeconds: number;
  /** Media slots the job's shard encodes can use at once. */
  slots: number;
}

/**
 * Segments per streaming shard when the job does not say: streaming shards are equal runs of whole segments,
 * at most MAX_SHARD_SECONDS long, as many as finish soonest on the slots (bestShardLength). Five shards on two
 * slots leave one slot idle for the last, while four or two finish together.
 */
export function streamSegmentsPerShard(input: StreamShardInput): number {
  const { segments, segmentSeconds } = input;
  return bestShardLength(segments, segmentSeconds, input.slots, 1, Math.max(1, Math.floor(MAX_SHARD_SECONDS / segmentSeconds)));
}

export interface EvenShardInput {
  /** Output frames of the video at the source rate. */
  frames: number;
  /** The source rate, frames per second. */
  fps: number;
  /** Media slots the job's shard encodes can use at once. */
  slots: number;
  /**
   * A source read by range: its median keyframe interval. Shards are then at least READ_KEYFRAMES_PER_SHARD
   * intervals long (up to MAX_SHARD_SECONDS), so each cut finds a keyframe within a tenth of a shard (see
   * keyframeSnapSeconds) and no shard reads more than its share.
   */
  keyframeSeconds?: number;
}

/** Keyframe intervals per shard, at least, for a source read by range. */
export const READ_KEYFRAMES_PER_SHARD = 5;

/**
 * Frames per shard for a source the encoders seek into, when the job does not say. The shards are equal (the
 * last a few frames shorter) because a task queue's partitions hand tasks out in no set order: unequal shards
 * dispatched longest first can still run longest last and leave a slot idle at the end. Of the shard counts
 * that keep every shard between MIN_SHARD_SECONDS and MAX_SHARD_SECONDS, the one whose slots finish soonest
 * with each task's overhead counted (bestShardLength). A cut between keyframes costs a pre-roll decode, a
 * small share of a shard's encode.
 */
export function evenShardFrames(input: EvenShardInput): number {
  const { frames, fps } = input;
  if (!(frames > 0) || !(fps > 0)) return Math.max(1, frames);
  const shortest = Math.min(MAX_SHARD_SECONDS, Math.max(MIN_SHARD_SECONDS, READ_KEYFRAMES_PER_SHARD * (input.keyframeSeconds ?? 0)));
  return bestShardLength(frames, 1 / fps, input.slots, shortest * fps, MAX_SHARD_SECONDS * fps);
}

/** How far a cut of a source read by range may move to a keyframe: a tenth of a shard. */
export function keyframeSnapSeconds(shardSeconds: number): number {
  return shardSeconds / (2 * READ_KEYFRAMES_PER_SHARD);
}

/**
 * Units (segments or frames) per shard: of the shard counts that keep shards from `shortest` to `longest` units
 * (one shard may be shorter), the one whose slots finish soonest with each task's overhead counted; fewer
 * shards on a tie.
 */
function bestShardLength(units: number, unitSeconds: number, slotCount: number, shortest: number, longest: number): number {
  const slots = Math.max(1, Math.floor(slotCount));
  let best = { perShard: Math.max(1, units), finish: Infinity };
  const fewest = Math.max(1, Math.ceil(units / longest));
  for (let count = fewest; count <= units; count++) {
    const perShard = Math.ceil(units / count);
    // The fewest shards within `longest` are always allowed, even when they come out under `shortest`.
    if (count > fewest && perShard < shortest) break;
    const finish = slotsFinish(units, perShard, slots, unitSeconds);
    if (finish < best.finish) best = { perShard, finish };
  }
  return best.perShard;
}

/**
 * When the last slot finishes `units` cut into shards of `perShard` (the last one shorter), each given to the
 * slot free first: the full shards go round the slots, the short one to the slot with the fewest.
 */
function slotsFinish(units: number, perShard: number, slots: number, unitSeconds: number): number {
  const full = Math.floor(units / perShard);
  const rest = units - full * perShard;
  const task = perShard * unitSeconds + TASK_OVERHEAD_SECONDS;
  const fullDone = Math.ceil(full / slots) * task;
  return rest === 0 ? fullDone : Math.max(fullDone, Math.floor(full / slots) * task + rest * unitSeconds + TASK_OVERHEAD_SECONDS);
}
