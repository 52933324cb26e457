// Whole jobs on the real-world clips in ../shared/media (see its MANIFEST.tsv):
// rotation, VFR, PCM audio, a single keyframe, missing audio, A/V offsets,
// a fragmented MP4 and a damaged mdat. Every expectation comes from ffprobe or
// a plain single-pass ffmpeg run on the source, never from our own media code.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needsSharedClips, sharedClip } from '../support/sharedMedia';
import { probeFile, type StreamFacts } from '../support/ffprobe';
import { framePsnr, gridFrames, matchFrames } from '../support/frameCompare';
import { expectedRate, expectedSize, rate, singlePassEncode, sourceFacts, videoRates, type SourceFacts } from '../support/mediaFacts';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import type { RenditionRequest } from '../../src/core/job/jobInput';

/**
 * How much worse than the single pass's worst frame our worst frame may be, against the source frames of the
 * grid. A frame shown in the wrong slot, a flip or a wrong turn drops far more (a one-frame shift at a scene
 * cut: to 12.6 dB).
 */
const MAX_WORSE_DB = 3;

interface Job {
  clip: string;
  rendition: string;
  source: string;
  facts: SourceFacts;
  outDir: string;
  manifest: any;
  result: Awaited<ReturnType<TestEnv['run']>>;
  file: string;
  video: StreamFacts;
  audio?: StreamFacts;
  streams: StreamFacts[];
}

