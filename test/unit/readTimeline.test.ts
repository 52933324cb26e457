// The probe's tail check seeks straight to the last keyframe in containers with
// a keyframe index: it must read the same timeline, from the packets, as the
// seek with a margin before it did.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeStreams, mainVideoStream } from '../../src/media/probe';
import { readTimeline, seeksByIndex } from '../../src/media/readTimeline';
import { makeClip } from '../support/clips';
import { needsSharedClips, sharedClip } from '../support/sharedMedia';

async function bothWays(file: string): Promise<void> {
  const json = await probeStreams(file);
  const v = mainVideoStream(json.streams ?? []);
  assert.ok(v, `${file} has video`);
  const formatName = json.format?.format_name;
  assert.ok(seeksByIndex(formatName), `${formatName} seeks by index`);
  const src = { file, stream: v.index, timeBase: v.time_base ?? '1/90000', formatStart: Number(json.format?.start_time ?? 0) };
  const margin = await readTimeline(src);
  const indexed = await readTimeline({ ...src, indexedSeek: true });
  assert.deepEqual(indexed.frames, margin.frames, `${file}: the same frames`);
  assert.equal(indexed.method, margin.method, `${file}: read the same way`);
}

const CLIPS = ['fmp4_london_15s_18gops.mp4', 'concert_h264_pcm_1080p50.mov', 'corpus/mkv_h264_444_aac_mono_negstart_longgop.mkv', 'corpus/mp4_h264_editlist_video_starts_1s_audio_longer.mp4', 'corpus/mp4_h264_vfr_fullrange_gop7_nodur.mp4'];

describe('readTimeline with an indexed seek', () => {
  it('reads generated MP4 and Matroska clips with B-frames from their packets, as with a margin', async () => {
    for (const container of ['mp4', 'mkv'] as const) {
      const file = makeClip({ seconds: 6, fps: 25, gop: 25, container });
      await bothWays(file);
      const json = await probeStreams(file);
      const timeline = await readTimeline({ file, stream: 0, timeBase: json.streams![0].time_base!, formatStart: Number(json.format?.start_time ?? 0), indexedSeek: true });
      assert.equal(timeline.method, 'packets');
      assert.equal(timeline.frames.length, 150);
    }
  });

  it('agrees with the margin seek on the shared MP4, MOV and Matroska clips', needsSharedClips(...CLIPS), async () => {
    for (const name of CLIPS) await bothWays(sharedClip(name));
  });
});
