// ffmpeg argument builders: plain string arrays (spawned without a shell),
// user text and odd paths that survive ffmpeg's own parsers, and geometry.
// The escaping tests run real ffmpeg on tiny lavfi clips: only ffmpeg can say
// whether a filter graph parses.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PRESETS } from '../../src/core/job/presets';
import type { RenditionSpec, VideoSpec } from '../../src/core/job/rendition';
import { runFfmpeg } from '../../src/media/ffmpeg';
import {
  encodeAudioArgs,
  encodeShardArgs,
  escapeGraphValue,
  mergeArgs,
  outputSize,
  singlePassReferenceArgs,
  splitArgs,
  type EncodeShardInput,
} from '../../src/media/ffmpegArgs';
import { probeMedia } from '../../src/media/probe';
import { sourceInput } from '../../src/media/sourceInput';
import { probeFile } from '../support/ffprobe';
import { psnrY } from '../support/mediaFacts';

const H264_360 = PRESETS['mp4-360p'];

function shardInput(over: Partial<EncodeShardInput> = {}): EncodeShardInput {
  return {
    input: '/scratch/shard.nut',
    videoStream: 0,
    timeBase: '1/12800',
    originPts: 0,
    startSlot: 0,
    endSlot: 50,
    check: { fromPts: 0, toPts: 25600, file: '/scratch/decoded.framecrc' },
    fps: '25/1',
    geometry: { width: 1920, height: 1080, rotation: 0 },
    rendition: H264_360,
    threads: 1,
    output: '/scratch/out.mp4',
    ...over,
  };
}

/** The value following `flag`, asserting the flag is there. */
function valueOf(args: string[], flag: string): string {
  const i = args.indexOf(flag);
  assert.ok(i >= 0 && i + 1 < args.length, `${flag} missing from ${JSON.stringify(args)}`);
  return args[i + 1];
}

function assertPlainArray(args: unknown): asserts args is string[] {
  assert.ok(Array.isArray(args));
  for (const a of args) assert.equal(typeof a, 'string', `non-string argument in ${JSON.stringify(args)}`);
  assert.ok(!args.includes(''), 'no empty arguments');
}

describe('outputSize', () => {
  const v = (height?: number): VideoSpec => ({ codec: 'h264', height });

  it('scales the short side to the requested height, keeping the aspect ratio', () => {
    assert.deepEqual(outputSize({ width: 1920, height: 1080, rotation: 0 }, v(720)), { width: 1280, height: 720 });
    assert.deepEqual(outputSize({ width: 1920, height: 1080, rotation: 0 }, v(360)), { width: 640, height: 360 });
  });

  it('turns the frame for 90° and 270° rotation, so a portrait phone clip stays portrait', () => {
    assert.deepEqual(outputSize({ width: 3840, height: 2160, rotation: 90 }, v(360)), { width: 360, height: 640 });
    assert.deepEqual(outputSize({ width: 3840, height: 2160, rotation: 270 }, v(360)), { width: 360, height: 640 });
    assert.deepEqual(outputSize({ width: 3840, height: 2160, rotation: 180 }, v(360)), { width: 640, height: 360 });
  });

  it('never upscales', () => {
    assert.deepEqual(outputSize({ width: 320, height: 240, rotation: 0 }, v(720)), { width: 320, height: 240 });
    assert.deepEqual(outputSize({ width: 240, height: 320, rotation: 0 }, v(1080)), { width: 240, height: 320 });
    assert.deepEqual(outputSize({ width: 320, height: 240, rotation: 90 }, v(720)), { width: 240, height: 320 });
  });

  it('keeps the source size when no height is asked, and makes both sides even', () => {
    assert.deepEqual(outputSize({ width: 1920, height: 1080, rotation: 0 }, v()), { width: 1920, height: 1080 });
    // Odd sides go down to even, never up: 161x121 VP9 (which plain x264 refuses) becomes 160x120.
    assert.deepEqual(outputSize({ width: 321, height: 241, rotation: 0 }, v()), { width: 320, height: 240 });
    assert.deepEqual(outputSize({ width: 161, height: 121, rotation: 0 }, v(360)), { width: 160, height: 120 });
    // 1080x720 to 360 short side: 540x360; 854x480 to 360: 640.5 rounds to an even 640.
    assert.deepEqual(outputSize({ width: 1080, height: 720, rotation: 0 }, v(360)), { width: 540, height: 360 });
    assert.deepEqual(outputSize({ width: 854, height: 480, rotation: 0 }, v(360)), { width: 640, height: 360 });
    for (const geometry of [{ width: 333, height: 187, rotation: 0 }, { width: 4095, height: 2161, rotation: 90 }, { width: 100, height: 100, rotation: 0 }]) {
      for (const h of [undefined, 16, 97, 360, 720]) {
        const size = outputSize(geometry, v(h));
        assert.equal(size.width % 2, 0);
        assert.equal(size.height % 2, 0);
        assert.ok(Math.min(size.width, size.height) <= Math.min(geometry.width, geometry.height), 'never upscaled, not even to reach an even size');
      }
    }
  });
});

