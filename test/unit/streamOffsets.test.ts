// Offsets count from the earlier kept stream, never from a container start
// set by a stream the output drops.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { MediaInfo } from '../../src/core/media/mediaInfo';
import { streamOffsets } from '../../src/core/media/streamOffsets';
import { mergeArgs } from '../../src/media/ffmpegArgs';

function source(formatStart: number, videoStart: number, audioStart?: number): MediaInfo {
  return {
    formatName: 'mpegts',
    duration: 1,
    startTime: formatStart,
    size: 1,
    video: { startTime: videoStart } as MediaInfo['video'],
    audio: audioStart === undefined ? undefined : ({ startTime: audioStart } as MediaInfo['audio']),
  };
}

it('counts from the earlier of video and audio, not from a data stream that starts the container earlier', () => {
  // ts_mpeg2_mp2_scte35_3frames.ts: SCTE-35 at 0.7 s, audio at 1.422456 s, video at 1.433367 s.
  const o = streamOffsets(source(0.7, 1.433367, 1.422456), true);
  assert.ok(Math.abs(o.video - 0.010911) < 1e-9, `video ${o.video}`);
  assert.equal(o.audio, 0);
});

it('keeps late audio late and late video late', () => {
  assert.deepEqual(streamOffsets(source(1.48, 1.48, 1.98), true), { video: 0, audio: 0.5 });
  assert.deepEqual(streamOffsets(source(0, 1, 0), true), { video: 1, audio: 0 });
});

it('is zero for an output without audio or a source without one', () => {
  assert.deepEqual(streamOffsets(source(0, 1, 0), false), { video: 0, audio: 0 });
  assert.deepEqual(streamOffsets(source(0, 1), true), { video: 0, audio: 0 });
});

it('moves audio back as well as forward', () => {
  const args = mergeArgs({ concatList: 'l.txt', videoOffset: 0.010911, audioFile: 'src.ts', audioOffset: -0.722456, container: 'mp4', hevc: false, output: 'o.mp4' });
  assert.deepEqual(args.slice(0, 2), ['-itsoffset', '0.010911']);
  const audioAt = args.indexOf('-itsoffset', 2);
  assert.equal(args[audioAt + 1], '-0.722456');
});
