// Where the source is cut. Pure arithmetic over the frame timeline, so it is
// unit-tested without ffmpeg.
//
// A shard is a span of the job's grid [start, end), in exact grid times. At a
// rendition's rate F it owns output slots [slot(start), slot(end)): the counts
// telescope, so the shards always add up to the single pass's frames, and
// every slot is filled by the same grid rule whichever shard holds it.
import { compareGridTimes, gridFrameCount, gridSeconds, gridTime, parseTimeBase, slotAt, slotTime, type FrameGrid, type GridTime } from './frameGrid';
import type { Rational } from './rational';
import type { VideoTimeline } from './videoTimeline';

export type SplitMode = 'copy' | 'range';

export interface ShardSpec {
  /** Grid times where the shard begins and ends. */
  start: GridTime;
  end: GridTime;
  /** Grid time of the last source frame before `end`: an input that stops after it holds it until `end`. */
  lastFrame: GridTime;
  /** Grid time of the last source frame at or before `start`: the earliest frame any of the shard's slots can show. */
  firstFrame: GridTime;
  /** Source frames from `firstFrame` up to `end`: decoding the shard must deliver every one of them. */
  frames: number;
  /** Copy mode: pts of the keyframe the shard file begins with, in the source's timebase. */
  cutPts?: number;
  /** Copy mode: how far the shard file's timestamps sit from the source's, in ticks of the source's timebase. */
  offsetTicks?: number;
  /** Range mode: seconds after the container start to seek to, safely before the keyframe the shard's first frame needs. */
  seekSeconds?: number;
}

export interface ShardPlan {
  /** copy: stream-copied keyframe-aligned shard files. range: encoders seek into the source. */
  mode: SplitMode;
  shards: ShardSpec[];
}

export interface PlanInput {
  timeline: Pick<VideoTimeline, 'frames' | 'keyframes' | 'cleanCuts' | 'copyable' | 'maxReorder'>;
  grid: FrameGrid;
  /** The source's frame rate: shards hold at least one frame at it. */
  fps: Rational;
  /** Target shard length in seconds, or one per shard in order (the last repeats): see capacityShardLengths. */
  segmentSeconds: number | number[];
  /** The container's start time in seconds: ffmpeg's -ss counts from it. */
  formatStart: number;
  /** Seconds a seek aims before the keyframe it needs, on top of the reorder delay. */
  seekMargin: number;
  /**
   * Stream-copy the shards into files of their own where the keyframes allow (default). False: still cut at
   * clean keyframes where possible, so no encoder decodes frames it drops, but encoders seek into the source.
   */
  copySplit?: boolean;
  /**
   * The demuxer seeks through an index of keyframe times (MP4/MOV, Matroska): a seek just after a keyframe
   * lands on it, so no margin is needed and an encoder reads nothing of the GOP before its own.
   */
  indexedSeek?: boolean;
  /**
   * Streaming output: every shard but the last holds exactly this many slots at `fps` (whole segments), so cuts
   * sit on the segment grid; never copy cuts, whose keyframes fall where the source put them.
   */
  shardFrames?: number;
  /**
   * With `shardFrames`, for a source read by range: each cut moves to the clean keyframe nearest it when one lies
   * within this many seconds, so no encoder fetches a GOP only to drop it. Never for streaming, whose cuts are
   * segment boundaries.
   */
  keyframeSnapSeconds?: number;
}

/** How far after the keyframe an indexed seek aims: past rounding, far short of the next frame. */
const INDEXED_SEEK_NUDGE = 0.001;

/** Shards longer than this many segment lengths mean the keyframes are too sparse to copy-split. */
const SPARSE_FACTOR = 2;

/** Target length of shard `i` (0-based). */
function targetOf(segmentSeconds: number | number[], i: number): number {
  if (typeof segmentSeconds === 'number') return segmentSeconds;
  return segmentSeconds[Math.min(i, segmentSeconds.length - 1)];
}

/** A shard's output slots at rate `fps`. */
export function shardSlots(shard: Pick<ShardSpec, 'start' | 'end'>, fps: Rational): { startSlot: number; endSlot: number } {
  return { startSlot: slotAt(shard.start, fps), endSlot: slotAt(shard.end, fps) };
}

