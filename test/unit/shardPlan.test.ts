// planShards decides where a video is cut, on the job's frame grid. Hand-picked
// cases pin the rules; a seeded random sweep checks the invariants the merge
// relies on: the shards' slots add up to the single pass's, no shard is empty,
// copy cuts sit on clean keyframes and seeks land before the frames they need.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareGridTimes, gridFrameCount, gridSeconds, gridTime, slotAt, type FrameGrid, type GridTime } from '../../src/core/media/frameGrid';
import type { Rational } from '../../src/core/media/rational';
import { planShards, shardFileOffset, shardSlots, type PlanInput, type ShardPlan } from '../../src/core/media/shardPlan';

interface SourceSpec {
  fps: number;
  frames: number;
  /** Timebase denominator (numerator 1). */
  tbDen?: number;
  /** First pts, in ticks. */
  startPts?: number;
  /** Frame indices of keyframes (the first frame is always one). */
  keyframes?: number[];
  /** Keyframes with open-GOP leading pictures: a stream copy must not cut there. */
  open?: number[];
  copyable?: boolean;
  segmentSeconds: number;
  maxReorder?: number;
  formatStart?: number;
  /** Ticks each frame is moved off its regular place (VFR, 24 fps content in a 1/30 timebase). */
  jitter?: (i: number) => number;
}

function sourceOf(spec: SourceSpec): PlanInput {
  const tbDen = spec.tbDen ?? 90000;
  const start = spec.startPts ?? 0;
  const step = tbDen / spec.fps;
  const frames = Array.from({ length: spec.frames }, (_, i) => start + Math.round(i * step) + (i > 0 ? (spec.jitter?.(i) ?? 0) : 0));
  frames.sort((a, b) => a - b);
  const keyIdx = [...new Set([0, ...(spec.keyframes ?? [])])].filter((i) => i < spec.frames).sort((a, b) => a - b);
  const keyframes = keyIdx.map((i) => frames[i]);
  const open = new Set((spec.open ?? []).map((i) => frames[i]));
  const grid: FrameGrid = { timeBase: `1/${tbDen}`, startPts: frames[0], endPts: frames[frames.length - 1] + Math.round(step) };
  return {
    timeline: { frames, keyframes, cleanCuts: keyframes.filter((k) => !open.has(k)), copyable: spec.copyable ?? true, maxReorder: spec.maxReorder ?? 0 },
    grid,
    fps: rate(spec.fps),
    segmentSeconds: spec.segmentSeconds,
    formatStart: spec.formatStart ?? 0,
    seekMargin: 1,
  };
}

function rate(fps: number): Rational {
  if (Math.abs(fps - 30000 / 1001) < 1e-9) return { num: 30000, den: 1001 };
  if (Math.abs(fps - 24000 / 1001) < 1e-9) return { num: 24000, den: 1001 };
  if (Math.abs(fps - 60000 / 1001) < 1e-9) return { num: 60000, den: 1001 };
  return { num: fps, den: 1 };
}

function every(gop: number, frames: number): number[] {
  return Array.from({ length: Math.ceil(frames / gop) }, (_, i) => i * gop);
}

function framesPerShard(plan: ShardPlan, fps: Rational): number[] {
  return plan.shards.map((s) => {
    const { startSlot, endSlot } = shardSlots(s, fps);
    return endSlot - startSlot;
  });
}

/** Cut times in seconds, start and end included. */
function cutSeconds(plan: ShardPlan): number[] {
  return [...plan.shards.map((s) => gridSeconds(s.start)), gridSeconds(plan.shards[plan.shards.length - 1].end)].map((t) => Math.round(t * 1e6) / 1e6);
}

