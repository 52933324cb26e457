// Which failed tasks a retry request names: shard numbers name shard tasks
// only, a rendition names its shards and its audio encode, no filter names all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailedShard } from '../../src/core/job/progress';
import { describeFailedShards, failedTaskName, RetryRefused, selectForRetry } from '../../src/core/job/repair';

const base = { attempts: 5, error: 'injected fault', workflowId: 'job-1.shards-0', activityId: 'shard-2.mp4-360p' };
const shard2: FailedShard = { ...base, shard: 2, rendition: 'mp4-360p' };
const audio360: FailedShard = { ...base, shard: 0, rendition: 'mp4-360p', audio: true, workflowId: 'job-1', activityId: '7' };
const audio480: FailedShard = { ...base, shard: 0, rendition: 'mp4-480p', audio: true, workflowId: 'job-1', activityId: '8' };
const failed = [shard2, audio360, audio480];

describe('selecting failed tasks for a retry', () => {
  it('takes every shard and audio encode without a filter', () => {
    assert.deepEqual(selectForRetry(failed, 4, {}), failed);
  });

  it('takes shard tasks only for shard numbers, never an audio encode', () => {
    assert.deepEqual(selectForRetry(failed, 4, { shards: [2] }), [shard2]);
    assert.throws(() => selectForRetry([audio360], 4, { shards: [1] }), (err: unknown) => err instanceof RetryRefused && /shard 1 has not failed/.test(err.message));
  });

  it("takes a rendition's shards and its audio for a rendition", () => {
    assert.deepEqual(selectForRetry(failed, 4, { rendition: 'mp4-360p' }), [shard2, audio360]);
    assert.deepEqual(selectForRetry(failed, 4, { rendition: 'mp4-480p' }), [audio480]);
  });

  it('names audio encodes apart from shards', () => {
    assert.equal(failedTaskName(shard2), 'shard 2 · mp4-360p');
    assert.equal(failedTaskName(shard2, 4), 'shard 2/4 · mp4-360p');
    assert.equal(failedTaskName(audio360, 4), 'audio · mp4-360p');
    assert.equal(describeFailedShards([shard2, audio360], 4), 'shard 2/4 · mp4-360p after 5 attempt(s): injected fault; audio · mp4-360p after 5 attempt(s): injected fault');
  });
});
