// What the probe makes of a source's packets: captured ffprobe JSON of the
// corpus files (test/fixtures/ffprobe) through the same parsing, timeline and
// grid code the probe runs, against what plain ffmpeg decodes (the corpus
// MANIFEST's decoded frame counts and single-pass outputs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { gridFrameCount, gridTime, parseTimeBase, rescalePts, slotAt, type FrameGrid } from '../../src/core/media/frameGrid';
import { parseRational, type Rational } from '../../src/core/media/rational';
import { measureFrameRate, snapFrameRate, sourceFrameRate } from '../../src/core/media/sourceFrameRate';
import { sourceGrid } from '../../src/core/media/sourceGrid';
import { agreesWithDecoded, fromFirstDecoded, timelineFromPackets, type PacketFacts } from '../../src/core/media/videoTimeline';
import { rateFraction } from '../../src/core/job/frameRate';
import { PacketScanParser, type PacketScan } from '../../src/media/packetScan';
import { mainVideoStream } from '../../src/media/probe';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/ffprobe');

/** A captured `ffprobe <packetScanArgs>` output, fed to the parser in awkward chunks. */
function scanOf(name: string, chunk = 7): PacketScan {
  const text = readFileSync(path.join(FIXTURES, `${name}.packets.json`), 'utf8');
  const parser = new PacketScanParser();
  for (let i = 0; i < text.length; i += chunk) parser.push(text.slice(i, i + chunk));
  return parser.scan;
}

function packetsOf(name: string): PacketFacts[] {
  return scanOf(name).packets;
}