describe('argument arrays', () => {
  // Characters a shell would act on: if any of these reached a shell, the test clip names would run commands.
  const hostile = "/tmp/in dir/$(touch pwned) `id` 'q' \"dq\" ; | & > <.mp4";

  it('pass paths through as single, unaltered arguments', () => {
    const all = [
      splitArgs({ input: hostile, videoStreamIndex: 0, cuts: [2, 4], tolerance: 0.02, outputPattern: `${hostile}-%06d.nut`, listFile: `${hostile}.csv` }),
      encodeShardArgs(shardInput({ input: hostile, output: `${hostile}.mp4` })),
      encodeAudioArgs({ input: hostile, audioStream: 1, sourceChannels: 2, audio: { codec: 'aac', bitrate: '128k' }, output: `${hostile}.m4a` }),
      mergeArgs({ concatList: `${hostile}.txt`, videoOffset: 0, audioFile: `${hostile}.m4a`, container: 'mp4', hevc: false, output: `${hostile}.out.mp4` }),
    ];
    for (const args of all) {
      assertPlainArray(args);
      assert.ok(args.some((a) => a.startsWith(hostile)), 'the hostile path is one argument');
      // The path is never spliced into a larger argument (such as a filter graph).
      for (const a of args) if (a.includes(hostile)) assert.ok(a.startsWith(hostile), `path embedded in ${JSON.stringify(a)}`);
    }
  });

  it('split: stream-copies one video stream into NUT, keeping the source timestamps, cutting just before each keyframe', () => {
    const args = splitArgs({ input: '/s/in.mp4', videoStreamIndex: 2, cuts: [2, 4.5], tolerance: 0.02, outputPattern: '/s/%06d.nut', listFile: '/s/l.csv' });
    assertPlainArray(args);
    assert.equal(valueOf(args, '-map'), '0:2');
    assert.equal(valueOf(args, '-c'), 'copy');
    assert.equal(valueOf(args, '-f'), 'segment');
    assert.equal(valueOf(args, '-segment_times'), '1.980000,4.480000');
    assert.ok(args.indexOf('-copyts') >= 0 && args.indexOf('-copyts') < args.indexOf('-i'), 'the source clock is kept');
    assert.equal(valueOf(args, '-reset_timestamps'), '0');
    // Matroska would round every pts to the millisecond; NUT keeps the timebase.
    assert.equal(valueOf(args, '-segment_format'), 'nut');
    const whole = splitArgs({ input: '/s/in.mp4', videoStreamIndex: 0, cuts: [], tolerance: 0.02, outputPattern: '/s/%06d.nut', listFile: '/s/l.csv' });
    assert.equal(whole.includes('-segment_times'), false);
    assert.ok(Number(valueOf(whole, '-segment_time')) > 1e6, 'no cut: one segment for the whole file');
  });

  it('shard encode: exact frame count, constant rate, and a seek only in range mode, before the input', () => {
    const copy = encodeShardArgs(shardInput());
    assertPlainArray(copy);
    assert.equal(copy.includes('-ss'), false);
    assert.equal(valueOf(copy, '-frames:v'), '50');
    assert.equal(valueOf(copy, '-r'), '25/1');
    assert.equal(valueOf(copy, '-fps_mode'), 'cfr');
    assert.ok(copy.includes('-noautorotate'), 'rotation is applied by our own filters, once');
    assert.equal(valueOf(copy, '-c:v'), 'libx264');
    assert.ok(copy.includes('-an'), 'audio is encoded separately, once per rendition');

    const range = encodeShardArgs(shardInput({ seekSeconds: 12.5, videoStream: 3, startSlot: 300, endSlot: 350 }));
    assert.equal(valueOf(range, '-ss'), '12.500000');
    const input = range.indexOf('-i');
    assert.ok(range.indexOf('-ss') < input, 'input seeking (-ss before -i)');
    // Frames before the shard stay in: the grid picks by their own timestamps, not by where the seek landed.
    assert.ok(range.indexOf('-noaccurate_seek') > 0 && range.indexOf('-noaccurate_seek') < input, 'no accurate-seek trimming');
    assert.ok(range.indexOf('-copyts') > 0 && range.indexOf('-copyts') < input, 'source timestamps, not restarted at the seek');
    assert.equal(valueOf(range, '-frames:v'), '50');
    assert.match(valueOf(range, '-filter_complex'), /^\[0:3\]/);
    assert.throws(() => encodeShardArgs(shardInput({ startSlot: 7, endSlot: 7 })), /no frame/);
  });

  it('shard encode: frames are picked by absolute slots on the job grid, then turned and scaled', () => {
    const graph = (over: Partial<EncodeShardInput>): string => valueOf(encodeShardArgs(shardInput(over)), '-filter_complex');
    // Back to the source timebase, shifted so the grid starts at 0, the single pass's fps, the shard's slots, restarted at 0.
    const at = graph({ timeBase: '1/90000', originPts: 126000, fps: '30000/1001', startSlot: 48, endSlot: 96, check: { fromPts: 141141, toPts: 288289, file: 'f' } });
    assert.match(
      at,
      /^\[0:0\]settb=1\/90000,setpts=PTS-126000,split=2\[decoded\]\[listed\];\[listed\]trim=start_pts=141141:end_pts=288289\[list\];\[decoded\]fps=30000\/1001,trim=start_pts=48:end_pts=96,setpts=PTS-STARTPTS,scale=/,
    );
    assert.match(graph({ originPts: -16384 }), /setpts=PTS\+16384,/);
    // An input that ends before the shard does holds its last frame, before fps so the grid rule applies to it too.
    assert.match(graph({ holdSeconds: 0.08 }), /\[decoded\]tpad=stop_mode=clone:stop_duration=0\.080000,fps=25\/1,trim=/);
    assert.doesNotMatch(graph({}), /tpad/);
    const turned = (rotation: number): string => graph({ geometry: { width: 3840, height: 2160, rotation } });
    // The decoded frames are listed beside the encode: a second output, cheap wrapped frames, one framecrc line each.
    const args = encodeShardArgs(shardInput({ check: { fromPts: 0, toPts: 10, file: '/s/list.framecrc' } }));
    assert.deepEqual(args.slice(-9), ['-map', '[list]', '-fps_mode', 'passthrough', '-c:v', 'wrapped_avframe', '-f', 'framecrc', '/s/list.framecrc']);
    assert.match(turned(0), /STARTPTS,scale=640:360/);
    assert.doesNotMatch(turned(0), /transpose|flip/);
    assert.match(turned(90), /STARTPTS,transpose=clock,scale=360:640/);
    assert.match(turned(270), /STARTPTS,transpose=cclock,scale=360:640/);
    assert.match(turned(180), /STARTPTS,hflip,vflip,scale=640:360/);
  });

  it('single-pass reference: the same picture filters with the grid anchored at the first frame', () => {
    const args = singlePassReferenceArgs({ input: '/s/in.mp4', videoStream: 2, fps: '24/1', geometry: { width: 1920, height: 1080, rotation: 90 }, rendition: H264_360, output: '/s/ref.mp4' });
    assertPlainArray(args);
    assert.equal(valueOf(args, '-vf'), 'setpts=PTS-STARTPTS,fps=24/1,transpose=clock,scale=360:640:flags=bicubic,setsar=1,format=yuv420p');
    assert.equal(valueOf(args, '-map'), '0:2');
    assert.equal(valueOf(args, '-c:v'), 'libx264');
  });

  it('shard encode: MP4 shards share one exact timescale for track and movie, so concat adds no gaps', () => {
    for (const [fps, timescale] of [['25/1', '90000'], ['30000/1001', '90000'], ['24000/1001', '24000'], ['60/1', '90000']]) {
      const args = encodeShardArgs(shardInput({ fps }));
      assert.equal(valueOf(args, '-video_track_timescale'), timescale, fps);
      assert.equal(valueOf(args, '-movie_timescale'), timescale, fps);
    }
  });

  it('shard encode: per-codec encoder arguments, closed GOPs for concat, and no copy', () => {
    const withCodec = (video: VideoSpec, container: RenditionSpec['container'] = 'mp4'): string[] =>
      encodeShardArgs(shardInput({ rendition: { name: 'x', container, video, audio: { codec: 'none' } } }));
    const hevc = withCodec({ codec: 'h265', crf: 26 });
    assert.equal(valueOf(hevc, '-c:v'), 'libx265');
    assert.match(valueOf(hevc, '-x265-params'), /open-gop=0/);
    assert.equal(valueOf(hevc, '-tag:v'), 'hvc1');
    const vp9 = withCodec({ codec: 'vp9', preset: 'veryfast' });
    assert.equal(valueOf(vp9, '-c:v'), 'libvpx-vp9');
    assert.equal(valueOf(vp9, '-b:v'), '0', 'constant quality needs -b:v 0 with libvpx');
    assert.equal(valueOf(withCodec({ codec: 'av1' }), '-c:v'), 'libsvtav1');
    assert.equal(valueOf(withCodec({ codec: 'h264', bitrate: '2M' }), '-b:v'), '2M');
    assert.equal(withCodec({ codec: 'h264', bitrate: '2M' }).includes('-crf'), false);
    assert.equal(valueOf(withCodec({ codec: 'h264' }), '-g'), '50', 'a keyframe every two seconds');
    assert.equal(valueOf(withCodec({ codec: 'h264' }), '-x264-params'), 'zones=0,0,b=1.4', "the shard's first frame at x264's I/P ratio");
    assert.throws(() => withCodec({ codec: 'copy' }), /copy/);
    const capped = withCodec({ codec: 'h264', crf: 23, maxBitrate: '3500k' });
    assert.deepEqual([valueOf(capped, '-crf'), valueOf(capped, '-maxrate'), valueOf(capped, '-bufsize')], ['23', '3500k', '7000k'], 'capped constant quality');
  });

  it('audio: encoded once from the whole source, with at most the source\'s channels, or copied untouched', () => {
    const aac = encodeAudioArgs({ input: '/s/in.mov', audioStream: 1, sourceChannels: 2, audio: { codec: 'aac', bitrate: '96k' }, output: '/s/a.m4a' });
    assertPlainArray(aac);
    assert.equal(valueOf(aac, '-map'), '0:1');
    assert.equal(valueOf(aac, '-c:a'), 'aac');
    assert.equal(valueOf(aac, '-b:a'), '96k');
    assert.equal(valueOf(aac, '-ac'), '2');
    const channels = (sourceChannels: number, asked?: number): string =>
      valueOf(encodeAudioArgs({ input: 'i', audioStream: 0, sourceChannels, audio: { codec: 'aac', channels: asked }, output: 'o.m4a' }), '-ac');
    assert.equal(channels(1), '1', 'mono stays mono');
    assert.equal(channels(6), '2', '5.1 is downmixed for a stereo preset');
    assert.equal(channels(6, 6), '6', 'a rendition that asks for 5.1 gets it');
    assert.equal(channels(1, 2), '2', 'or for stereo from mono');
    assert.equal(valueOf(encodeAudioArgs({ input: 'i', audioStream: 0, sourceChannels: 2, audio: { codec: 'opus' }, output: 'o.webm' }), '-c:a'), 'libopus');
    const copy = encodeAudioArgs({ input: 'i', audioStream: 0, sourceChannels: 6, audio: { codec: 'copy', bitrate: '96k' }, output: 'o.mka' });
    assert.equal(valueOf(copy, '-c:a'), 'copy');
    assert.equal(copy.includes('-b:a') || copy.includes('-ac'), false);
    assert.equal(aac.includes('-af') || aac.includes('-copyts'), false, 'file output keeps the audio as it comes');
    const streamed = encodeAudioArgs({ input: 'i', audioStream: 0, sourceChannels: 2, audio: { codec: 'aac' }, output: 'o.m4a', grid: { start: 1.4, seconds: 20 } });
    assert.ok(streamed.includes('-copyts'), 'streaming: source timestamps, to place the audio against the video');
    assert.equal(valueOf(streamed, '-af'), 'asetpts=PTS-1.400000/TB,aresample=async=1:first_pts=1024,atrim=end=20.000000');
  });

  it('merge: concat demuxer and stream copy only, with the offsets the source had', () => {
    const args = mergeArgs({ concatList: '/s/list.txt', videoOffset: 0.033333, audioFile: '/s/a.m4a', audioOffset: 0.044, container: 'mp4', hevc: false, output: '/s/o.mp4' });
    assertPlainArray(args);
    assert.equal(valueOf(args, '-f'), 'concat');
    assert.equal(valueOf(args, '-safe'), '0');
    assert.equal(valueOf(args, '-c'), 'copy');
    assert.equal(args.some((a) => /^-c:v$|^libx/.test(a)), false, 'never re-encodes');
    // Each -itsoffset sits right before the input it shifts.
    assert.equal(args[args.indexOf('-f') - 2], '-itsoffset');
    assert.equal(args[args.indexOf('-f') - 1], '0.033333');
    const audioAt = args.indexOf('/s/a.m4a');
    assert.deepEqual(args.slice(audioAt - 7, audioAt + 1), ['-itsoffset', '0.044000', ...sourceInput('/s/a.m4a')]);
    assert.deepEqual(args.filter((a, i) => args[i - 1] === '-map'), ['0:v:0', '1:a:0']);
    assert.equal(valueOf(args, '-metadata:s:v:0'), 'rotate=0', 'encoded shards are upright: no display matrix');
    assert.ok(args.includes('+faststart'));
    assert.equal(args[args.length - 1], '/s/o.mp4');

    const noOffsets = mergeArgs({ concatList: '/s/l.txt', videoOffset: 0, audioFile: '/s/a.m4a', audioOffset: 0, container: 'webm', hevc: false, output: '/s/o.webm' });
    assert.equal(noOffsets.includes('-itsoffset'), false);
    assert.equal(noOffsets.includes('+faststart'), false);
    assert.equal(noOffsets[noOffsets.length - 3], '-f');
    assert.equal(noOffsets[noOffsets.length - 2], 'webm');

    // A copied video keeps its own rotation flag: nothing turned it.
    const copied = mergeArgs({ copyVideoFrom: { file: '/s/src.mp4', stream: 2 }, videoOffset: 0, container: 'mkv', hevc: false, output: '/s/o.mkv' });
    assert.deepEqual(copied.filter((a, i) => copied[i - 1] === '-map'), ['0:2']);
    assert.equal(copied.includes('rotate=0'), false);
    assert.equal(valueOf(copied, '-f'), 'matroska');
    assert.equal(valueOf(mergeArgs({ concatList: 'l', videoOffset: 0, container: 'mp4', hevc: true, output: 'o.mp4' }), '-tag:v'), 'hvc1');
  });
});

