// verifyRendition looks at the frames around every shard cut and at the
// output's frame rate. A clip whose every frame differs strongly from the next
// (moving stripes, turning colour) and has one keyframe, so shards are encoded
// by frame range: an honest job passes; a job whose second shard starts one
// frame late (same frame count, same duration: only the pictures are wrong)
// fails verification, for good, and publishes nothing; so does a job encoded at
// a container timebase taken for a frame rate. A 20-shard job has more seams
// than one task compares: the second part's verifySeams task catches a late
// shard there. Real dev server, real ffmpeg; the faults are injected by
// wrapping the real activities.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStageActivities } from '../../src/activities';
import type { WorkflowHandle } from '@temporalio/client';
import type { EncodeShardInput, ProbeInput, VerifyInput, VerifySeamsInput } from '../../src/core/contracts';
import { ErrorType } from '../../src/core/errors';
import { Stores } from '../../src/storage/stores';
import { innermostApplicationFailure } from '../support/failures';
import { probeFile } from '../support/ffprobe';
import { activityInputs } from '../support/history';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { shardSpecAt } from '../../src/activities/shardPlanStore';

const FPS = 25;
const SECONDS = 4;
/** Long enough at 1 s shards for more seams than one verify task compares... */
const LONG_SECONDS = 20;
/** ...with keyframes close enough that each seam is sought alone, which is when verify spreads them. */
const LONG_GOP_FRAMES = 5;

