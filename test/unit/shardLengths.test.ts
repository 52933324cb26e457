// The default shard lengths for the slots a job can use: capacityShardLengths (copy splits), evenShardFrames and streamSegmentsPerShard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capacityShardLengths, evenShardFrames, keyframeSnapSeconds, MAX_SHARD_SECONDS, MIN_SHARD_SECONDS, READ_KEYFRAMES_PER_SHARD, streamSegmentsPerShard } from '../../src/core/media/shardLengths';

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Finish time of list scheduling, longest first, with work proportional to length. */
function makespan(lengths: number[], slots: number): number {
  const free = new Array<number>(slots).fill(0);
  for (const len of [...lengths].sort((a, b) => b - a)) {
    free.sort((a, b) => a - b);
    free[0] += len;
  }
  return Math.max(...free);
}

describe('capacityShardLengths', () => {
  it('cuts a clip of a few shards for every slot, so no core sits out', () => {
    const ten = capacityShardLengths({ durationSeconds: 10, slots: 2, keyframeSeconds: 2 });
    assert.equal(ten.length, 2);
    assert.equal(sum(ten), 10);
  });

  it('keeps a clip too short for two minimum shards whole', () => {
    assert.deepEqual(capacityShardLengths({ durationSeconds: 6, slots: 8 }), [6]);
    assert.deepEqual(capacityShardLengths({ durationSeconds: 0, slots: 2 }), []);
  });

  it('plans longest first and shrinks toward the end, never under the floor', () => {
    const lengths = capacityShardLengths({ durationSeconds: 60, slots: 2, keyframeSeconds: 2 });
    assert.equal(sum(lengths), 60);
    assert.ok(lengths[0] >= Math.max(...lengths.slice(1)), `first shard is the longest: ${lengths}`);
    assert.ok(lengths.every((x) => x >= MIN_SHARD_SECONDS), `${lengths}`);
    assert.ok(lengths.length >= 4, `enough shards to balance the tail: ${lengths}`);
  });

  it('keeps every slot busy to the end: the tail is at most one short shard', () => {
    for (const [duration, slots] of [[60, 2], [300, 4], [3600, 10], [3600, 100], [600, 7]]) {
      const lengths = capacityShardLengths({ durationSeconds: duration, slots, keyframeSeconds: 2 });
      assert.ok(Math.abs(sum(lengths) - duration) < 1e-9);
      const ideal = duration / slots;
      const floor = Math.min(...lengths);
      assert.ok(makespan(lengths, slots) <= ideal + floor + 1e-9, `${duration} s on ${slots} slots: ${makespan(lengths, slots)} vs ideal ${ideal}`);
    }
  });

  it('never makes shards shorter than the floor, even for many slots', () => {
    const lengths = capacityShardLengths({ durationSeconds: 3600, slots: 1000, keyframeSeconds: 2 });
    assert.ok(lengths.every((x) => x >= MIN_SHARD_SECONDS));
    assert.equal(sum(lengths), 3600);
    assert.ok(lengths.length <= 3600 / MIN_SHARD_SECONDS);
  });

  it('bounds the shards per slot for a long source on few slots', () => {
    const lengths = capacityShardLengths({ durationSeconds: 3600, slots: 1 });
    assert.ok(lengths.length <= 6, `${lengths}`);
    assert.equal(sum(lengths), 3600);
  });
});

describe('streamSegmentsPerShard', () => {
  it('gives each of two slots one shard of a 60 s source in 4 s segments, not five shards in three rounds', () => {
    // 3 segments a shard (the old default) made 5 shards: the fifth ran alone while the other slot idled.
    assert.equal(streamSegmentsPerShard({ segments: 15, segmentSeconds: 4, slots: 2 }), 8);
  });

  it('keeps 3 segments a shard for the 20 s sample on two slots: two rounds either way, fewer shards', () => {
    assert.equal(streamSegmentsPerShard({ segments: 5, segmentSeconds: 4, slots: 2 }), 3);
  });

  it('splits 60 s of 2 s segments into two equal shards on two slots', () => {
    assert.equal(streamSegmentsPerShard({ segments: 30, segmentSeconds: 2, slots: 2 }), 15);
  });

  it('fills four slots with four shards of a 60 s source', () => {
    assert.equal(streamSegmentsPerShard({ segments: 15, segmentSeconds: 4, slots: 4 }), 4);
  });

  it(`never plans a shard over ${MAX_SHARD_SECONDS} s, so a long source keeps many shards`, () => {
    for (const slots of [1, 2, 8]) {
      for (const segmentSeconds of [2, 4, 6]) {
        const perShard = streamSegmentsPerShard({ segments: 1800, segmentSeconds, slots });
        assert.ok(Number.isInteger(perShard) && perShard >= 1, `${slots} slots, ${segmentSeconds} s: ${perShard}`);
        assert.ok(perShard * segmentSeconds <= MAX_SHARD_SECONDS, `${slots} slots, ${segmentSeconds} s segments: ${perShard} a shard`);
      }
    }
  });

  it('plans one shard for a source of one segment', () => {
    assert.equal(streamSegmentsPerShard({ segments: 1, segmentSeconds: 4, slots: 2 }), 1);
  });
});

