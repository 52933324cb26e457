import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inLanes } from '../../src/media/inLanes';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe('inLanes', () => {
  it('runs every job at most `lanes` at a time and returns the results in index order', async () => {
    let running = 0;
    let most = 0;
    const results = await inLanes(7, 3, async (i) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, (7 - i) * 2));
      running--;
      return i * 10;
    });
    assert.deepEqual(results, [0, 10, 20, 30, 40, 50, 60]);
    assert.equal(most, 3);
  });

  it('starts no job after one failed, and lets the running ones settle before throwing', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    await assert.rejects(
      inLanes(10, 2, async (i) => {
        started.push(i);
        // Job 1 runs long; job 0 ends at once and its lane takes job 2, which fails.
        for (let t = 0; t < (i === 1 ? 10 : 1); t++) await tick();
        if (i === 2) throw new Error('window 3 failed');
        settled.push(i);
        return i;
      }),
      /window 3 failed/,
    );
    // Job 1 was still running when job 2 failed: it ends, and its lane takes no job 3.
    assert.deepEqual(started, [0, 1, 2]);
    assert.deepEqual(settled.sort(), [0, 1]);
  });
});
