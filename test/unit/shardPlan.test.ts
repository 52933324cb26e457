// planShards decides where a video is cut. Hand-picked cases pin the rules;
// a seeded random sweep checks the invariants the merge relies on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { framesBetween, planShards, type PlanInput, type ShardPlan } from '../../src/core/media/shardPlan';

/** Keyframes every `gop` seconds from `start` up to (not including) `end`. */
function regularKeyframes(start: number, end: number, gop: number): number[] {
  const out: number[] = [];
  for (let i = 0; start + i * gop < end - 1e-9; i++) out.push(start + i * gop);
  return out;
}

function shardFrames(plan: ShardPlan, input: PlanInput): number[] {
  return plan.boundaries.slice(1).map((b, i) => framesBetween(input.startTime, plan.boundaries[i], b, input.fps));
}

describe('framesBetween', () => {
  it('counts output frames on the grid anchored at the start', () => {
    assert.equal(framesBetween(0, 0, 2, 25), 50);
    assert.equal(framesBetween(10, 10, 12, 25), 50);
    assert.equal(framesBetween(0.033, 0.033, 1.033, 60), 60);
    // A cut half a frame off the grid still gives whole frames on each side, and they add up.
    assert.equal(framesBetween(0, 0, 1.01, 25) + framesBetween(0, 1.01, 2, 25), 50);
  });
});

