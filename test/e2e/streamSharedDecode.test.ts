// A streaming job decodes each shard once for every rung: one encodeShard
// activity per shard (not per shard × rung) in the job's history, and each
// rung's frames what a shard task of that rung alone encodes: the same decoded
// frames, or, for a rung scaled from the rung above, the same pictures. A fault
// in one rung fails the shard's task, every rung of it is listed as failed, and
// a retry of the shard re-runs that one task.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { rungRendition } from '../../src/core/job/streamPackage';
import { encodeShardArgs } from '../../src/media/ffmpegArgs';
import { cliRunner } from '../support/cliRunner';
import { makeClip } from '../support/clips';
import { rescaledFrameProblems } from '../support/frameCompare';
import { activityRuns } from '../support/history';
import { suiteEnvWithFailpoints, waitForPhase } from '../support/jobWaits';
import { joinedTrack } from '../support/streamTrack';

const FPS = 25;
const SEGMENT = 2 * FPS;
const RUNGS = ['240p', '180p', '120p'];

/** The md5 of every decoded frame of a file's video, in order (framemd5 without its timestamps). */
function frameHashes(file: string): string[] {
  const out = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(',').pop()!.trim());
}

describe('streaming: one decode per shard for every rung', () => {
  const suiteEnv = suiteEnvWithFailpoints();

  it('runs one encodeShard per shard for all rungs, and each rung has the frames of a per-rung shard encode', { timeout: 240_000 }, async () => {
    const env = suiteEnv();
    const source = makeClip({ seconds: 6, fps: FPS, gop: SEGMENT, width: 320, height: 240, audio: true });
    const out = path.join(env.dir, 'shared');
    const handle = await env.start({ source: `file://${source}`, output: `file://${out}/`, package: 'hls', ladder: [240, 180, 120], streamSegmentSeconds: 2, segmentSeconds: 2 });
    const result = (await handle.result()) as { shards: number };
    assert.equal(result.shards, 3);

    const runs = await activityRuns(env.client, [`${handle.workflowId}.shards-0`], 'encodeShard');
    assert.deepEqual([...runs.keys()].sort(), [1, 2, 3].map((n) => `shard-${n}.${RUNGS.join('+')}`), 'one activity per shard, covering every rung');
    for (const [id, n] of runs) assert.equal(n, 1, `${id} ran once`);

    // Shard 2 (slots 50-99) of every rung, encoded by the per-rung command a shard task ran before, from the
    // same seek: its decoded frames must be the published segment's, frame for frame.
    for (const rung of RUNGS) {
      const own = path.join(env.dir, 'own', rung);
      mkdirSync(own, { recursive: true });
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-nostdin', ...encodeShardArgs({
        input: source, seekSeconds: SEGMENT / FPS, videoStream: 0, timeBase: '1/12800', originPts: 0, fps: `${FPS}/1`, startSlot: SEGMENT, endSlot: 2 * SEGMENT,
        check: { fromPts: SEGMENT * 512, toPts: 2 * SEGMENT * 512, file: path.join(own, 'decoded.framecrc') },
        geometry: { width: 320, height: 240, rotation: 0 }, rendition: rungRendition(Number.parseInt(rung, 10)), threads: 1, output: own,
        segments: { segmentFrames: SEGMENT, firstNumber: 1 },
      })]);
      const ownTrack = joinedTrack(own, path.join(env.dir, `own-${rung}.mp4`));
      const reference = frameHashes(ownTrack);
      const published = path.join(env.dir, `published-${rung}.mp4`);
      writeFileSync(published, Buffer.concat([readFileSync(path.join(out, rung, 'init.mp4')), readFileSync(path.join(out, rung, 'seg-00001.m4s'))]));
      assert.equal(reference.length, SEGMENT, `${rung}: the reference has the shard's frames`);
      // 240p and 180p are scaled from source-sized pictures, as their own tasks scale them; 120p from 180p.
      if (rung === '120p') assert.deepEqual(rescaledFrameProblems(published, ownTrack, SEGMENT), [], `${rung}: shard 2 frame for frame`);
      else assert.deepEqual(frameHashes(published), reference, `${rung}: shard 2's decoded frames are the per-rung encode's`);
      assert.equal(frameHashes(joinedTrack(path.join(out, rung), path.join(env.dir, `all-${rung}.mp4`))).length, 3 * SEGMENT, `${rung}: every frame`);
    }
  });

  it('lists every rung of a failed shard task, and a retry of the shard re-runs its one task', { timeout: 240_000 }, async () => {
    const env = suiteEnv();
    const cli = cliRunner(env);
    const source = makeClip({ seconds: 6, fps: FPS, gop: SEGMENT, width: 320, height: 240, audio: false });
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=2,rendition=180p';
    const out = path.join(env.dir, 'repaired');
    const handle = await env.start({ source: `file://${source}`, output: `file://${out}/`, package: 'hls', ladder: [240, 180, 120], streamSegmentSeconds: 2, segmentSeconds: 2 });
    const waiting = await waitForPhase(handle, 'awaiting-repair');
    assert.deepEqual(waiting.failedShards?.map((f) => `${f.shard}/${f.rendition}`), ['2/120p', '2/180p', '2/240p'], 'the task failed for all its rungs');
    for (const rung of RUNGS) assert.deepEqual(waiting.renditions[rung], { total: 3, done: 2, failed: 1 }, `${rung} progress`);
    const status = await cli(['status', handle.workflowId]);
    assert.match(status.stdout, /shard 2 · 180p: 5 attempt\(s\), last error: injected fault/);

    delete process.env.SHARDFLOW_FAILPOINTS;
    const retried = await cli(['retry', handle.workflowId, '--shard', '2', '--json']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(JSON.parse(retried.stdout).accepted.length, 3);
    await handle.result();
    const repair = await activityRuns(env.client, [`${handle.workflowId}.repair-1-0`], 'encodeShard');
    assert.deepEqual([...repair.entries()], [[`shard-2.${RUNGS.join('+')}`, 1]], 'the repair ran the shard\'s one task, once');
    for (const rung of RUNGS) {
      const frames = frameHashes(joinedTrack(path.join(out, rung), path.join(env.dir, `repaired-${rung}.mp4`)));
      assert.equal(frames.length, 3 * SEGMENT, `${rung}: every frame after the repair`);
    }
  });
});
