// The whole job on generated clips: shards × renditions through the real dev
// server and ffmpeg, outputs checked with ffprobe against a single-pass encode.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { makeClip } from '../support/clips';
import { audioOf, videoOf } from '../support/ffprobe';

function singlePassFrames(source: string, height: number, dir: string): number {
  const out = path.join(dir, `single-${height}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', source, '-vf', `scale=-2:${height}`, '-c:v', 'libx264', '-preset', 'veryfast', '-an', out]);
  return videoOf(out).frames!;
}

describe('transcodeVideo on generated clips', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  it('splits at keyframes, encodes shards × renditions, merges and publishes with a manifest', async () => {
    const source = makeClip({ seconds: 8, fps: 25, gop: 25, width: 640, height: 360 });
    const output = `file://${env.dir}/out/`;
    const result = await env.run({ source: `file://${source}`, output, renditions: ['mp4-360p', 'webm-720p'], segmentSeconds: 2 });

    assert.equal(result.shards, 4);
    const outDir = path.join(env.dir, 'out');
    assert.deepEqual(readdirSync(outDir).sort(), ['manifest.json', 'mp4-360p.mp4', 'webm-720p.webm']);
    const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.shards, 4);
    // Cut at the keyframes; an MP4 is read in place by seeking, not copy-split.
    assert.equal(manifest.splitMode, 'range');
    assert.deepEqual(manifest.renditions.map((r: { name: string }) => r.name), ['mp4-360p', 'webm-720p']);

    const single = singlePassFrames(source, 360, env.dir);
    assert.equal(single, 200);
    for (const [file, codec, acodec] of [['mp4-360p.mp4', 'h264', 'aac'], ['webm-720p.webm', 'vp9', 'opus']] as const) {
      const v = videoOf(path.join(outDir, file));
      assert.equal(v.codec, codec);
      assert.equal(v.frames, single, `${file} frame count`);
      assert.equal(v.height, 360, `${file} is never upscaled`);
      assert.ok(Math.abs(v.duration - 8) <= 1 / 25 + 0.002, `${file} video lasts ${v.duration}`);
      const a = audioOf(path.join(outDir, file));
      assert.equal(a?.codec, acodec);
      assert.ok(Math.abs(a!.duration - 8) < 0.05, `${file} audio lasts ${a!.duration}`);
    }
    // The work area is gone once the job is done.
    assert.equal(existsSync(path.join(env.dir, 'work', result.jobId)), false);
  });

  it('without segmentSeconds, cuts a short clip so every media slot gets a shard, and keeps every frame', async () => {
    const source = makeClip({ seconds: 12, fps: 25, gop: 25, width: 320, height: 240 });
    const result = await env.run({ source: `file://${source}`, output: `file://${env.dir}/auto/`, renditions: ['mp4-360p'] });
    // One 12 s shard would leave the second slot idle; the capacity planner makes no shard under 4 s.
    assert.ok(result.shards >= 2 && result.shards <= 3, `${result.shards} shards`);
    const manifest = JSON.parse(readFileSync(path.join(env.dir, 'auto', 'manifest.json'), 'utf8'));
    assert.equal(manifest.segmentSeconds, undefined, 'lengths came from the media slots');
    assert.equal(videoOf(path.join(env.dir, 'auto', 'mp4-360p.mp4')).frames, 300);
  });
});
