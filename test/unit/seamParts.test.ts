// How a rendition's seams are split over verify tasks.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MAX_SEAM_TASKS, MIN_SEAMS_PER_TASK, seamParts } from '../../src/core/job/seamParts';

/** Every seam index from 0 to seams - 1 once, in order. */
function covered(parts: { first: number; count: number }[]): number[] {
  return parts.flatMap((p) => Array.from({ length: p.count }, (_, i) => p.first + i));
}

it('keeps a job of few seams in one task, and none without seams', () => {
  assert.deepEqual(seamParts(0), []);
  assert.deepEqual(seamParts(1), [{ first: 0, count: 1 }]);
  assert.deepEqual(seamParts(MIN_SEAMS_PER_TASK), [{ first: 0, count: MIN_SEAMS_PER_TASK }]);
});

it('splits more seams into tasks of at least the minimum, covering each seam once', () => {
  assert.deepEqual(seamParts(19), [{ first: 0, count: 16 }, { first: 16, count: 3 }]);
  for (const seams of [17, 59, 511, 512, 513, 2499, 19_999]) {
    const parts = seamParts(seams);
    assert.deepEqual(covered(parts), Array.from({ length: seams }, (_, i) => i), `${seams} seams`);
    assert.ok(parts.length <= MAX_SEAM_TASKS, `${seams} seams: ${parts.length} tasks`);
    assert.ok(parts.slice(0, -1).every((p) => p.count >= MIN_SEAMS_PER_TASK && p.count === parts[0].count), `${seams} seams: equal parts but the last`);
  }
});
