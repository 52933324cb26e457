// A rendition's audio encode that fails for good (the `audio` failpoint) does
// not fail the job: the shards finish, the job awaits repair listing the audio
// encode, and `shardflow retry` re-runs it alone, for MP4 and streaming jobs.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { retryShardsUpdate } from '../../src/core/names';
import { rootMessage } from '../../src/core/failureMessage';
import { makeClip } from '../support/clips';
import { cliRunner } from '../support/cliRunner';
import { audioOf, probeFile, videoOf } from '../support/ffprobe';
import { activityRuns } from '../support/history';
import { suiteEnvWithFailpoints, waitForPhase } from '../support/jobWaits';
import { joinedTrack } from '../support/streamTrack';

describe('repairing a failed audio encode', () => {
  const suiteEnv = suiteEnvWithFailpoints();

  it('MP4: the job awaits repair listing the audio, retry re-runs it alone and the output has its audio', { timeout: 240_000 }, async () => {
    const env = suiteEnv();
    const cli = cliRunner(env);
    const source = makeClip({ seconds: 4, fps: 25, gop: 25, audio: true });
    process.env.SHARDFLOW_FAILPOINTS = 'audio:rendition=mp4-360p';
    const output = path.join(env.dir, 'mp4-out');
    const handle = await env.start({ source: `file://${source}`, output: `file://${output}/`, renditions: ['mp4-360p'], segmentSeconds: 2 });

    const waiting = await waitForPhase(handle, 'awaiting-repair');
    assert.equal(waiting.failedShards?.length, 1);
    const failed = waiting.failedShards![0];
    assert.equal(failed.audio, true);
    assert.equal(failed.rendition, 'mp4-360p');
    assert.equal(failed.attempts, 5);
    assert.match(failed.error, /injected fault/);
    assert.equal(failed.workflowId, handle.workflowId);
    assert.deepEqual(waiting.renditions['mp4-360p'], { total: 2, done: 2, failed: 0 }, 'the shards finished');

    const status = await cli(['status', handle.workflowId]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /audio · mp4-360p: 5 attempt\(s\), last error: injected fault/);
    const wrongShard = await cli(['retry', handle.workflowId, '--shard', '1']);
    assert.equal(wrongShard.code, 5, wrongShard.stderr);
    assert.match(wrongShard.stderr, /shard 1 has not failed/);

    delete process.env.SHARDFLOW_FAILPOINTS;
    const retried = await cli(['retry', handle.workflowId, '--json']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.deepEqual(JSON.parse(retried.stdout).accepted, [{ shard: 0, rendition: 'mp4-360p', audio: true }]);
    await handle.result();

    const file = path.join(output, 'mp4-360p.mp4');
    assert.equal(videoOf(file).frames, 100);
    const audio = audioOf(file);
    assert.equal(audio?.codec, 'aac');
    assert.ok(Math.abs(audio!.duration - 4) < 0.1, `audio lasts the clip's 4 s (${audio!.duration})`);
    const audioRuns = await activityRuns(env.client, [handle.workflowId], 'encodeAudio');
    assert.deepEqual([...audioRuns.values()].sort(), [1, 5], 'five failed attempts, then one repair run');
    const shardRuns = await activityRuns(env.client, [`${handle.workflowId}.shards-0`], 'encodeShard');
    assert.deepEqual([...shardRuns.values()], [1, 1], 'no shard encoded again');
  });

  it('streaming: the audio group awaits repair; retry of its rendition publishes every segment', { timeout: 240_000 }, async () => {
    const env = suiteEnv();
    const source = makeClip({ seconds: 4, fps: 25, gop: 25, audio: true });
    process.env.SHARDFLOW_FAILPOINTS = 'audio';
    const output = path.join(env.dir, 'stream-out');
    const handle = await env.start({ source: `file://${source}`, output: `file://${output}/`, package: 'hls', ladder: [240], streamSegmentSeconds: 2, segmentSeconds: 2 });

    const waiting = await waitForPhase(handle, 'awaiting-repair');
    assert.deepEqual(
      waiting.failedShards?.map((f) => ({ audio: f.audio, rendition: f.rendition, attempts: f.attempts })),
      [{ audio: true, rendition: 'audio', attempts: 5 }],
    );
    await assert.rejects(handle.executeUpdate(retryShardsUpdate, { args: [{ rendition: '240p' }] }), (err: unknown) => /rendition 240p has no failed shards/.test(rootMessage(err)));

    delete process.env.SHARDFLOW_FAILPOINTS;
    const accepted = await handle.executeUpdate(retryShardsUpdate, { args: [{ rendition: 'audio' }] });
    assert.deepEqual(accepted.accepted, [{ shard: 0, rendition: 'audio', audio: true }]);
    await handle.result();

    const track = probeFile(joinedTrack(path.join(output, 'audio'), path.join(env.dir, 'audio-track.mp4')));
    const audio = track.streams.find((s) => s.type === 'audio');
    assert.equal(audio?.codec, 'aac');
    assert.ok(Math.abs(track.duration - 4) < 0.1, `the audio group lasts the clip's 4 s (${track.duration})`);
    assert.equal(videoOf(joinedTrack(path.join(output, '240p'), path.join(env.dir, 'video-track.mp4'))).frames, 100);
    const audioRuns = await activityRuns(env.client, [handle.workflowId], 'encodeAudio');
    assert.deepEqual([...audioRuns.values()].sort(), [1, 5]);
  });
});