function streamsOf(name: string): { index: number; codec_type?: string; time_base?: string; r_frame_rate?: string; width?: number; disposition?: { default?: number; attached_pic?: number } }[] {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.streams.json`), 'utf8')).streams;
}

/** Rate, grid and output frames the probe derives from a fixture's packets. */
function probed(name: string, timeBase: string, nominal?: string): { frames: number; rate: string; grid: FrameGrid; outputFrames: number } {
  const scan = scanOf(name);
  assert.equal(scan.timeBase, timeBase, 'the stream timebase comes with the packets');
  const timeline = timelineFromPackets(scan.packets);
  const { frameRate, grid } = sourceGrid(timeline, parseTimeBase(scan.timeBase), parseRational(nominal));
  return { frames: timeline.frames.length, rate: frameRate, grid, outputFrames: gridFrameCount(grid, parseRational(frameRate)!) };
}

describe('packet JSON', () => {
  it('reads every packet of an MPEG-TS whose caption side data spreads packets over several lines', () => {
    const text = readFileSync(path.join(FIXTURES, 'ts_h264_aac_cea608_no_pkt_durations.packets.json'), 'utf8');
    assert.ok(/"side_data_list"/.test(text), 'precondition: packets carry side data');
    assert.ok(/"programs"/.test(text), 'precondition: the program lists the stream again');
    const packets = packetsOf('ts_h264_aac_cea608_no_pkt_durations');
    // 58 packets as decoded (MANIFEST: packets=58 decoded_frames=58), none invented from a blank line, none at 0 but the first.
    assert.equal(packets.length, 58);
    assert.equal(packets.filter((p) => p.pts === 0).length, 1);
    assert.ok(packets.every((p) => p.duration === undefined), 'no packet durations');
    // Whatever the chunking, the same packets.
    assert.deepEqual(scanOf('ts_h264_aac_cea608_no_pkt_durations', 1).packets, packets);
    assert.deepEqual(scanOf('ts_h264_aac_cea608_no_pkt_durations', 4096).packets, packets);
    assert.equal(scanOf('ts_h264_aac_cea608_no_pkt_durations').timeBase, '1/90000');
  });

  it('keeps the flags: keyframes, and pictures the demuxer hides (edit lists)', () => {
    const packets = packetsOf('iphone_hevc10_dolbyvision_hlg_rot270_5pkts');
    assert.deepEqual(packets.map((p) => `${p.pts}${p.key ? 'K' : ''}${p.discard ? 'D' : ''}`), ['0K', '80D', '40', '20', '60']);
  });
});

describe('timeline and grid from packets, against what ffmpeg decodes', () => {
  it('MPEG-TS without packet durations: the last frame lasts one frame, as a plain encode shows it (60 frames, not 59)', () => {
    const p = probed('ts_h264_aac_cea608_no_pkt_durations', '1/90000', '24/1');
    assert.equal(p.frames, 58);
    assert.equal(p.rate, '24/1', 'two missing frames at the start are a gap, not a slower rate');
    assert.equal(p.grid.startPts, 0);
    assert.equal(p.grid.endPts, 221249 + 3750);
    assert.equal(p.outputFrames, 60, 'MANIFEST: the single pass gives 60 frames');
  });

  it('a hidden picture is no frame: 5 packets, 4 frames (iPhone HEVC, edit list)', () => {
    const p = probed('iphone_hevc10_dolbyvision_hlg_rot270_5pkts', '1/600', '30/1');
    assert.equal(p.frames, 4);
    assert.equal(p.rate, '30/1');
    assert.deepEqual([p.grid.startPts, p.grid.endPts], [0, 80]);
    assert.equal(p.outputFrames, 4, 'MANIFEST: 4 frames');
    assert.equal(timelineFromPackets(packetsOf('iphone_hevc10_dolbyvision_hlg_rot270_5pkts')).copyable, false, 'a stream copy would show the hidden picture');
  });

  it('an edit list hiding the first decoded picture at -1 s: 12 frames from 0 (13 packets)', () => {
    const p = probed('mp4_h264_444_editlist_negpts_13pkts_12frames', '1/16384', '1/1');
    assert.equal(p.frames, 12);
    assert.equal(p.grid.startPts, 0, 'the hidden picture does not move the start to -1 s');
    assert.equal(p.rate, '1/1');
    assert.equal(p.outputFrames, 12, 'MANIFEST: 12 frames');
  });

  it('FLV counts in milliseconds: the rate comes from the frames (24), never from the timebase (1000)', () => {
    const p = probed('flv_h264_1khz_cts_offset_3gops_noaudio', '1/1000', '1000/1');
    assert.equal(p.rate, '24/1');
    assert.equal(p.grid.startPts, 84, 'the first pts, 84 ms (dts starts at 0)');
    assert.equal(p.outputFrames, 71, 'MANIFEST: 71 frames');
  });

  it('WebM in nanoseconds: exact arithmetic, 90 frames at 30', () => {
    const p = probed('webm_vp9_ns_timebase_642x642_3gops', '1/1000000000', '30/1');
    assert.equal(p.rate, '30/1');
    assert.equal(p.outputFrames, 90, 'MANIFEST: 90 frames');
    // 2966666666 ns + 33333333 ns: the end lands on the 90th slot, not beside it through float rounding.
    assert.equal(p.grid.endPts, 2999999999);
  });

  it('VFR with no packet durations and B-frames: 167 frames at 29.97', () => {
    const p = probed('mp4_h264_vfr_fullrange_gop7_nodur', '1/90000', '359/12');
    assert.equal(p.frames, 167);
    assert.equal(p.rate, '30000/1001');
    assert.equal(p.outputFrames, 167);
  });

  it('24 fps content in a 1/30 timebase encodes at 24: every frame once', () => {
    const p = probed('bbb_h264_aac_480x360_10s', '1/30', '30/1');
    assert.equal(p.rate, '24/1');
    assert.equal(p.outputFrames, 240);
  });

  it('AVI without pts: the packets cannot say what shows, so the probe decodes', () => {
    const timeline = timelineFromPackets(packetsOf('avi_h264_bframes_nopts_mp3'));
    assert.equal(timeline.frames.length, 0);
    assert.equal(timeline.copyable, false);
    assert.equal(timeline.keyframes.length, 1, 'keyframes still come from dts, for seeking');
  });

  it('the motion photo: the default video track, not the still-image track beside it', () => {
    const streams = streamsOf('phone_hevc_motionphoto_rot90_vfr_2vtracks');
    assert.equal(streams.filter((s) => s.codec_type === 'video').length, 2);
    assert.equal(mainVideoStream(streams)?.index, 0);
    assert.equal(mainVideoStream([{ index: 0, codec_type: 'video', disposition: { attached_pic: 1 } }, { index: 1, codec_type: 'video' }])?.index, 1);
    assert.equal(mainVideoStream([{ index: 0, codec_type: 'video', disposition: { default: 0 } }, { index: 1, codec_type: 'video', disposition: { default: 1 } }])?.index, 1);
    const p = probed('phone_hevc_motionphoto_rot90_vfr_2vtracks', '1/90000', '120/1');
    assert.equal(p.frames, 53);
    assert.equal(p.rate, '30000/1001', 'VFR around 29.9, not the 120 the container flags');
  });
});

describe('checking the packet model against decoded frames', () => {
  it('accepts decoded frames that are the model from their first one on, and nothing else', () => {
    const model = [0, 40, 80, 120, 160];
    assert.equal(agreesWithDecoded(model, [0, 40, 80]), true);
    assert.equal(agreesWithDecoded(model, [80, 120, 160]), true, 'decoding from a seek');
    assert.equal(agreesWithDecoded(model, [0, 80, 120]), false, 'a frame the packets list did not decode');
    assert.equal(agreesWithDecoded(model, [0, 40, 60]), false);
    assert.equal(agreesWithDecoded(model, []), false);
    // Leading pictures a decoder drops at the very start never show.
    assert.deepEqual(fromFirstDecoded({ ...timelineFromPackets([]), frames: [-40, 0, 40] }, 0).frames, [0, 40]);
  });

  it('finds where a stream copy may cut: not at an open-GOP keyframe with leading pictures', () => {
    const p = (pts: number, key = false): PacketFacts => ({ pts, dts: 0, key, discard: false });
    // Decode order: K(0) P(40) B(20) | K(80) B(60) ← 60 shows before 80: open | K(120) P(160)
    const timeline = timelineFromPackets([p(0, true), p(40), p(20), p(80, true), p(60), p(120, true), p(160)]);
    assert.deepEqual(timeline.keyframes, [0, 80, 120]);
    assert.deepEqual(timeline.cleanCuts, [0, 120]);
  });
});

describe('frame rates from timestamps', () => {
  const ms: Rational = { num: 1, den: 1000 };
  it('sees 60 fps through millisecond rounding, 24 through a 1/30 timebase, and 29.97 as NTSC', () => {
    const sixty = Array.from({ length: 60 }, (_, i) => Math.round((i * 1000) / 60));
    assert.deepEqual(snapFrameRate(measureFrameRate(sixty, ms, 16)!), { num: 60, den: 1 });
    const ntsc = Array.from({ length: 90 }, (_, i) => Math.round((i * 1001) / 30));
    assert.deepEqual(snapFrameRate(measureFrameRate(ntsc, ms, 33)!), { num: 30000, den: 1001 });
    // 24 fps content in a 1/30 timebase: gaps of 1 and 2 ticks; the last frame lasts until tick 60.
    const film = Array.from({ length: 48 }, (_, i) => Math.floor((i * 30) / 24));
    assert.deepEqual(snapFrameRate(measureFrameRate(film, { num: 1, den: 30 }, 60 - film[47])!), { num: 24, den: 1 });
  });

  it('leaves gaps (dropped frames, pauses) out, keeps odd rates exact, and falls back sensibly', () => {
    const dropped = [0, 11250, 15000, 18750, 22500, 26250, 30000];
    assert.deepEqual(snapFrameRate(measureFrameRate(dropped, { num: 1, den: 90000 })!), { num: 24, den: 1 });
    assert.deepEqual(snapFrameRate(12.5), { num: 25, den: 2 });
    assert.deepEqual(snapFrameRate(1), { num: 1, den: 1 });
    assert.equal(measureFrameRate([0], ms), undefined, 'one frame without a duration says nothing');
    assert.deepEqual(sourceFrameRate(undefined, { num: 1000, den: 1 }, ms), { num: 25, den: 1 }, 'the timebase is no frame rate');
    assert.deepEqual(sourceFrameRate(undefined, { num: 30, den: 1 }, ms), { num: 30, den: 1 });
  });

  it('turns a rendition fps into an exact fraction', () => {
    assert.equal(rateFraction(30), '30/1');
    assert.equal(rateFraction(29.97), '30000/1001');
    assert.equal(rateFraction(23.976), '24000/1001');
    assert.equal(rateFraction(12.5), '25/2');
  });
});

describe('grid arithmetic', () => {
  it('rounds halves away from zero, as ffmpeg rescales, also before the start', () => {
    const fps: Rational = { num: 30, den: 1 };
    // 24 fps frames on a 30 fps grid land on halves: 2/24 s = 2.5 slots.
    assert.equal(slotAt({ num: 2, den: 24 }, fps), 3);
    assert.equal(slotAt({ num: 1, den: 24 }, fps), 1);
    assert.equal(slotAt({ num: -2, den: 24 }, fps), -3);
    assert.equal(slotAt({ num: 0, den: 1 }, fps), 0);
  });

  it('stays exact with nanosecond pts over hours', () => {
    const grid: FrameGrid = { timeBase: '1/1000000000', startPts: 1_000_000_000, endPts: 1_000_000_000 + 10 * 3600 * 1_000_000_000 };
    assert.equal(gridFrameCount(grid, { num: 30000, den: 1001 }), Math.round((36000 * 30000) / 1001));
    assert.deepEqual(gridTime(grid, 1_000_000_000 + 33_366_667), { num: 33_366_667, den: 1_000_000_000 });
    assert.equal(rescalePts(4267, { num: 1, den: 64000 }, { num: 1, den: 1000 }), 67);
    assert.equal(rescalePts(2048, { num: 1, den: 61440 }, { num: 1, den: 30 }), 1);
  });
});