describe('verifyRendition compares the seams with the source and checks the frame rate', () => {
  let env: TestEnv;
  let source: string;
  let longSource: string;
  /** Shard (0-based) whose encode starts one frame late; none when undefined. */
  let lateShard: number | undefined;
  /** Frame rate the probe reports instead of the real one; none when undefined. */
  let fakeRate: string | undefined;

  before(async () => {
    env = await createTestEnv({ noWorkers: true });
    source = path.join(env.dir, 'stripes.mp4');
    const pattern = "geq=lum='128+100*sin((X+N*40)/8)*cos((Y-N*23)/11)':cb='128+60*sin(N*0.9)':cr='128+60*cos(N*1.3)'";
    longSource = path.join(env.dir, 'stripes-long.mp4');
    for (const [file, seconds, gop] of [[source, SECONDS, 1000], [longSource, LONG_SECONDS, LONG_GOP_FRAMES]] as const) {
      execFileSync('ffmpeg', [
        '-v', 'error', '-y', '-f', 'lavfi', '-i', `nullsrc=size=320x240:rate=${FPS}:duration=${seconds},${pattern}`,
        '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-g', String(gop), '-pix_fmt', 'yuv420p', file,
      ]);
    }
    const stores = new Stores(env.config.localStoreRoot, { scratchDir: env.config.scratchDir });
    const real = createStageActivities({ config: env.config, stores });
    await env.startWorkers({
      async encodeShard(input: EncodeShardInput) {
        if (input.index !== lateShard) return real.encodeShard(input);
        // Seeking one frame late keeps the shard's frame count; every picture is its successor's.
        const late = (t: { num: number; den: number }) => ({ num: t.num * FPS + t.den, den: t.den * FPS });
        const shard = await shardSpecAt(stores, input.common.planUrl, input.index, env.config.scratchDir);
        return real.encodeShard({
          ...input,
          shard: { ...shard, start: late(shard.start), end: late(shard.end), lastFrame: late(shard.lastFrame), firstFrame: late(shard.firstFrame) },
        });
      },
      async probeSource(input: ProbeInput) {
        const info = await real.probeSource(input);
        return fakeRate && info.video ? { ...info, video: { ...info.video, frameRate: fakeRate } } : info;
      },
    });
  });

  after(async () => {
    await env?.close();
  });

  async function runJob(name: string, from = source): Promise<{ outDir: string; handle: WorkflowHandle; result?: unknown; error?: unknown }> {
    const outDir = path.join(env.dir, 'out', name);
    const handle = await env.start({ source: `file://${from}`, output: `file://${outDir}/`, renditions: ['mp4-360p'], segmentSeconds: 1 });
    try {
      return { outDir, handle, result: await handle.result() };
    } catch (error) {
      return { outDir, handle, error };
    }
  }

  it('passes an honest job cut into frame-range shards', async () => {
    lateShard = undefined;
    fakeRate = undefined;
    const { outDir, error } = await runJob('honest');
    assert.equal(error, undefined, String(error));
    const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.splitMode, 'range');
    assert.equal(manifest.shards, SECONDS);
    assert.equal(probeFile(path.join(outDir, 'mp4-360p.mp4')).streams[0].frames, FPS * SECONDS);
  });

  it('fails a job whose second shard is one frame late, naming both of its seams, and publishes nothing', async () => {
    lateShard = 1;
    fakeRate = undefined;
    const { outDir, error } = await runJob('late-shard');
    const failure = innermostApplicationFailure(error);
    assert.ok(failure, `expected the job to fail, got ${String(error)}`);
    assert.equal(failure.type, ErrorType.VerifyFailed);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /seam 1 \(frame 25\): frame\(s\) 25-27 show the source frame after their own .*shifted, repeated or missing/);
    assert.match(failure.message, /seam 2 \(frame 50\): frame\(s\) 47-49 show the source frame after their own/);
    assert.doesNotMatch(failure.message, /seam 3/);
    assert.ok(!existsSync(outDir) || readdirSync(outDir).length === 0, 'nothing published');
  });

  it('spreads the seams of a 20-shard job over two verify tasks, each seam compared once', async () => {
    lateShard = undefined;
    fakeRate = undefined;
    const { outDir, handle, error } = await runJob('many-seams', longSource);
    assert.equal(error, undefined, String(error));
    assert.equal(probeFile(path.join(outDir, 'mp4-360p.mp4')).streams[0].frames, FPS * LONG_SECONDS);
    const whole = await activityInputs<VerifyInput>(handle, 'verifyRendition');
    const parts = await activityInputs<VerifySeamsInput>(handle, 'verifySeams');
    assert.deepEqual(whole.map((v) => v.seams?.range), [{ first: 0, count: 16 }]);
    assert.deepEqual(parts.map((v) => [v.seams.range, v.expectedFrames]), [[{ first: 16, count: 3 }, FPS * LONG_SECONDS]]);
  });

  it('fails a job with a late shard among the seams of the second verify task, naming them, and publishes nothing', async () => {
    // The 19th of 20 shards: seams 18 and 19, both past the first task's 16.
    lateShard = 18;
    fakeRate = undefined;
    const { outDir, error } = await runJob('many-seams-late', longSource);
    const failure = innermostApplicationFailure(error);
    assert.ok(failure, `expected the job to fail, got ${String(error)}`);
    assert.equal(failure.type, ErrorType.VerifyFailed);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /^rendition mp4-360p failed verification at seams 17 to 19: seam 18 \(frame 450\): frame\(s\) 450-452 show the source frame after their own/);
    assert.match(failure.message, /seam 19 \(frame 475\): frame\(s\) 472-474 show the source frame after their own/);
    assert.doesNotMatch(failure.message, /seam 17 /);
    assert.ok(!existsSync(outDir) || readdirSync(outDir).length === 0, 'nothing published');
  });

  it('fails a job encoded at a timebase taken for a frame rate', async () => {
    lateShard = undefined;
    fakeRate = '1000/1';
    const { outDir, error } = await runJob('timebase-rate');
    const failure = innermostApplicationFailure(error);
    assert.ok(failure, `expected the job to fail, got ${String(error)}`);
    assert.equal(failure.type, ErrorType.VerifyFailed);
    assert.match(failure.message, /its frame rate 1000\/1 is not a standard rate/);
    assert.ok(!existsSync(outDir) || readdirSync(outDir).length === 0, 'nothing published');
  });
});