/** Index of the last element of `sorted` at or before grid time `t` (strictly before with `strict`), or -1. */
function lastAtOrBefore(grid: FrameGrid, sorted: number[], t: GridTime, strict = false): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareGridTimes(gridTime(grid, sorted[mid]), t);
    if (c < 0 || (c === 0 && !strict)) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function planShards(input: PlanInput): ShardPlan {
  const { grid, fps, segmentSeconds, timeline } = input;
  const halfFrame = 0.5 / (fps.num / fps.den);
  const end = gridTime(grid, grid.endPts);
  const duration = gridSeconds(end);
  const zero: GridTime = { num: 0, den: 1 };

  let mode: SplitMode = 'range';
  let cuts: GridTime[] = [zero];
  let cutPts: number[] = [grid.startPts];
  const single = typeof segmentSeconds === 'number' ? duration <= segmentSeconds + halfFrame : segmentSeconds.length <= 1;
  if (input.shardFrames !== undefined) {
    cuts = gridCuts(gridFrameCount(grid, fps), fps, input.shardFrames);
    if (input.keyframeSnapSeconds !== undefined) cuts = snappedToKeyframes(input, cuts, end, input.keyframeSnapSeconds);
  } else if (!single) {
    const copy = copyCuts(input, end);
    if (copy) {
      mode = input.copySplit === false ? 'range' : 'copy';
      cuts = copy.map((pts) => gridTime(grid, pts));
      cutPts = copy;
    } else cuts = rangeCuts(gridFrameCount(grid, fps), fps, segmentSeconds);
  }
  const bounds = [...cuts, end];
  const shards: ShardSpec[] = [];
  const frames = timeline.frames;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const last = Math.max(0, lastAtOrBefore(grid, frames, bounds[i + 1], true));
    let first = Math.max(0, lastAtOrBefore(grid, frames, bounds[i]));
    while (first > 0 && frames[first - 1] === frames[first]) first--;
    const shard: ShardSpec = {
      start: bounds[i],
      end: bounds[i + 1],
      lastFrame: gridTime(grid, frames[last]),
      firstFrame: gridTime(grid, frames[first]),
      frames: last - first + 1,
    };
    if (mode === 'copy') shard.cutPts = cutPts[i];
    else {
      const seek = seekFor(input, bounds[i]);
      if (seek !== undefined) shard.seekSeconds = seek;
    }
    shards.push(shard);
  }
  return { mode, shards };
}

/**
 * Copy cuts (source pts, the first being the grid start): the first clean keyframe at least one segment after
 * the previous cut; undefined when the source cannot be stream-copied exactly or its keyframes are too sparse.
 */
function copyCuts(input: PlanInput, end: GridTime): number[] | undefined {
  const { grid, fps, segmentSeconds, timeline } = input;
  if (!timeline.copyable) return undefined;
  const halfFrame = 0.5 / (fps.num / fps.den);
  const endSeconds = gridSeconds(end);
  const cuts = [grid.startPts];
  const seconds = (pts: number): number => gridSeconds(gridTime(grid, pts));
  for (const k of timeline.cleanCuts) {
    const t = seconds(k);
    const sameSlotAsLast = slotAt(gridTime(grid, k), fps) === slotAt(gridTime(grid, cuts[cuts.length - 1]), fps);
    const target = targetOf(segmentSeconds, cuts.length - 1);
    if (t - seconds(cuts[cuts.length - 1]) >= target - halfFrame && endSeconds - t > halfFrame && !sameSlotAsLast) cuts.push(k);
  }
  // A sliver at the end is cheaper folded into the shard before it.
  if (cuts.length > 1 && endSeconds - seconds(cuts[cuts.length - 1]) < targetOf(segmentSeconds, cuts.length - 1) / 4) cuts.pop();
  if (cuts.length === 1) return undefined;
  for (let i = 0; i < cuts.length; i++) {
    const length = (i + 1 < cuts.length ? seconds(cuts[i + 1]) : endSeconds) - seconds(cuts[i]);
    if (length > targetOf(segmentSeconds, i) * SPARSE_FACTOR) return undefined;
  }
  return cuts;
}

/** Range cuts on the grid: every shard's target length worth of output frames at the source rate. */
function rangeCuts(totalFrames: number, fps: Rational, segmentSeconds: number | number[]): GridTime[] {
  const framesOf = (i: number): number => Math.max(1, Math.round(targetOf(segmentSeconds, i) * (fps.num / fps.den)));
  const cuts: GridTime[] = [{ num: 0, den: 1 }];
  for (let f = framesOf(0); f < totalFrames; f += framesOf(cuts.length - 1)) {
    if (totalFrames - f < framesOf(cuts.length) / 4) break;
    cuts.push(slotTime(f, fps));
  }
  return cuts;
}

/**
 * `cuts` with each inner cut moved to the nearest clean keyframe within `within` seconds, where that keeps the
 * cuts in order and a slot apart; any cut is exact, so one without a keyframe near it stays.
 */