describe('evenShardFrames', () => {
  /** Shard lengths in frames, as the plan cuts them: equal runs, the last the rest. */
  const cut = (frames: number, perShard: number): number[] => {
    const out: number[] = [];
    for (let left = frames; left > 0; left -= perShard) out.push(Math.min(perShard, left));
    return out;
  };

  it('gives each of two slots one half of a 10 s, 30 s or 60 s clip', () => {
    for (const seconds of [10, 30, 60]) {
      assert.deepEqual(cut(seconds * 30, evenShardFrames({ frames: seconds * 30, fps: 30, slots: 2 })), [seconds * 15, seconds * 15], `${seconds} s`);
    }
  });

  it('cuts an odd frame count into shards one frame apart', () => {
    assert.deepEqual(cut(901, evenShardFrames({ frames: 901, fps: 30, slots: 2 })), [451, 450]);
  });

  it('keeps a clip under two minimum shards whole', () => {
    assert.deepEqual(cut(7 * 25, evenShardFrames({ frames: 7 * 25, fps: 25, slots: 4 })), [175]);
  });

  it(`never plans a shard under ${MIN_SHARD_SECONDS} s or over ${MAX_SHARD_SECONDS} s, and keeps the shard count a multiple of the slots where it can`, () => {
    for (const slots of [1, 2, 3, 8, 100]) {
      for (const seconds of [9, 40, 61, 600, 3600]) {
        const frames = seconds * 30;
        const shards = cut(frames, evenShardFrames({ frames, fps: 30, slots }));
        assert.ok(shards.every((f) => f <= MAX_SHARD_SECONDS * 30), `${slots} slots, ${seconds} s: ${shards[0]} frames`);
        assert.ok(shards.slice(0, -1).every((f) => f >= MIN_SHARD_SECONDS * 30), `${slots} slots, ${seconds} s: ${shards[0]} frames`);
        // Equal to a frame of each other but for the last, which is never a sliver.
        assert.ok(shards[shards.length - 1] >= shards[0] / 2 || shards.length === 1, `${slots} slots, ${seconds} s: last ${shards[shards.length - 1]} of ${shards[0]}`);
      }
    }
    // Enough work for every slot in whole rounds: 100 slots and an hour give 200 shards of 18 s.
    assert.equal(cut(108000, evenShardFrames({ frames: 108000, fps: 30, slots: 100 })).length, 200);
  });

  it(`reading by range, makes shards at least ${READ_KEYFRAMES_PER_SHARD} keyframe intervals long, so a keyframe is always within a tenth of one`, () => {
    // 40 s on 8 slots: 8 shards of 5 s locally; with 2 s GOPs, 4 of 10 s.
    assert.deepEqual(cut(1200, evenShardFrames({ frames: 1200, fps: 30, slots: 8 })), new Array(8).fill(150));
    const byRange = evenShardFrames({ frames: 1200, fps: 30, slots: 8, keyframeSeconds: 2 });
    assert.deepEqual(cut(1200, byRange), new Array(4).fill(300));
    assert.ok(keyframeSnapSeconds(byRange / 30) >= 2 / 2, 'half a GOP is within the snap distance');
    // Sparse keyframes never make shards longer than the maximum.
    assert.ok(evenShardFrames({ frames: 36000, fps: 30, slots: 8, keyframeSeconds: 20 }) <= MAX_SHARD_SECONDS * 30);
  });
});