describe('escapeGraphValue', () => {
  it('escapes for the option parser and then for the graph parser', () => {
    assert.equal(escapeGraphValue('/plain/path.txt'), '/plain/path.txt');
    assert.equal(escapeGraphValue('a:b'), 'a\\\\:b');
    assert.equal(escapeGraphValue("it's"), "it\\\\\\'s");
    assert.equal(escapeGraphValue('[x],y;z'), '\\[x\\]\\,y\\;z');
    assert.equal(escapeGraphValue('back\\slash'), 'back\\\\\\\\slash');
  });
});

describe('shard encodes through real ffmpeg', () => {
  let dir: string;
  let clip: string;
  before(() => {
    // A scratch folder whose name has every character the filter graph parsers treat specially.
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'shardflow-args-')), "scratch dir: [a] b,c; 'q' %d=1");
    mkdirSync(dir, { recursive: true });
    clip = path.join(dir, 'gray [src].mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:r=25:d=0.4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
  });
  after(() => {
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  async function encode(name: string, over: Partial<EncodeShardInput>): Promise<string> {
    const output = path.join(dir, name);
    await runFfmpeg(encodeShardArgs(shardInput({ input: clip, endSlot: 10, check: { fromPts: 0, toPts: 5120, file: `${output}.framecrc` }, geometry: { width: 320, height: 240, rotation: 0 }, output, ...over })));
    return output;
  }

  it('draws watermark text with quotes, colons, percent signs, backslashes and a newline, read from a file in that folder', async () => {
    const textFile = path.join(dir, "mark: 'one' [1].txt");
    // %{pts} would be expanded (or fail to parse) if expansion were on; it must be drawn as written.
    writeFileSync(textFile, 'It\'s "100%" real: a\\b;c,[d]\nsecond line %{pts');
    const plain = await encode('plain.mp4', {});
    const marked = await encode('marked.mp4', { watermark: { textFile, position: 'bottom-right' } });
    assert.equal(probeFile(marked).streams[0].frames, 10);
    // The same frames with and without the mark: they differ only if the text was actually drawn.
    assert.ok(psnrY(marked, plain) < 45, 'the watermark changed the picture');
  });

  it('overlays a watermark image from that folder in every corner', async () => {
    const imageFile = path.join(dir, 'logo: [x].png');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', '-update', '1', imageFile]);
    const plain = await encode('plain2.mp4', {});
    for (const position of ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const) {
      const out = await encode(`logo-${position}.mp4`, { watermark: { imageFile, position } });
      assert.equal(probeFile(out).streams[0].frames, 10);
      assert.ok(psnrY(out, plain) < 45, `logo drawn at ${position}`);
    }
  });

  it('turns a rotated source upright and the merge leaves no rotation flag behind', async () => {
    // A landscape clip with an asymmetric picture, flagged to display turned by 90°, as phones record portrait video.
    const landscape = path.join(dir, 'pattern.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=0.4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', landscape]);
    const flagged = path.join(dir, 'flagged.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', landscape, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', flagged]);
    const info = await probeMedia(flagged);
    assert.ok(info.video && [90, 270].includes(info.video.rotation), `probe sees the rotation: ${info.video?.rotation}`);
    const shard = await encode('turned.mp4', { input: flagged, geometry: { width: info.video.width, height: info.video.height, rotation: info.video.rotation } });
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, `file '${shard.replace(/'/g, "'\\''")}'\n`);
    const merged = path.join(dir, 'merged.mp4');
    await runFfmpeg(mergeArgs({ concatList: list, videoOffset: 0, container: 'mp4', hevc: false, output: merged }));
    const v = probeFile(merged).streams[0];
    assert.deepEqual({ width: v.width, height: v.height, rotation: v.rotation, frames: v.frames }, { width: 240, height: 320, rotation: 0, frames: 10 });
    // Upright the same way a player turns it: compare with ffmpeg's own autorotation of the flagged clip.
    const reference = path.join(dir, 'reference.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', flagged, '-frames:v', '10', '-c:v', 'libx264', '-preset', 'ultrafast', reference]);
    assert.ok(psnrY(merged, reference) > 30);
  });
});
