// The probe's tail check seeks straight to the last keyframe in containers with
// a keyframe index: it must read the same timeline, from the packets, as the
// seek with a margin before it did.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
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

describe('readTimeline without packet timestamps', () => {
  it('decodes everything for an AVI with B-frames, stopping the head decode it no longer needs', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'timeline-')), 'bframes.avi');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4', '-c:v', 'mpeg4', '-bf', '2', '-g', '25', file]);
    const timeline = await readTimeline({ file, stream: 0, timeBase: '1/25', formatStart: 0 });
    assert.equal(timeline.method, 'decoded');
    // Every frame, one tick apart (where the decoder starts counting is the container's affair).
    assert.equal(timeline.frames.length, 100);
    timeline.frames.forEach((pts, i) => assert.equal(pts, timeline.frames[0] + i));
    assert.equal(timeline.copyable, false);
  });

  it('stops when the caller aborts', async () => {
    const file = makeClip({ seconds: 6, fps: 25, gop: 25, container: 'mkv' });
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(readTimeline({ file, stream: 0, timeBase: '1/1000', formatStart: 0 }, aborted.signal));
  });
});
