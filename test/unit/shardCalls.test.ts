// How a job's shard tasks become batches and activity calls: file jobs make one
// call per shard × rendition; streaming jobs one call per shard for all its
// rungs (top rung first), and a batch never splits a streaming shard's rungs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RenditionSpec } from '../../src/core/job/rendition';
import { shardActivityId, shardCalls } from '../../src/workflows/shardBatch';
import { allShardTasks, batchEnd } from '../../src/workflows/shardTasks';

const ladder = ['720p', '480p', '360p'];
const tasks = allShardTasks(4, ladder.map((name) => ({ name }) as RenditionSpec));

/** The batches runShardTasks cuts, as [first, end) pairs. */
function batches(size: number, streaming: boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let first = 0; first < tasks.length; ) {
    const end = batchEnd(tasks, first, size, streaming);
    out.push([first, end]);
    first = end;
  }
  return out;
}

describe('shard calls', () => {
  it('makes one call per task in a file job', () => {
    const calls = shardCalls(tasks, false, ladder);
    assert.equal(calls.length, 12);
    assert.equal(shardActivityId(calls[4]), 'shard-2.480p');
  });

  it('makes one call per shard for all its rungs in a streaming job, top rung first whatever order the tasks come in', () => {
    const calls = shardCalls(tasks, true, ladder);
    assert.deepEqual(calls.map(shardActivityId), [1, 2, 3, 4].map((n) => `shard-${n}.720p+480p+360p`));
    const repair = shardCalls([{ shard: 2, rendition: '360p' }, { shard: 2, rendition: '720p' }], true, ladder);
    assert.deepEqual(repair.map(shardActivityId), ['shard-3.720p+360p']);
  });

  it('never splits a streaming shard between batches, and cuts file jobs at the batch size', () => {
    assert.deepEqual(batches(4, false), [[0, 4], [4, 8], [8, 12]]);
    assert.deepEqual(batches(4, true), [[0, 6], [6, 12]]);
    assert.deepEqual(batches(1, true), [[0, 3], [3, 6], [6, 9], [9, 12]]);
  });
});