describe('planShards: hand-picked cases', () => {
  it('streaming: cuts range shards of exactly shardFrames slots (whole segments) even where clean keyframes would allow a copy', () => {
    const input = { ...sourceOf({ fps: 30000 / 1001, frames: 600, keyframes: every(48, 600), segmentSeconds: 4 }), shardFrames: 240 };
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    assert.deepEqual(framesPerShard(plan, input.fps), [240, 240, 120]);
    for (const s of plan.shards) assert.equal(shardSlots(s, input.fps).startSlot % 120, 0, 'every shard starts on a 120-frame segment boundary');
  });

  it('even shards of a source read by range move each cut to a clean keyframe near it, and keep the rest', () => {
    // 20 s at 25 fps, 2 s GOPs, the keyframe at 12 s open; even cuts every 4.4 s (110 frames).
    const base = { ...sourceOf({ fps: 25, frames: 500, keyframes: every(50, 500), open: [300], segmentSeconds: 4 }), copySplit: false, indexedSeek: true, shardFrames: 110 };
    assert.deepEqual(cutSeconds(planShards(base)), [0, 4.4, 8.8, 13.2, 17.6, 20]);
    const snapped = planShards({ ...base, keyframeSnapSeconds: 0.5 });
    assert.equal(snapped.mode, 'range');
    // 4.4 → 4 and 17.6 → 18; 8.8 and 13.2 have no keyframe within 0.5 s.
    assert.deepEqual(cutSeconds(snapped), [0, 4, 8.8, 13.2, 18, 20]);
    assert.deepEqual(framesPerShard(snapped, base.fps), [100, 120, 110, 120, 50]);
    assert.deepEqual(snapped.shards.map((s) => s.seekSeconds), [undefined, 4.001, 8.001, 10.001, 18.001], 'each seeks to the keyframe at or before its cut');
    // Within 1 s: 8.8 → 8, and 13.2 → 14, past the open keyframe at 12 s.
    const wider = planShards({ ...base, keyframeSnapSeconds: 1 });
    assert.deepEqual(cutSeconds(wider), [0, 4, 8, 14, 18, 20]);
    assert.deepEqual(wider.shards.map((s) => s.seekSeconds), [undefined, 4.001, 8.001, 14.001, 18.001]);
    assert.equal(framesPerShard(wider, base.fps).reduce((a, b) => a + b, 0), 500);
  });

  it('never snaps streaming cuts, which must stay on the segment grid, unless asked', () => {
    const input = { ...sourceOf({ fps: 25, frames: 500, keyframes: every(50, 500), segmentSeconds: 4 }), shardFrames: 110 };
    assert.deepEqual(cutSeconds(planShards(input)), [0, 4.4, 8.8, 13.2, 17.6, 20]);
  });

  it('keeps a clip no longer than one segment whole, decoded straight from the source', () => {
    const input = sourceOf({ fps: 25, frames: 50, segmentSeconds: 2 });
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    assert.deepEqual(cutSeconds(plan), [0, 2]);
    assert.equal(plan.shards[0].seekSeconds, undefined);
    assert.deepEqual(framesPerShard(plan, input.fps), [50]);
  });

  it('cuts at the first keyframe at least one segment after the previous cut', () => {
    const input = sourceOf({ fps: 25, frames: 250, keyframes: every(25, 250), segmentSeconds: 3 });
    const plan = planShards(input);
    assert.equal(plan.mode, 'copy');
    assert.deepEqual(cutSeconds(plan), [0, 3, 6, 9, 10]);
    assert.deepEqual(plan.shards.map((s) => s.cutPts), [0, 270000, 540000, 810000]);
    assert.deepEqual(framesPerShard(plan, input.fps), [75, 75, 75, 25]);
  });

  it('without a copy split, still cuts at the keyframes and seeks each shard to just before its own', () => {
    const input = { ...sourceOf({ fps: 25, frames: 250, keyframes: every(25, 250), segmentSeconds: 3 }), copySplit: false };
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    assert.deepEqual(cutSeconds(plan), [0, 3, 6, 9, 10]);
    assert.deepEqual(plan.shards.map((s) => s.cutPts), [undefined, undefined, undefined, undefined]);
    assert.deepEqual(framesPerShard(plan, input.fps), [75, 75, 75, 25]);
    // The keyframe at each cut, less the margin: never after the cut, never more than the margin before it.
    plan.shards.slice(1).forEach((s, i) => {
      const cut = cutSeconds(plan)[i + 1];
      assert.ok(s.seekSeconds !== undefined && s.seekSeconds <= cut && s.seekSeconds >= cut - input.seekMargin - 0.001, `shard ${i + 2} seeks to ${s.seekSeconds}`);
    });
  });

  it('aims an indexed seek just after the keyframe itself, with no margin before it', () => {
    const input = { ...sourceOf({ fps: 25, frames: 250, keyframes: every(25, 250), segmentSeconds: 3 }), copySplit: false, indexedSeek: true };
    const plan = planShards(input);
    assert.deepEqual(plan.shards.map((s) => s.seekSeconds), [undefined, 3.001, 6.001, 9.001]);
  });

  it('cuts on clean keyframes only: an open-GOP keyframe needs the shard before it', () => {
    const input = sourceOf({ fps: 25, frames: 250, keyframes: every(25, 250), open: [75, 150], segmentSeconds: 3 });
    const plan = planShards(input);
    assert.equal(plan.mode, 'copy');
    // 3 s is open, so the next clean keyframe (4 s) is the cut, then 7 s, one segment later.
    assert.deepEqual(cutSeconds(plan), [0, 4, 7, 10]);
    const shifted = planShards(sourceOf({ fps: 25, frames: 250, keyframes: every(25, 250), open: [75, 175], segmentSeconds: 3 }));
    assert.deepEqual(cutSeconds(shifted), [0, 4, 8, 10], '7 s is open: the next clean one, 8 s');
  });

  it('never copies a source whose packets do not show what a decoder shows', () => {
    const plan = planShards(sourceOf({ fps: 25, frames: 250, keyframes: every(25, 250), copyable: false, segmentSeconds: 2 }));
    assert.equal(plan.mode, 'range');
    assert.deepEqual(cutSeconds(plan), [0, 2, 4, 6, 8, 10]);
  });

  it('folds a sliver at the end into the shard before it', () => {
    // A keyframe at 10.0 would leave a 0.2 s last shard: shorter than a quarter segment, so it joins the one before.
    const plan = planShards(sourceOf({ fps: 25, frames: 255, keyframes: every(25, 255), segmentSeconds: 2 }));
    assert.deepEqual(cutSeconds(plan), [0, 2, 4, 6, 8, 10.2]);
    const kept = planShards(sourceOf({ fps: 25, frames: 265, keyframes: every(25, 265), segmentSeconds: 2 }));
    assert.deepEqual(cutSeconds(kept), [0, 2, 4, 6, 8, 10, 10.6]);
  });

  it('anchors the grid on a late first frame', () => {
    const input = sourceOf({ fps: 60, frames: 360, tbDen: 15360, startPts: 256, keyframes: every(30, 360), segmentSeconds: 2 });
    const plan = planShards(input);
    assert.equal(plan.mode, 'copy');
    assert.deepEqual(plan.shards[0].start, { num: 0, den: 1 });
    assert.equal(plan.shards[0].cutPts, 256);
    assert.deepEqual(framesPerShard(plan, input.fps), [120, 120, 120]);
  });

  it('switches to grid ranges when keyframes are too sparse, seeking only past the first keyframe', () => {
    const input = sourceOf({ fps: 25, frames: 250, segmentSeconds: 2 });
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    assert.deepEqual(cutSeconds(plan), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(framesPerShard(plan, input.fps), [50, 50, 50, 50, 50]);
    assert.ok(plan.shards.every((s) => s.seekSeconds === undefined), 'one keyframe: every shard decodes from the start');
  });

  it('goes to range mode when a single gap between keyframes exceeds two segments', () => {
    assert.equal(planShards(sourceOf({ fps: 25, frames: 250, keyframes: [25, 50, 75, 200, 225], segmentSeconds: 1 })).mode, 'range');
  });

  it('seeks before the keyframe the first frame needs, by the reorder delay and a margin, counted from the container start', () => {
    // Keyframes every 4 s (too sparse for 1 s shards), B-frames 2 frames deep, container starting 0.5 s before the video.
    const input = sourceOf({ fps: 25, frames: 500, startPts: 45000, keyframes: every(100, 500), segmentSeconds: 1, maxReorder: 7200, formatStart: 0 });
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    // Shard 6 starts at grid time 5 s = source 5.5 s; its keyframe is the one at source 4.5 s.
    const shard = plan.shards[5];
    assert.equal(gridSeconds(shard.start), 5);
    assert.ok(Math.abs(shard.seekSeconds! - (4.5 - 0.08 - 1)) < 1e-9, `seek ${shard.seekSeconds}`);
    // Shards before the second keyframe decode from the start.
    assert.equal(plan.shards[2].seekSeconds, undefined);
    // With open GOPs the seek goes one keyframe further back: 0.5 s is the first keyframe, so no seek at all.
    const open = planShards(sourceOf({ fps: 25, frames: 500, startPts: 45000, keyframes: every(100, 500), open: every(100, 500), segmentSeconds: 1, maxReorder: 7200 }));
    assert.equal(open.shards[5].seekSeconds, undefined);
    assert.ok(Math.abs(open.shards[9].seekSeconds! - (4.5 - 0.08 - 1)) < 1e-9, `seek ${open.shards[9].seekSeconds}`);
  });

  it('puts range cuts on the output frame grid and folds a short tail', () => {
    const fps = 30000 / 1001;
    const input = sourceOf({ fps, frames: 82, tbDen: 30000, startPts: 15000, segmentSeconds: 1 });
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    // 82 frames in 30-frame shards: 30 + 30 + 22 (22 is more than a quarter shard, so it stays).
    assert.deepEqual(framesPerShard(plan, input.fps), [30, 30, 22]);
    const shorter = sourceOf({ fps, frames: 66, tbDen: 30000, startPts: 15000, segmentSeconds: 1 });
    assert.deepEqual(framesPerShard(planShards(shorter), shorter.fps), [30, 36]);
  });

  it('names the last frame each shard holds before its end', () => {
    const input = sourceOf({ fps: 25, frames: 100, keyframes: every(25, 100), segmentSeconds: 1 });
    const plan = planShards(input);
    assert.deepEqual(
      plan.shards.map((s) => slotAt(s.lastFrame, input.fps)),
      [24, 49, 74, 99],
    );
  });
});

describe('shardFileOffset', () => {
  it('finds the one shift a muxer applied to a shard file, and refuses anything else', () => {
    assert.equal(shardFileOffset([0, 3003, 6006], [4267, 7270, 10273]), 4267);
    assert.equal(shardFileOffset([6006, 0, 3003], [3003, 0, 6006]), 0, 'decode order does not matter');
    assert.equal(shardFileOffset([0, 3003, 6006], [0, 3003]), undefined, 'a packet is missing');
    assert.equal(shardFileOffset([0, 3003, 6006], [0, 3004, 6006]), undefined, 'one pts moved');
    assert.equal(shardFileOffset([0, 3003], [0, NaN]), undefined, 'a packet without pts');
  });
});

/** mulberry32: a tiny seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RATES = [24000 / 1001, 24, 25, 30000 / 1001, 30, 50, 60000 / 1001, 60];
const TIMEBASES = [90000, 1000, 15360, 30, 1_000_000_000];

/** A plausible source: keyframes regular, irregular, some open, or just one; frames on or up to 0.45 frame off the grid. */
function randomInput(rand: () => number): PlanInput {
  const fps = RATES[Math.floor(rand() * RATES.length)];
  const tbDen = TIMEBASES[Math.floor(rand() * TIMEBASES.length)];
  const frames = 1 + Math.floor(rand() * 3000);
  const step = tbDen / fps;
  const offGrid = rand() < 0.3 ? 0.9 * step : 0;
  const keyframes: number[] = [];
  const style = rand();
  if (style > 0.1) {
    const gop = 1 + Math.floor(rand() * 300);
    for (let f = gop; f < frames; ) {
      keyframes.push(f);
      f += style > 0.5 ? gop : Math.max(1, Math.round(gop * (0.2 + 1.6 * rand())));
    }
  }
  const open = keyframes.filter(() => rand() < 0.2);
  const segmentSeconds = Math.max(0.5, [0.5, 1, 2, 4, 10, 30][Math.floor(rand() * 6)] * (0.5 + rand()));
  return sourceOf({
    fps,
    frames,
    tbDen,
    startPts: rand() < 0.5 ? 0 : Math.floor(rand() * 10 * step),
    keyframes,
    open,
    copyable: rand() > 0.1,
    segmentSeconds,
    maxReorder: Math.floor(rand() * 3) * Math.round(step),
    formatStart: rand() < 0.5 ? 0 : -0.023,
    jitter: () => Math.round((rand() - 0.5) * offGrid),
  });
}

describe('planShards: invariants over random sources', () => {
  it('covers the grid once, with slots that add up to the single pass at any rate, no empty shard and honest cuts and seeks', () => {
    const seed = Number(process.env.SHARD_PLAN_SEED ?? 20240611);
    const rand = prng(seed);
    let ranges = 0;
    let copies = 0;
    for (let n = 0; n < 3000; n++) {
      const input = randomInput(rand);
      const plan = planShards(input);
      const { grid, timeline } = input;
      const where = `seed ${seed} case ${n}: ${timeline.frames.length} frames ${grid.timeBase} ${input.fps.num}/${input.fps.den} seg ${String(input.segmentSeconds)} → ${plan.mode} ${plan.shards.length}`;
      const s = plan.shards;
      assert.deepEqual(s[0].start, { num: 0, den: 1 }, where);
      assert.equal(compareGridTimes(s[s.length - 1].end, gridTime(grid, grid.endPts)), 0, where);
      for (let i = 1; i < s.length; i++) assert.equal(compareGridTimes(s[i].start, s[i - 1].end), 0, `shards must touch: ${where}`);

      for (const rendition of [input.fps, { num: 30, den: 1 }, { num: 12, den: 1 }]) {
        const frames = framesPerShard(plan, rendition);
        assert.equal(frames.reduce((a, b) => a + b, 0), gridFrameCount(grid, rendition), `slots must add up to the single pass: ${where}`);
      }
      assert.ok(framesPerShard(plan, input.fps).every((f) => f >= 1), `no shard may be empty at the source rate: ${where}`);

      const times: GridTime[] | undefined = timeline.frames.length <= 400 ? timeline.frames.map((f) => gridTime(grid, f)) : undefined;
      for (const shard of s) {
        // The last frame before the end is a real frame before the end, and no later frame is.
        assert.ok(compareGridTimes(shard.lastFrame, shard.end) < 0 || shard === s[0], where);
        // The frames decoding must deliver: those from the last frame at the start up to the end (checked by a
        // plain scan on the smaller sources, which is slow on the big ones).
        if (!times) continue;
        const atStart = times.filter((t) => compareGridTimes(t, shard.start) <= 0);
        const from = atStart.length > 0 ? atStart[atStart.length - 1] : times[0];
        assert.deepEqual(shard.firstFrame, from, where);
        const needed = times.filter((t) => compareGridTimes(t, from) >= 0 && compareGridTimes(t, shard.end) < 0);
        assert.equal(shard.frames, needed.length, `frames to decode: ${where}`);
      }
      if (plan.mode === 'copy') {
        copies++;
        const clean = new Set(timeline.cleanCuts);
        for (const shard of s.slice(1)) assert.ok(clean.has(shard.cutPts!), `copy cuts must be clean keyframes: ${where}`);
        assert.ok(timeline.copyable, where);
      } else {
        ranges++;
        for (const shard of s) {
          if (shard.seekSeconds === undefined || !times) continue;
          // Seeking lands on a keyframe at or before that time; it must be at or before the frame the first slot shows.
          const seekPts = (shard.seekSeconds + input.formatStart) * Number(grid.timeBase.split('/')[1]);
          const startSlot = shardSlots(shard, input.fps).startSlot;
          const shown = timeline.frames.filter((_, i) => slotAt(times[i], input.fps) <= startSlot);
          assert.ok(seekPts < shown[shown.length - 1], `seek after the first frame needed: ${where}`);
        }
      }
    }
    assert.ok(copies > 300 && ranges > 300, `copies ${copies}, ranges ${ranges}`);
  });
});
