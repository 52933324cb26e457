// Frame-exact output on generated clips whose every frame names itself (flat
// grey at its own luma level): each output frame is identified, and the
// sequence must be the one a plain single-pass `setpts=PTS-STARTPTS,fps=F`
// gives on the same source, in copy and range shards alike. Also: a source
// that decodes badly in the middle fails at once, non-retryably, from the
// workflow and from `shardflow transcode --wait --json`; audio keeps at most
// the source's channels.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { rootMessage } from '../../src/core/failureMessage';
import type { RenditionRequest } from '../../src/core/job/jobInput';
import { cliRunner } from '../support/cliRunner';
import { counterClip, frameLevels, frameOf } from '../support/counterClip';
import { probeFile } from '../support/ffprobe';
import { createTestEnv, type TestEnv } from '../support/testEnv';

interface Outcome {
  levels: number[];
  manifest: { splitMode: string; shards: number; sourceInfo: { frameRate: string } };
  file: string;
}

describe('frame-exact shards on self-identifying clips', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ mediaConcurrency: 2 });
  });
  after(async () => {
    await env?.close();
  });

  /** `segmentSeconds` undefined: the lengths the job chooses from the media slots. */
  async function transcode(clip: string, segmentSeconds: number | undefined, rendition: RenditionRequest = 'mp4-360p'): Promise<Outcome> {
    const name = typeof rendition === 'string' ? rendition : rendition.name!;
    const outDir = path.join(env.dir, 'out', `${path.parse(clip).name}-${segmentSeconds ?? 'auto'}-${name}`);
    await env.run({ source: `file://${clip}`, output: `file://${outDir}/`, renditions: [rendition], ...(segmentSeconds !== undefined ? { segmentSeconds } : {}) });
    const file = path.join(outDir, `${name}.mp4`);
    return { levels: frameLevels(file), manifest: JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8')), file };
  }

  /** The frames a single pass shows, straight from ffmpeg's filter graph (no encoder in between). */
  function singlePass(clip: string, fps: string): number[] {
    return frameLevels(clip, `setpts=PTS-STARTPTS,fps=${fps}`).map(frameOf);
  }

  function assertSameFrames(got: number[], want: number[], where: string): void {
    const diff = got.findIndex((f, i) => f !== want[i]);
    assert.ok(diff < 0, `${where}: output frame ${diff} shows source frame ${got[diff]} (mod 55), the single pass shows ${want[diff]}`);
  }

  it('VFR frames land in the same slots as in a single pass, in copy and in range shards (each shard on the job grid)', async () => {
    // Frames up to half a frame off a 30 fps grid, no packet durations; keyframes every 15 frames or just one.
    // MP4 has a keyframe index, so its shards seek into it; MPEG-TS has none and is copy-split.
    const variants = [
      { gop: 15, container: 'mp4', mode: 'range' },
      { gop: 15, container: 'ts', mode: 'copy' },
      { gop: undefined, container: 'mp4', mode: 'range' },
    ] as const;
    for (const { gop, container, mode } of variants) {
      const clip = counterClip(env.dir, `vfr-g${gop ?? 'one'}`, { frames: 150, fps: 30, gop, jitter: true, container });
      const job = await transcode(clip, 0.5);
      assert.equal(job.manifest.splitMode, mode, `${container} gop ${gop ?? 'one'}`);
      assert.ok(job.manifest.shards >= 8, `shards: ${job.manifest.shards}`);
      assert.equal(job.manifest.sourceInfo.frameRate, '30/1');
      const want = singlePass(clip, '30/1');
      const got = job.levels.map(frameOf);
      // No packet durations: ffmpeg 5.1's single pass ends at the last frame's start; we show it for one frame.
      assert.equal(got.length, want.length + 1, 'frames: the single pass plus the last frame');
      assert.equal(got[got.length - 1], frameOf(frameLevels(clip).at(-1)!), 'the extra frame is the last source frame');
      assertSameFrames(got.slice(0, -1), want, `${container} gop ${gop ?? 'one'}`);
    }
  });

  it('without segmentSeconds, cuts an MP4 into equal shards between its keyframes, and every frame is the single pass\'s', async () => {
    // 10 s with a keyframe every 2 s on the worker's 2 media slots: two 5 s shards, the second cut mid-GOP.
    const clip = counterClip(env.dir, 'even-g60', { frames: 300, fps: 30, gop: 60 });
    const job = await transcode(clip, undefined);
    assert.equal(job.manifest.splitMode, 'range');
    assert.equal(job.manifest.shards, 2);
    const got = job.levels.map(frameOf);
    const want = singlePass(clip, '30/1');
    assert.equal(got.length, 300);
    assertSameFrames(got, want, 'even shards');
  });

  it('24 fps frames in a 1/30 timebase: range shards start on their own first frame, not one early', async () => {
    const clip = counterClip(env.dir, 'film-30tb', { frames: 240, fps: 24, timescale: 30 });
    for (const segmentSeconds of [1, 2]) {
      const job = await transcode(clip, segmentSeconds);
      assert.equal(job.manifest.splitMode, 'range');
      assert.equal(job.manifest.sourceInfo.frameRate, '24/1');
      const got = job.levels.map(frameOf);
      assert.equal(got.length, 240);
      assertSameFrames(got, singlePass(clip, '24/1'), `${segmentSeconds} s shards`);
    }
  });

  it('a rendition rate above the source rate: frames that fall exactly between two slots round the way a single pass rounds them', async () => {
    // 24 fps on a 30 fps grid puts every second frame at half a slot.
    const clip = counterClip(env.dir, 'film-30', { frames: 120, fps: 24, gop: 24 });
    for (const segmentSeconds of [1, 1.5]) {
      const job = await transcode(clip, segmentSeconds, { preset: 'mp4-360p', name: 'at30', video: { codec: 'h264', height: 360, crf: 23, preset: 'veryfast', fps: 30 } });
      const got = job.levels.map(frameOf);
      const want = singlePass(clip, '30/1');
      assert.equal(got.length, want.length);
      assertSameFrames(got, want, `${job.manifest.splitMode} at ${segmentSeconds} s`);
    }
  });

  it('audio keeps at most the source channels: mono stays mono, 5.1 becomes stereo, unless the rendition asks', async () => {
    const channelsOf = (file: string): number =>
      Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=channels', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim());
    const mono = counterClip(env.dir, 'mono', { frames: 30, fps: 30, audioChannels: 1 });
    assert.equal(channelsOf((await transcode(mono, 1)).file), 1);
    const surround = counterClip(env.dir, 'surround', { frames: 30, fps: 30, audioChannels: 6 });
    assert.equal(channelsOf((await transcode(surround, 1)).file), 2);
    const asked = await transcode(surround, 1, { preset: 'mp4-360p', name: 'surround51', audio: { codec: 'aac', bitrate: '192k', channels: 6 } });
    assert.equal(channelsOf(asked.file), 6);
  });

  describe('a source that decodes badly in the middle', () => {
    let broken: string;
    before(() => {
      // Four 40-frame GOPs; the third one's keyframe is overwritten, so its frames cannot be decoded. The probe decodes
      // the head and the last GOP, and the split reads packets, so only the shard encodes meet the damage: the third
      // shard's, and the second's too when its last frames wait for that keyframe (shards read the source in place).
      const clip = counterClip(env.dir, 'damaged-src', { frames: 160, fps: 30, gop: 40 });
      const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,pos,size,flags', '-of', 'json', clip], { encoding: 'utf8' });
      const keys = (JSON.parse(out).packets as { pts: number; pos: string; size: string; flags: string }[]).filter((p) => p.flags.includes('K'));
      assert.equal(keys.length, 4);
      const bytes = readFileSync(clip);
      const pos = Number(keys[2].pos);
      bytes.fill(0xff, pos + 5, pos + Number(keys[2].size));
      broken = path.join(env.dir, 'damaged.mp4');
      writeFileSync(broken, bytes);
    });

    it('fails the job in seconds with InvalidMedia naming the source and the shard, tried once, publishing nothing', async () => {
      const outDir = path.join(env.dir, 'out', 'damaged');
      const started = Date.now();
      const handle = await env.start({ source: `file://${broken}`, output: `file://${outDir}/`, renditions: ['mp4-360p'], segmentSeconds: 1.3 });
      const err = await handle.result().then(
        () => assert.fail('the job succeeded'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof WorkflowFailedError);
      let root: unknown = err;
      while ((root as { cause?: unknown }).cause) root = (root as { cause?: unknown }).cause;
      assert.ok(root instanceof ApplicationFailure);
      assert.equal(root.type, 'InvalidMedia');
      assert.equal(root.nonRetryable, true);
      // ffmpeg gives up on the shard (or decodes too few frames): either way the message names the object, the shard and why.
      assert.match(rootMessage(err), /damaged\.mp4 is not a usable video: .*shard [23]\/4 of mp4-360p.*(decode|frames)/);
      // Seconds, not a day in awaiting-repair; generous for a loaded test machine.
      assert.ok(Date.now() - started < 120_000, `took ${Date.now() - started} ms`);
      const phases: string[] = [];
      for (const event of (await handle.fetchHistory()).events ?? []) {
        const attrs = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.ShardflowPhase;
        if (attrs?.data) phases.push(Buffer.from(attrs.data).toString());
      }
      assert.ok(!phases.some((p) => p.includes('awaiting-repair')), `phases: ${phases.join(' ')}`);
      // The shard's activity ran once: InvalidMedia is not retried.
      const child = env.client.workflow.getHandle(`${handle.workflowId}.shards-0`);
      const attempts = ((await child.fetchHistory()).events ?? [])
        .map((e) => e.activityTaskStartedEventAttributes?.attempt)
        .filter((a): a is number => typeof a === 'number');
      assert.ok(attempts.every((a) => a === 1), `attempts: ${attempts.join(',')}`);
      assert.equal(existsSync(outDir) ? readdirSync(outDir).length : 0, 0, 'nothing published');
    });

    it('shardflow transcode --wait --json shows progress on stderr and prints the failure as one JSON document', async () => {
      const run = cliRunner(env);
      const res = await run(['transcode', broken, '-o', path.join(env.dir, 'out', 'damaged-cli'), '-r', 'mp4-360p', '--segment-seconds', '1.3', '--wait', '--json']);
      assert.equal(res.code, 1, res.stderr);
      const doc = JSON.parse(res.stdout);
      assert.equal(doc.status, 'FAILED');
      assert.match(doc.error, /^job failed \[InvalidMedia\]: .*damaged\.mp4 is not a usable video: .*shard [23]\/4 of mp4-360p/);
      // The job may fail before the first poll sees a later phase: "starting 0%" is progress too.
      assert.match(res.stderr, /^(starting|probing|splitting|transcoding) \d+%/m, 'progress lines on stderr');
    });
  });

  it('the outputs are what they claim: the probe of a counter clip output agrees', () => {
    // Guards the helper itself: a clip of 10 frames reads back as frames 0..9.
    const clip = counterClip(env.dir, 'ten', { frames: 10, fps: 25 });
    assert.deepEqual(frameLevels(clip).map(frameOf), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(probeFile(clip).streams[0].frames, 10);
  });
});