describe('transcodeVideo on the shared real-world clips', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env?.close();
  });

  /** Runs one job to completion and reads back its published output with ffprobe (decoding, so frames are counted). */
  async function transcode(clip: string, segmentSeconds: number, request: RenditionRequest = 'mp4-360p'): Promise<Job> {
    const source = sharedClip(clip);
    const rendition = typeof request === 'string' ? request : request.name!;
    const outDir = path.join(env.dir, 'out', `${path.parse(clip).name}-${rendition}`);
    const result = await env.run({ source: `file://${source}`, output: `file://${outDir}/`, renditions: [request], segmentSeconds });
    const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
    assert.deepEqual(readdirSync(outDir).sort(), ['manifest.json', `${rendition}.mp4`].sort());
    // The work area is removed once the job succeeded.
    assert.equal(existsSync(path.join(env.dir, 'work', result.jobId)), false, 'work area left behind');
    const file = path.join(outDir, `${rendition}.mp4`);
    const probed = probeFile(file);
    const video = probed.streams.find((s) => s.type === 'video');
    assert.ok(video, `${clip}: output has no video stream`);
    return { clip, rendition, source, facts: sourceFacts(source), outDir, manifest, result, file, video, audio: probed.streams.find((s) => s.type === 'audio'), streams: probed.streams };
  }

  /** The checks every output must pass; returns the single-pass reference for extra checks. */
  function checkAgainstSource(job: Job, options: { short: number; wantAudio: boolean }): string {
    const { facts, video, audio, manifest } = job;
    const sv = facts.video!;
    const fps = expectedRate(facts);
    const frame = 1 / rate(fps);

    // Stream layout: one H.264 video, plus AAC exactly when requested and present in the source.
    const hasAudio = options.wantAudio && facts.audio !== undefined;
    assert.deepEqual(
      job.streams.map((s) => `${s.type}:${s.codec}`),
      hasAudio ? ['video:h264', 'audio:aac'] : ['video:h264'],
      `${job.clip}: stream layout`,
    );

    // Decoded frames equal what the shards reported (the manifest's count is their verified sum).
    const reported = manifest.renditions.find((r: { name: string }) => r.name === job.rendition);
    assert.equal(video.frames, reported.frames, `${job.clip}: decoded frames vs manifest`);
    assert.equal(job.result.renditions[0].frames, reported.frames, `${job.clip}: workflow result vs manifest`);

    // Upright, no rotation flag left, scaled to the short side, never upscaled.
    assert.equal(video.rotation, 0, `${job.clip}: rotation flag left on the output`);
    assert.deepEqual({ width: video.width, height: video.height }, expectedSize(facts, options.short), `${job.clip}: output size`);

    // Constant rate at the source's real rate.
    assert.equal(rate(videoRates(job.file).avg).toFixed(3), rate(fps).toFixed(3), `${job.clip}: output frame rate`);

    // Video duration within one frame (plus a millisecond of timebase rounding) of the source's.
    const sourceDuration = sv.timing.end - sv.timing.start;
    assert.ok(
      Math.abs(video.duration - sourceDuration) <= frame + 0.001,
      `${job.clip}: video lasts ${video.duration} s, the source ${sourceDuration} s`,
    );

    // A/V start offset as in the source, within a frame; with no audio the video keeps its offset from the file start.
    if (hasAudio) {
      const want = sv.timing.start - facts.audio!.startTime;
      const got = video.startTime - audio!.startTime;
      assert.ok(Math.abs(got - want) <= frame, `${job.clip}: video starts ${got * 1000} ms after audio, the source ${want * 1000} ms`);
      // Audio keeps its own length (not padded or cut to the video's); AAC may add up to two frames of priming/padding.
      const slack = (2 * 1024) / facts.audio!.sampleRate + 0.001;
      assert.ok(
        Math.abs(audio!.duration - facts.audio!.duration) <= slack,
        `${job.clip}: audio lasts ${audio!.duration} s, the source ${facts.audio!.duration} s`,
      );
    } else {
      const want = sv.timing.start - facts.formatStart;
      assert.ok(Math.abs(video.startTime - want) <= frame, `${job.clip}: video starts at ${video.startTime}, the source at ${want}`);
    }

    // The single-pass reference: same size, on the same grid (anchored at the first frame, at the same constant rate).
    const size = expectedSize(facts, options.short);
    const chain = ['setpts=PTS-STARTPTS', `fps=${fps}`, `scale=${size.width}:${size.height}`, 'format=yuv420p'];
    const name = `${path.parse(job.clip).name}-${job.rendition}-${job.manifest.segmentSeconds}`;
    const ref = path.join(env.dir, `ref-${name}.mp4`);
    singlePassEncode(job.source, ref, chain);
    const refVideo = probeFile(ref).streams.find((s) => s.type === 'video')!;
    assert.equal(video.frames, refVideo.frames, `${job.clip}: frames vs a single-pass encode`);
    // Every frame against the source frame of its slot: a dropped, doubled or shifted frame at a shard boundary,
    // a flip or a wrong turn all show here, and the worst frame is as good as the single pass's worst.
    const grid = gridFrames(job.source, chain, path.join(env.dir, `grid-${name}.mkv`));
    const match = matchFrames(job.file, grid, refVideo.frames!);
    const single = Math.min(...framePsnr(ref, grid, refVideo.frames!));
    assert.equal(match.frames, refVideo.frames, `${job.clip}: every frame compared`);
    assert.deepEqual(match.shifted, [], `${job.clip}: frames that show a neighbouring source frame`);
    assert.ok(match.minPsnr >= single - MAX_WORSE_DB, `${job.clip}: the worst frame is ${match.minPsnr} dB from the source, the single pass's ${single} dB`);
    return ref;
  }

  it('turns the rotated VFR 4K phone clip upright, drops the rotation flag and resamples to its nominal rate', needsSharedClips('phone_h264_4k60_rot90_vfr.mp4'), async () => {
    const job = await transcode('phone_h264_4k60_rot90_vfr.mp4', 0.5);
    const sv = job.facts.video!;
    // Preconditions the clip is here for.
    assert.equal(Math.abs(sv.rotation), 90);
    assert.ok(sv.width > sv.height && sv.variable, 'the clip is landscape-coded and VFR');

    checkAgainstSource(job, { short: 360, wantAudio: true });
    assert.ok(job.video.height! > job.video.width!, 'portrait output');
    assert.equal(job.manifest.sourceInfo.variableFrameRate, true);
    // Frames on the nominal grid: the source's span at that rate, rounded.
    const fps = rate(expectedRate(job.facts));
    assert.equal(job.video.frames, Math.round((sv.timing.end - sv.timing.start) * fps));
  });

  it('re-encodes the PCM audio of a MOV to AAC in MP4, cutting the single-keyframe video by frame ranges', needsSharedClips('concert_h264_pcm_1080p50.mov'), async () => {
    const job = await transcode('concert_h264_pcm_1080p50.mov', 0.5);
    assert.equal(job.facts.audio?.codec, 'pcm_s16le');
    assert.equal(job.facts.video!.timing.keyframes.length, 1);
    checkAgainstSource(job, { short: 360, wantAudio: true });
    assert.equal(job.manifest.sourceInfo.audioCodec, 'pcm_s16le');
    assert.equal(job.manifest.splitMode, 'range');
    assert.ok(job.manifest.shards > 1, `shards: ${job.manifest.shards}`);
  });

  it('encodes the one-keyframe VP9 clip without audio in frame-accurate range shards', needsSharedClips('bear_vp9_noaudio.webm'), async () => {
    const job = await transcode('bear_vp9_noaudio.webm', 1);
    assert.equal(job.facts.audio, undefined, 'bear has no audio');
    assert.equal(job.facts.video!.timing.keyframes.length, 1);
    checkAgainstSource(job, { short: 360, wantAudio: true });
    assert.equal(job.audio, undefined);
    assert.equal(job.manifest.splitMode, 'range');
    assert.ok(job.manifest.shards > 1, `shards: ${job.manifest.shards}`);
    // 1 s shards of a clip this long: at least as many as whole seconds, folded slivers aside.
    const duration = job.facts.video!.timing.end - job.facts.video!.timing.start;
    assert.ok(job.manifest.shards >= Math.floor(duration), `shards: ${job.manifest.shards} for ${duration} s`);
  });

  it('keeps the shorter audio of a clip whose video outlasts it', needsSharedClips('video_longer_than_audio.mp4'), async () => {
    const job = await transcode('video_longer_than_audio.mp4', 0.5);
    const sourceVideo = job.facts.video!.timing.end - job.facts.video!.timing.start;
    assert.ok(job.facts.audio!.duration < sourceVideo - 0.3, 'precondition: the audio is much shorter');
    checkAgainstSource(job, { short: 360, wantAudio: true });
    // The video is not cut to the audio, nor the audio padded to the video.
    assert.ok(job.video.duration - job.audio!.duration > 0.3);
  });

  it('leaves the audio out when the rendition asks for none, though the source has it', needsSharedClips('video_longer_than_audio.mp4'), async () => {
    const job = await transcode('video_longer_than_audio.mp4', 0.5, { preset: 'mp4-360p', name: 'mute', audio: { codec: 'none' } });
    assert.ok(job.facts.audio, 'precondition: the source has audio');
    checkAgainstSource(job, { short: 360, wantAudio: false });
    assert.equal(job.manifest.renditions[0].audioCodec, undefined);
  });

  it('puts the 24 fps content of a 1/30-timebase clip on a 24 fps grid, with no duplicated frames', needsSharedClips('bbb_h264_aac_480x360_10s.mp4'), async () => {
    const job = await transcode('bbb_h264_aac_480x360_10s.mp4', 3);
    const sv = job.facts.video!;
    assert.notEqual(rate(sv.rFrameRate), rate(sv.avgFrameRate), 'precondition: the nominal rate misleads');
    checkAgainstSource(job, { short: 360, wantAudio: true });
    // Every source frame once: a 30 fps grid would duplicate a quarter of them.
    assert.equal(job.video.frames, sv.timing.packets);
    // An MP4 has a keyframe index: its shards seek into the source instead of a copy split.
    assert.equal(job.manifest.splitMode, 'range');
    assert.ok(job.manifest.shards > 1, `shards: ${job.manifest.shards}`);
  });

  it('seeks range shards of the 1/30-timebase clip onto the grid exactly: no shard starts a frame early', needsSharedClips('bbb_h264_aac_480x360_10s.mp4'), async () => {
    // At 2 s shards the cut at frame 48 (1.979167 s from the start of 24 fps frames) is no 1/30 tick: a relative
    // seek landed on frame 47, so each shard showed its predecessor's last frame (12.6 dB at the next scene cut).
    const job = await transcode('bbb_h264_aac_480x360_10s.mp4', 2);
    assert.equal(job.manifest.splitMode, 'range');
    assert.ok(job.manifest.shards >= 4, `shards: ${job.manifest.shards}`);
    checkAgainstSource(job, { short: 360, wantAudio: true });
    assert.equal(job.video.frames, job.facts.video!.timing.packets);
  });

  it('cuts the fragmented MP4 at every one of its keyframes and keeps the late video start', needsSharedClips('fmp4_london_15s_18gops.mp4'), async () => {
    const segmentSeconds = 0.5;
    const source = sharedClip('fmp4_london_15s_18gops.mp4');
    const keyframes = sourceFacts(source).video!.timing.keyframes;
    const gops = keyframes.slice(1).map((k, i) => k - keyframes[i]);
    // Every GOP is at least one segment long and at most two, so each keyframe starts a shard.
    assert.ok(Math.min(...gops) >= segmentSeconds && Math.max(...gops) <= 2 * segmentSeconds, `GOPs: ${gops.join(', ')}`);

    const job = await transcode('fmp4_london_15s_18gops.mp4', segmentSeconds);
    assert.ok(job.facts.video!.timing.start > job.facts.audio!.startTime, 'precondition: the video starts after the audio');
    checkAgainstSource(job, { short: 360, wantAudio: true });
    assert.equal(job.manifest.splitMode, 'range');
    assert.equal(job.manifest.shards, keyframes.length);
  });

  it('succeeds on the MP4 whose mdat runs past the end of the file, since ffprobe reads it and ffmpeg decodes it', needsSharedClips('broken_truncated_mdat.mp4'), async () => {
    const job = await transcode('broken_truncated_mdat.mp4', 0.5);
    checkAgainstSource(job, { short: 360, wantAudio: true });
    assert.equal(job.manifest.sourceInfo.videoCodec, 'h264');
  });
});