describe('planShards: hand-picked cases', () => {
  it('keeps a clip no longer than one segment whole', () => {
    const plan = planShards({ keyframes: [0], startTime: 0, endTime: 2, fps: 25, segmentSeconds: 2 });
    assert.deepEqual(plan, { mode: 'copy', boundaries: [0, 2] });
  });

  it('cuts at the first keyframe at least one segment after the previous cut', () => {
    const keyframes = regularKeyframes(0, 10, 1);
    const plan = planShards({ keyframes, startTime: 0, endTime: 10, fps: 25, segmentSeconds: 3 });
    assert.deepEqual(plan, { mode: 'copy', boundaries: [0, 3, 6, 9, 10] });
  });

  it('cuts on keyframes only, even when they are irregular', () => {
    const keyframes = [0, 0.7, 2.3, 2.9, 4.5, 6.6, 7.0, 8.8];
    const plan = planShards({ keyframes, startTime: 0, endTime: 10, fps: 30, segmentSeconds: 2 });
    assert.equal(plan.mode, 'copy');
    // 0.7 and 2.9 come too soon after a cut; 4.5 is 2.2 s after 2.3, so it is the next cut.
    assert.deepEqual(plan.boundaries, [0, 2.3, 4.5, 6.6, 8.8, 10]);
  });

  it('folds a sliver at the end into the shard before it', () => {
    // A keyframe at 10.0 would leave a 0.2 s last shard: shorter than a quarter segment, so it joins the one before.
    const plan = planShards({ keyframes: regularKeyframes(0, 10.2, 1), startTime: 0, endTime: 10.2, fps: 25, segmentSeconds: 2 });
    assert.deepEqual(plan, { mode: 'copy', boundaries: [0, 2, 4, 6, 8, 10.2] });
    // But a last shard of a quarter segment or more stays.
    const kept = planShards({ keyframes: regularKeyframes(0, 10.6, 1), startTime: 0, endTime: 10.6, fps: 25, segmentSeconds: 2 });
    assert.deepEqual(kept.boundaries, [0, 2, 4, 6, 8, 10, 10.6]);
  });

  it('never cuts within half a frame of the end', () => {
    const plan = planShards({ keyframes: [0, 2, 3.99], startTime: 0, endTime: 4, fps: 25, segmentSeconds: 2 });
    assert.deepEqual(plan.boundaries, [0, 2, 4]);
  });

  it('anchors on a late start time', () => {
    const start = 0.033333;
    const plan = planShards({ keyframes: regularKeyframes(start, 6 + start, 0.5), startTime: start, endTime: 6 + start, fps: 60, segmentSeconds: 2 });
    assert.equal(plan.mode, 'copy');
    assert.equal(plan.boundaries[0], start);
    assert.deepEqual(shardFrames(plan, { keyframes: [], startTime: start, endTime: 6 + start, fps: 60, segmentSeconds: 2 }), [120, 120, 120]);
  });

  it('switches to frame-accurate ranges when keyframes are too sparse to copy-split', () => {
    // One keyframe in 10 s: a copy split would give one 10 s shard.
    const input = { keyframes: [0], startTime: 0, endTime: 10, fps: 25, segmentSeconds: 2 };
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    assert.deepEqual(plan.boundaries, [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(shardFrames(plan, input), [50, 50, 50, 50, 50]);
  });

  it('goes to range mode when a single gap between keyframes exceeds two segments', () => {
    const keyframes = [0, 1, 2, 3, 8, 9];
    const plan = planShards({ keyframes, startTime: 0, endTime: 10, fps: 25, segmentSeconds: 1 });
    assert.equal(plan.mode, 'range');
  });

  it('puts range cuts on the output frame grid and folds a short tail', () => {
    const start = 0.5;
    const fps = 30000 / 1001;
    const input = { keyframes: [start], startTime: start, endTime: start + 82 / fps, fps, segmentSeconds: 1 };
    const plan = planShards(input);
    assert.equal(plan.mode, 'range');
    for (const b of plan.boundaries.slice(1, -1)) {
      const f = (b - start) * fps;
      assert.ok(Math.abs(f - Math.round(f)) < 1e-6, `cut ${b} is off the frame grid`);
    }
    // 82 frames in 30-frame shards: 30 + 30 + 22 (22 is more than a quarter shard, so it stays).
    assert.deepEqual(shardFrames(plan, input), [30, 30, 22]);
    // 66 frames: the 6-frame tail is a sliver and joins the last shard.
    const shorter = { ...input, endTime: start + 66 / fps };
    assert.deepEqual(shardFrames(planShards(shorter), shorter), [30, 36]);
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

/**
 * A plausible source: keyframes every GOP (regular, irregular, or just one), on the output frame grid or, as
 * in VFR phone clips and 24 fps content in a 1/30 timebase, up to 0.45 frame off it.
 */
function randomInput(rand: () => number): PlanInput {
  const fps = RATES[Math.floor(rand() * RATES.length)];
  const frames = 1 + Math.floor(rand() * 3000);
  const offGrid = rand() < 0.3 ? 0.9 / fps : 0;
  const jitter = (): number => (rand() - 0.5) * offGrid;
  const startTime = rand() < 0.5 ? 0 : Math.floor(rand() * 10) / fps + rand() * 1e-4;
  const endTime = startTime + frames / fps + jitter();
  const segmentSeconds = [0.5, 1, 2, 4, 10, 30][Math.floor(rand() * 6)] * (0.5 + rand());
  const keyframes: number[] = [startTime];
  const style = rand();
  if (style > 0.1) {
    const gop = 1 + Math.floor(rand() * 300);
    for (let f = gop; f < frames; ) {
      keyframes.push(startTime + f / fps + jitter());
      f += style > 0.5 ? gop : Math.max(1, Math.round(gop * (0.2 + 1.6 * rand())));
    }
  }
  return { keyframes, startTime, endTime, fps, segmentSeconds: Math.max(0.5, segmentSeconds) };
}

describe('planShards: invariants over random sources', () => {
  it('always covers the whole video once, with frame counts that add up, no empty shard and cuts it can honour', () => {
    const seed = Number(process.env.SHARD_PLAN_SEED ?? 20240611);
    const rand = prng(seed);
    let ranges = 0;
    let copies = 0;
    for (let n = 0; n < 5000; n++) {
      const input = randomInput(rand);
      const plan = planShards(input);
      const where = `seed ${seed} case ${n}: ${JSON.stringify({ ...input, keyframes: input.keyframes.length > 8 ? `${input.keyframes.length} keyframes` : input.keyframes })} → ${plan.mode} ${JSON.stringify(plan.boundaries)}`;
      const b = plan.boundaries;
      const total = framesBetween(input.startTime, input.startTime, input.endTime, input.fps);

      assert.equal(b[0], input.startTime, where);
      assert.equal(b[b.length - 1], input.endTime, where);
      for (let i = 1; i < b.length; i++) assert.ok(b[i] > b[i - 1], `boundaries must increase: ${where}`);

      const frames = shardFrames(plan, input);
      assert.equal(frames.reduce((s, f) => s + f, 0), total, `shard frames must add up to the whole: ${where}`);
      assert.ok(frames.every((f) => f >= 1), `no shard may be empty (${frames}): ${where}`);

      if (plan.mode === 'copy') {
        copies++;
        const keys = new Set(input.keyframes);
        for (const cut of b.slice(1, -1)) assert.ok(keys.has(cut), `copy cuts must be keyframes: ${where}`);
        const frame = 1 / input.fps;
        for (let i = 1; i < b.length; i++) {
          assert.ok(b[i] - b[i - 1] <= 2 * input.segmentSeconds + frame + 1e-9, `copy shards stay under two segments: ${where}`);
        }
      } else {
        ranges++;
        const per = Math.max(1, Math.round(input.segmentSeconds * input.fps));
        for (const cut of b.slice(1, -1)) {
          const f = (cut - input.startTime) * input.fps;
          assert.ok(Math.abs(f - Math.round(f)) < 1e-6, `range cuts sit on the frame grid: ${where}`);
        }
        // Every shard but the last is exactly one segment of frames; the last is no sliver and no double.
        assert.ok(frames.slice(0, -1).every((f) => f === per), `range shards are one segment each (${frames}): ${where}`);
        const last = frames[frames.length - 1];
        assert.ok(frames.length === 1 || (last >= per / 4 && last < per + per / 4 + 1), `last range shard ${last} of ${per}: ${where}`);
      }
    }
    // The sweep must exercise both modes to mean anything.
    assert.ok(copies > 500 && ranges > 500, `copies ${copies}, ranges ${ranges}`);
  });
});
