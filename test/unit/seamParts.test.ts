// How a rendition's seams are split over verify tasks, and when they are not.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MAX_SEAM_TASKS, MIN_SEAMS_PER_TASK, seamParts } from '../../src/core/job/seamParts';

/** Every seam index from 0 to seams - 1 once, in order. */
function covered(parts: { first: number; count: number }[]): number[] {
  return parts.flatMap((p) => Array.from({ length: p.count }, (_, i) => p.first + i));
}

/** Shards of `shardSeconds` from a source with a keyframe every `gop` seconds. */
const parts = (shards: number, shardSeconds = 10, gop = 2) => seamParts(shards, shards * shardSeconds, (shards * shardSeconds) / gop);

it('keeps a job of few seams in one task, and none without seams', () => {
  assert.deepEqual(parts(1), []);
  assert.deepEqual(parts(2), [{ first: 0, count: 1 }]);
  assert.deepEqual(parts(MIN_SEAMS_PER_TASK + 1), [{ first: 0, count: MIN_SEAMS_PER_TASK }]);
});

it('keeps seams in one task where one pass from the start beats seeking to each, which every part would repeat', () => {
  // 2 s shards of 2 s GOPs: a GOP and the seek margin per seam cost more than the shard between seams.
  assert.deepEqual(parts(1800, 2, 2), [{ first: 0, count: 1799 }]);
  // One keyframe in the whole source.
  assert.deepEqual(seamParts(100, 1000, 1), [{ first: 0, count: 99 }]);
});

it('splits more seams into tasks of at least the minimum, covering each seam once', () => {
  assert.deepEqual(parts(20), [{ first: 0, count: 16 }, { first: 16, count: 3 }]);
  for (const seams of [17, 59, 511, 512, 513, 2499, 19_999]) {
    const split = parts(seams + 1);
    assert.deepEqual(covered(split), Array.from({ length: seams }, (_, i) => i), `${seams} seams`);
    assert.ok(split.length > 1 && split.length <= MAX_SEAM_TASKS, `${seams} seams: ${split.length} tasks`);
    assert.ok(split.slice(0, -1).every((p) => p.count >= MIN_SEAMS_PER_TASK && p.count === split[0].count), `${seams} seams: equal parts but the last`);
  }
});