function snappedToKeyframes(input: PlanInput, cuts: GridTime[], end: GridTime, within: number): GridTime[] {
  const { grid, fps, timeline } = input;
  const keys = timeline.cleanCuts.map((pts) => gridTime(grid, pts));
  const out: GridTime[] = [cuts[0]];
  for (let i = 1; i < cuts.length; i++) {
    const at = gridSeconds(cuts[i]);
    const after = slotAt(out[out.length - 1], fps);
    const before = slotAt(i + 1 < cuts.length ? cuts[i + 1] : end, fps);
    const reach = (k: number): number => Math.abs(gridSeconds(keys[k]) - at);
    // From keyframe k outwards (cleanCuts is sorted): the first that keeps the cuts in order, within reach.
    const nearest = (k: number, step: 1 | -1): number | undefined => {
      for (; k >= 0 && k < keys.length && reach(k) <= within; k += step) {
        const slot = slotAt(keys[k], fps);
        if (slot > after && slot < before) return k;
      }
      return undefined;
    };
    const firstAfter = lastAtOrBefore(grid, timeline.cleanCuts, cuts[i], true) + 1;
    const left = nearest(firstAfter - 1, -1);
    const right = nearest(firstAfter, 1);
    // The nearer one; the earlier one on a tie.
    const pick = left === undefined ? right : right === undefined || reach(left) <= reach(right) ? left : right;
    out.push(pick === undefined ? cuts[i] : keys[pick]);
  }
  return out;
}

/** Range cuts every `shardFrames` slots exactly; a last shard of less than a slot is never made. */
function gridCuts(totalFrames: number, fps: Rational, shardFrames: number): GridTime[] {
  const cuts: GridTime[] = [{ num: 0, den: 1 }];
  for (let f = shardFrames; f < totalFrames; f += shardFrames) cuts.push(slotTime(f, fps));
  return cuts;
}

/**
 * Where a range shard's encoder seeks: before the keyframe at or before the last frame at the shard's start
 * (the frame its first slot shows is that one or a later one), by the stream's reorder delay and a margin,
 * because demuxers seek by decode time or by index entries; an indexed demuxer seeks to the keyframe itself.
 * Undefined: decode from the beginning. The encoder checks that decoding delivered every frame the shard needs,
 * so a seek that lands badly costs time, not frames.
 */
function seekFor(input: PlanInput, start: GridTime): number | undefined {
  const { grid, timeline } = input;
  if (timeline.keyframes.length === 0 || timeline.frames.length === 0) return undefined;
  const at = lastAtOrBefore(grid, timeline.frames, start);
  const frame = timeline.frames[Math.max(0, at)];
  let k = -1;
  for (let i = 0; i < timeline.keyframes.length && timeline.keyframes[i] <= frame; i++) k = i;
  // An open-GOP keyframe's leading pictures need the GOP before it, and a decoder restarted there can drop more:
  // start one GOP earlier.
  if (k > 0 && !timeline.cleanCuts.includes(timeline.keyframes[k])) k--;
  if (k <= 0) return undefined;
  const tb = parseTimeBase(grid.timeBase);
  const seconds = input.indexedSeek
    ? (timeline.keyframes[k] * tb.num) / tb.den + INDEXED_SEEK_NUDGE - input.formatStart
    : ((timeline.keyframes[k] - timeline.maxReorder) * tb.num) / tb.den - input.seekMargin - input.formatStart;
  return seconds > 0 ? seconds : undefined;
}

/**
 * The constant shift from a copy shard's expected source pts to the pts its file holds (both in ticks of the
 * source's timebase), or undefined when the file holds other packets or moved them by anything but one shift.
 */
export function shardFileOffset(expected: number[], got: number[]): number | undefined {
  if (expected.length === 0 || expected.length !== got.length || got.some((t) => !Number.isFinite(t))) return undefined;
  const want = [...expected].sort((a, b) => a - b);
  const have = [...got].sort((a, b) => a - b);
  const offset = have[0] - want[0];
  return want.every((t, i) => have[i] - t === offset) ? offset : undefined;
}

/** Shards (0-based) without an output slot of their own at rate `fps` (a rendition slower than the source): nothing is encoded for them. */
export function emptyShardsAt(shards: Pick<ShardSpec, 'start' | 'end'>[], fps: Rational): number[] {
  return shards.flatMap((s, i) => {
    const { startSlot, endSlot } = shardSlots(s, fps);
    return endSlot > startSlot ? [] : [i];
  });
}

/** Source seconds where each shard after the first begins: the seams verify looks at. */
export function seamCuts(shards: Pick<ShardSpec, 'start'>[], gridStartSeconds: number): number[] {
  return shards.slice(1).map((s) => gridStartSeconds + gridSeconds(s.start));
}
