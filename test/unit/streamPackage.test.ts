// The streaming pieces that need no ffmpeg: the job option, the ladder, the
// segment grid, the fMP4 boxes rewritten per shard, the bit rates and the
// HLS / DASH text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { normalizeJob } from '../../src/core/job/jobInput';
import { ladderFor, segmentFrames, streamShardSegments } from '../../src/core/job/streamPackage';
import { av1CodecString, fragmentDecodeTimes, fragmentTicks, hevcCodecString, shiftFragments } from '../../src/media/fmp4Boxes';
import { ticksPerFrame } from '../../src/activities/shardSegments';
import { dashManifest } from '../../src/stream/dashManifest';
import { masterPlaylist, mediaPlaylist } from '../../src/stream/hlsPlaylists';
import { trackRates, type TrackTimeline } from '../../src/stream/trackTimeline';

const base = { source: 'file:///in.mp4', output: 'file:///out/' };

function invalid(raw: unknown, pattern: RegExp): void {
  assert.throws(
    () => normalizeJob(raw),
    (err: unknown) => err instanceof ApplicationFailure && err.type === 'InvalidJob' && err.nonRetryable && pattern.test(err.message),
  );
}

function box(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/** A media segment of one fragment: mfhd, and a traf with tfhd (default duration), tfdt v1 and a trun of `samples` samples. */
function segment(tfdt: bigint, samples: number, defaultDuration: number): Buffer {
  const mfhd = Buffer.alloc(8);
  mfhd.writeUInt32BE(1, 4);
  const tfhd = Buffer.alloc(12);
  tfhd.writeUInt32BE(0x000008, 0);
  tfhd.writeUInt32BE(1, 4);
  tfhd.writeUInt32BE(defaultDuration, 8);
  const tfdtBody = Buffer.alloc(12);
  tfdtBody.writeUInt32BE(0x01000000, 0);
  tfdtBody.writeBigUInt64BE(tfdt, 4);
  const trun = Buffer.alloc(8 + 4 * samples);
  trun.writeUInt32BE(0x000200, 0);
  trun.writeUInt32BE(samples, 4);
  const traf = box('traf', Buffer.concat([box('tfhd', tfhd), box('tfdt', tfdtBody), box('trun', trun)]));
  return Buffer.concat([box('moof', Buffer.concat([box('mfhd', mfhd), traf])), box('mdat', Buffer.alloc(16))]);
}

describe('streaming job option', () => {
  it('normalizes package, ladder and segment length; the rungs become H.264 renditions without audio of their own', () => {
    const job = normalizeJob({ ...base, package: 'dash,hls', ladder: [480, 720, 720], streamSegmentSeconds: 2 });
    assert.deepEqual(job.stream, { formats: ['hls', 'dash'], ladder: [720, 480], segmentSeconds: 2, thumbnailSeconds: 2 });
    assert.deepEqual(job.renditions.map((r) => [r.name, r.video.codec, r.video.height, r.video.maxBitrate, r.audio.codec]), [['720p', 'h264', 720, '3500k', 'none'], ['480p', 'h264', 480, '1560k', 'none']]);
    assert.deepEqual(normalizeJob({ ...base, package: ['hls'] }).stream, { formats: ['hls'], ladder: [1080, 720, 480, 360], segmentSeconds: 4, thumbnailSeconds: 2 });
    assert.equal(normalizeJob(base).stream, undefined);
  });

  it('makes HEVC rungs when asked: x265 CRF 28, 70 % of the H.264 cap', () => {
    const job = normalizeJob({ ...base, package: 'hls', ladder: [720], ladderCodec: 'h265' });
    assert.deepEqual(job.stream, { formats: ['hls'], ladder: [720], segmentSeconds: 4, thumbnailSeconds: 2, codec: 'h265' });
    assert.deepEqual(job.renditions.map((r) => [r.video.codec, r.video.crf, r.video.maxBitrate]), [['h265', 28, '2450k']]);
    invalid({ ...base, package: 'hls', ladderCodec: 'vp8' }, /"ladderCodec" must be one of h264, h265, av1, got "vp8"/);
    invalid({ ...base, ladderCodec: 'h265' }, /need "package"/);
  });

  it('makes AV1 rungs when asked: SVT-AV1 CRF 35, 60 % of the H.264 cap', () => {
    const job = normalizeJob({ ...base, package: 'hls,dash', ladder: [720, 360], ladderCodec: 'av1' });
    assert.equal(job.stream?.codec, 'av1');
    assert.deepEqual(job.renditions.map((r) => [r.video.codec, r.video.crf, r.video.maxBitrate]), [['av1', 35, '2100k'], ['av1', 35, '530k']]);
  });

  it('reads the codecs parameter of an AV1 track from its av1C', () => {
    // Main profile, level 0 (2.0), main tier, 8 bits, 4:2:0: what SVT-AV1 writes for a small picture.
    assert.equal(av1CodecString(Buffer.from('81000d00', 'hex')), 'av01.0.00M.08');
    // Main profile, level 8 (4.0), 8 bits.
    assert.equal(av1CodecString(Buffer.from('81080c00', 'hex')), 'av01.0.08M.08');
    // Professional profile (2), level 13 (5.1), high tier, 12 bits.
    assert.equal(av1CodecString(Buffer.from('814de000', 'hex')), 'av01.2.13H.12');
  });

  it('reads the RFC 6381 codec string of an HEVC track from its hvcC', () => {
    // Main profile, compatibility flags 0x60000000, progressive-source constraint flag, level 4 (120).
    const hvcC = Buffer.from('01016000000090000000000078', 'hex');
    assert.equal(hevcCodecString(hvcC), 'hvc1.1.6.L120.90');
    // Main 10, high tier, level 5.1, two constraint bytes.
    assert.equal(hevcCodecString(Buffer.from('0122200000009001000000009c', 'hex')), 'hvc1.2.4.H156.90.1');
  });

  it('refuses bad values with InvalidJob naming the field', () => {
    invalid({ ...base, package: 'hls,smooth' }, /"package" must list one or more of hls, dash/);
    invalid({ ...base, package: [] }, /"package"/);
    invalid({ ...base, package: 'hls', ladder: [721] }, /"ladder" must list 1 to 8 even heights/);
    invalid({ ...base, package: 'hls', streamSegmentSeconds: 10 }, /"streamSegmentSeconds" must be a number from 2 to 6/);
    invalid({ ...base, package: 'hls', renditions: ['mp4-720p'] }, /"renditions" and "package" exclude each other/);
    invalid({ ...base, ladder: [720] }, /need "package"/);
    invalid({ ...base, renditions: [{ name: 'v', video: { codec: 'vp9', maxBitrate: '1M' }, container: 'webm', audio: { codec: 'none' } }] }, /video.maxBitrate caps h264, h265, av1 encodes only/);
    invalid({ ...base, renditions: [{ name: 'v', video: { codec: 'h264', maxBitrate: 'lots' } }] }, /video.maxBitrate must look like/);
  });

  it('drops rungs above the source and keeps one at the source size when all are above it', () => {
    const pkg = { formats: ['hls' as const], ladder: [1080, 720, 480, 360], segmentSeconds: 4 };
    assert.deepEqual(ladderFor(pkg, 720), [720, 480, 360]);
    assert.deepEqual(ladderFor(pkg, 241), [240]);
  });

  it('segments hold whole frames at the source rate and shards whole segments', () => {
    assert.equal(segmentFrames(4, { num: 30000, den: 1001 }), 120);
    assert.equal(segmentFrames(2, { num: 25, den: 1 }), 50);
    assert.equal(streamShardSegments(10, 4), 3);
    assert.equal(streamShardSegments(1, 4), 1);
    assert.equal(ticksPerFrame(30000, { num: 30000, den: 1001 }), 1001n);
    assert.throws(() => ticksPerFrame(1000, { num: 30000, den: 1001 }), /holds no whole frame/);
  });
});

describe('fMP4 fragments', () => {
  it('moves every fragment onto the job timeline and renumbers it, reading durations from tfhd defaults', () => {
    const seg = segment(0n, 50, 512);
    assert.deepEqual(fragmentDecodeTimes(seg), [0n]);
    assert.equal(fragmentTicks(seg), 25_600n);
    shiftFragments(seg, 3n * 25_600n, 4);
    assert.deepEqual(fragmentDecodeTimes(seg), [76_800n]);
    assert.equal(seg.readUInt32BE(8 + 8 + 4), 4, 'mfhd sequence number');
  });
});

describe('playlists', () => {
  const video: TrackTimeline = { name: '360p', timescale: 12_800, starts: [0, 25_600, 51_200], durations: [25_600, 25_600, 12_800], sizes: [100_000, 50_000, 10_000], firstNumber: 0 };
  const audio: TrackTimeline = { name: 'audio', timescale: 48_000, starts: [0, 96_256, 191_488], durations: [96_256, 95_232, 992], sizes: [32_000, 32_000, 400], firstNumber: 0 };

  it('measures peak and average bit rates; a tail of a few samples does not make the peak', () => {
    assert.deepEqual(trackRates(video), { peak: 400_000, average: 256_000, seconds: 5, bytes: 160_000 });
    const rates = trackRates(audio);
    assert.ok(rates.peak < 130_000, `audio peak ${rates.peak}`);
  });

  it('writes a media playlist with EXTINF per segment and an integer target duration', () => {
    const text = mediaPlaylist(video);
    assert.match(text, /#EXT-X-TARGETDURATION:2\n/);
    assert.match(text, /#EXT-X-MAP:URI="init.mp4"/);
    assert.deepEqual([...text.matchAll(/#EXTINF:([\d.]+),\n(seg-\d+\.m4s)/g)].map((m) => [m[1], m[2]]), [['2.000000', 'seg-00000.m4s'], ['2.000000', 'seg-00001.m4s'], ['1.000000', 'seg-00002.m4s']]);
    assert.match(text, /#EXT-X-ENDLIST\n$/);
  });

  it('writes the master playlist with the measured attributes and the audio group', () => {
    const text = masterPlaylist([{ name: '360p', bandwidth: 500_000, averageBandwidth: 380_000, codecs: 'avc1.64001e,mp4a.40.2', width: 640, height: 360, frameRate: '25.000' }], { name: 'audio', channels: 2 });
    assert.match(text, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio\/index.m3u8"/);
    assert.match(text, /#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=380000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"\n360p\/index.m3u8/);
  });

  it('writes the MPD with one SegmentTimeline per track, equal runs folded with @r', () => {
    const text = dashManifest([{ timeline: video, bandwidth: 400_000, codecs: 'avc1.64001e', width: 640, height: 360 }], { timeline: audio, bandwidth: 128_000, codecs: 'mp4a.40.2', channels: 2 }, '25/1', 5, 2);
    assert.match(text, /mediaPresentationDuration="PT5.000S"/);
    assert.match(text, /<SegmentTimeline><S t="0" d="25600" r="1"\/><S t="51200" d="12800"\/><\/SegmentTimeline>/);
    assert.match(text, /<S t="0" d="96256"\/><S t="96256" d="95232"\/><S t="191488" d="992"\/>/);
    assert.match(text, /media="360p\/seg-\$Number%05d\$.m4s" startNumber="0"/);
  });
});
