// normalizeJob: the one gate every job passes, whether it came from our CLI,
// our client or the plain Temporal CLI. A rejection must be a non-retryable
// InvalidJob failure whose message names the offending field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, normalizeJob } from '../../src/core/job/jobInput';
import { PRESETS, PRESET_NAMES } from '../../src/core/job/presets';

const base = { source: 'file:///media/in.mp4', output: 'file:///media/out/' };

/** Asserts `raw` is refused as InvalidJob with a message matching every pattern (field names first). */
function rejects(raw: unknown, ...patterns: (string | RegExp)[]): string {
  let caught: unknown;
  try {
    normalizeJob(raw);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ApplicationFailure, `expected an InvalidJob failure for ${JSON.stringify(raw)}, got ${String(caught)}`);
  assert.equal(caught.type, 'InvalidJob');
  assert.equal(caught.nonRetryable, true);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `${JSON.stringify(caught.message)} should name ${p}`);
    else assert.match(caught.message, p);
  }
  return caught.message;
}

describe('normalizeJob: defaults and presets', () => {
  it('fills every default for a minimal job', () => {
    const job = normalizeJob(base);
    assert.equal(job.source, base.source);
    assert.equal(job.output, base.output);
    assert.equal(job.segmentSeconds, undefined, 'shard lengths chosen from the media slots');
    assert.equal(job.batchSize, DEFAULT_BATCH_SIZE);
    assert.deepEqual(job.renditions, [PRESETS['mp4-720p']]);
    assert.equal(job.watermark, undefined);
    assert.equal(job.jobId, undefined);
  });

  it('expands every preset by name to its full spec', () => {
    const job = normalizeJob({ ...base, renditions: PRESET_NAMES });
    assert.deepEqual(job.renditions, PRESET_NAMES.map((n) => PRESETS[n]));
    for (const r of job.renditions) assert.ok(PRESET_NAMES.includes(r.name));
  });

  it('overlays an explicit spec on a named preset', () => {
    const [r] = normalizeJob({ ...base, renditions: [{ preset: 'mp4-720p', name: 'sharp-720', video: { crf: 18 } }] }).renditions;
    assert.equal(r.name, 'sharp-720');
    assert.equal(r.container, 'mp4');
    assert.deepEqual(r.video, { ...PRESETS['mp4-720p'].video, crf: 18 });
    assert.deepEqual(r.audio, PRESETS['mp4-720p'].audio);
  });

  it('takes a full explicit spec as given and defaults what it leaves out', () => {
    const [webm, bare] = normalizeJob({
      ...base,
      renditions: [
        { name: 'vp9', container: 'webm', video: { codec: 'vp9', height: 480, bitrate: '1.5M', fps: 30 }, audio: { codec: 'opus', bitrate: '96k' } },
        { name: 'bare' },
      ],
    }).renditions;
    assert.deepEqual(webm, { name: 'vp9', container: 'webm', video: { codec: 'vp9', height: 480, bitrate: '1.5M', fps: 30 }, audio: { codec: 'opus', bitrate: '96k' } });
    // No preset and no fields: H.264 + AAC in MP4 at the source size.
    assert.deepEqual(bare, { name: 'bare', container: 'mp4', video: { codec: 'h264' }, audio: { codec: 'aac', bitrate: '128k' } });
  });

  it('keeps the optional fields it validated', () => {
    const job = normalizeJob({
      ...base,
      segmentSeconds: 0.5,
      batchSize: MAX_BATCH_SIZE,
      jobId: 'job-1.a_b',
      mediaTaskQueue: 'gpu-pool',
      watermark: { text: 'preview', position: 'top-left' },
    });
    assert.equal(job.segmentSeconds, 0.5);
    assert.equal(job.batchSize, MAX_BATCH_SIZE);
    assert.equal(job.jobId, 'job-1.a_b');
    assert.equal(job.mediaTaskQueue, 'gpu-pool');
    assert.deepEqual(job.watermark, { text: 'preview', position: 'top-left' });
  });

  it('is idempotent: a normalized job normalizes to itself', () => {
    const once = normalizeJob({ ...base, renditions: ['webm-720p', { preset: 'mp4-480p', name: 'x' }], segmentSeconds: 4 });
    assert.deepEqual(normalizeJob(once), once);
  });
});

describe('normalizeJob: the Alibaba sample shapes', () => {
  it('maps the Function Compute shape {bucket_name, object_key, output_dir}', () => {
    const job = normalizeJob({ bucket_name: 'media-bkt', object_key: 'uploads/cat video.mov', output_dir: '/transcoded/cat/' });
    assert.equal(job.source, 'oss://media-bkt/uploads/cat video.mov');
    // The leading slash of output_dir is a folder in the same bucket, not the bucket root.
    assert.equal(job.output, 'oss://media-bkt/transcoded/cat/');
    assert.deepEqual(job.renditions, [PRESETS['mp4-720p']]);
    assert.equal(job.segmentSeconds, undefined);
  });

  it('takes dst_type of the Function Compute shape as the one output format', () => {
    const job = normalizeJob({ bucket_name: 'b', object_key: 'a.mp4', output_dir: 'out', dst_type: 'WEBM' });
    assert.equal(job.output, 'oss://b/out');
    assert.equal(job.renditions.length, 1);
    assert.equal(job.renditions[0].container, 'webm');
    assert.equal(job.renditions[0].video.codec, 'vp9');
  });

  it('maps the Serverless Workflow shape {oss_bucket_name, video_key, output_prefix, segment_time_seconds, dst_formats}', () => {
    const job = normalizeJob({
      oss_bucket_name: 'flow-bkt',
      video_key: 'in/talk.mp4',
      output_prefix: 'out/talk/',
      segment_time_seconds: 30,
      dst_formats: ['mp4', 'webm', 'mkv'],
    });
    assert.equal(job.source, 'oss://flow-bkt/in/talk.mp4');
    assert.equal(job.output, 'oss://flow-bkt/out/talk/');
    assert.equal(job.segmentSeconds, 30);
    assert.deepEqual(job.renditions.map((r) => [r.name, r.container, r.video.codec, r.audio.codec]), [
      ['mp4', 'mp4', 'h264', 'aac'],
      ['webm', 'webm', 'vp9', 'opus'],
      ['mkv', 'mkv', 'h264', 'aac'],
    ]);
  });

  it('defaults dst_formats to mp4 and segment_time_seconds to ours', () => {
    const job = normalizeJob({ oss_bucket_name: 'b', video_key: 'v.mp4', output_prefix: 'o/' });
    assert.deepEqual(job.renditions.map((r) => r.name), ['mp4']);
    assert.equal(job.segmentSeconds, undefined);
  });

  it('takes dst format m3u8 as an HLS streaming job, alone in its job', () => {
    const job = normalizeJob({ oss_bucket_name: 'b', video_key: 'v.mp4', output_prefix: 'o/', dst_formats: ['M3U8'] });
    assert.deepEqual(job.stream?.formats, ['hls']);
    assert.ok(job.renditions.every((r) => r.video.codec === 'h264'), 'the rungs of the default ladder');
    assert.deepEqual(normalizeJob({ bucket_name: 'b', object_key: 'a.mp4', output_dir: 'out', dst_type: 'm3u8' }).stream?.formats, ['hls']);
    rejects({ oss_bucket_name: 'b', video_key: 'v.mp4', output_prefix: 'o/', dst_formats: ['mp4', 'm3u8'] }, '"m3u8"', 'mp4', 'job of its own');
  });

  it('refuses what the Alibaba shapes cannot express, naming it', () => {
    rejects({ oss_bucket_name: 'b', video_key: 'v.mp4', output_prefix: 'o/', dst_formats: ['flv'] }, 'dst format', '"flv"', 'mp4');
    rejects({ bucket_name: 'b', object_key: 'v.mp4', output_dir: 'o', dst_type: 'avi' }, 'dst format', '"avi"');
    rejects({ oss_bucket_name: 'b', video_key: 'v.mp4', output_prefix: 'o/', segment_time_seconds: 0 }, 'segmentSeconds');
    rejects({ bucket_name: 'b', object_key: '../secrets/key.pem', output_dir: 'o' }, '"source"', '..');
    rejects({ oss_bucket_name: 'b', video_key: 'v.mp4', output_prefix: 'o/../../other/' }, '"output"', '..');
  });
});

describe('normalizeJob: every rejection names the field', () => {
  it('refuses a job that is not an object', () => {
    for (const raw of [null, undefined, 42, 'file:///in.mp4', [base]]) rejects(raw, 'JSON object');
  });

  it('refuses bad source and output URLs', () => {
    rejects({ output: base.output }, '"source"');
    rejects({ ...base, source: '' }, '"source"');
    rejects({ ...base, source: 7 }, '"source"');
    rejects({ ...base, source: 'http://example.com/a.mp4' }, '"source"', 'unsupported scheme');
    rejects({ ...base, source: '/abs/in.mp4' }, '"source"', 'file:///abs/in.mp4');
    rejects({ ...base, source: 'file://relative/in.mp4' }, '"source"', 'absolute');
    rejects({ ...base, source: 'file:///media/../etc/passwd' }, '"source"', '..');
    rejects({ ...base, source: 'file:///media/in\0.mp4' }, '"source"', 'NUL');
    rejects({ source: base.source }, '"output"');
    rejects({ ...base, output: 'ftp://host/out/' }, '"output"');
    rejects({ ...base, output: 'oss://bkt/a/../../b/' }, '"output"', '..');
  });

  it('refuses segment lengths outside 0.5..3600 s or not numbers', () => {
    for (const bad of [-5, 0, 0.25, 3601, Number.NaN, Number.POSITIVE_INFINITY, '10']) {
      rejects({ ...base, segmentSeconds: bad }, '"segmentSeconds"');
    }
    // The message quotes what was sent, so the user can spot the typo.
    rejects({ ...base, segmentSeconds: -5 }, 'got -5');
  });

  it('refuses bad rendition lists and names the rendition by index', () => {
    rejects({ ...base, renditions: [] }, '"renditions"');
    rejects({ ...base, renditions: 'mp4-720p' }, '"renditions"');
    rejects({ ...base, renditions: ['mp4-720p', 'mp4-9000p'] }, 'renditions[1]', '"mp4-9000p"', 'known presets', 'mp4-360p');
    rejects({ ...base, renditions: [{ preset: 'nope', name: 'x' }] }, 'renditions[0]', '"nope"');
    rejects({ ...base, renditions: [42] }, 'renditions[0]');
    rejects({ ...base, renditions: [null] }, 'renditions[0]');
  });

  it('refuses every bad rendition field by its name', () => {
    const r = (spec: Record<string, unknown>): unknown => ({ ...base, renditions: ['mp4-360p', { name: 'x', ...spec }] });
    rejects(r({ name: '' }), 'renditions[1]', '"name"');
    rejects(r({ name: '../x' }), 'renditions[1]', '"name"');
    rejects(r({ name: 'a b' }), '"name"');
    rejects(r({ name: 'x'.repeat(65) }), '"name"');
    rejects(r({ container: 'avi' }), 'renditions[1]', 'container');
    rejects(r({ video: { codec: 'mpeg2' } }), 'video.codec');
    rejects(r({ audio: { codec: 'mp3' } }), 'audio.codec');
    rejects(r({ container: 'webm', video: { codec: 'h264' }, audio: { codec: 'opus' } }), 'webm cannot carry h264 video');
    rejects(r({ container: 'webm', video: { codec: 'vp9' }, audio: { codec: 'aac' } }), 'webm cannot carry aac audio');
    for (const height of [8, 0, -720, 720.5, 9000]) rejects(r({ video: { codec: 'h264', height } }), 'video.height');
    for (const crf of [-1, 64, '23']) rejects(r({ video: { codec: 'h264', crf } }), 'video.crf');
    for (const fps of [0, -30, 241, '30']) rejects(r({ video: { codec: 'h264', fps } }), 'video.fps');
    for (const bitrate of ['fast', '5 M', '-1k', '1e6']) rejects(r({ video: { codec: 'h264', bitrate } }), 'video.bitrate');
    rejects(r({ audio: { codec: 'aac', bitrate: 'loud' } }), 'audio.bitrate');
    // Presets reach ffmpeg as one argument each, but only plain names are ever valid.
    for (const preset of ['very fast', 'fast;rm', '-crf', 'Fast']) rejects(r({ video: { codec: 'h264', preset } }), 'video.preset');
  });

  it('refuses two renditions with one name', () => {
    rejects({ ...base, renditions: ['mp4-360p', { preset: 'mp4-480p', name: 'mp4-360p' }] }, 'named "mp4-360p"', 'unique');
  });

  it('refuses bad job ids and batch sizes', () => {
    for (const jobId of ['', 'a/b', '../x', '-lead', 'x'.repeat(129), 12]) rejects({ ...base, jobId }, '"jobId"');
    for (const batchSize of [0, -1, 1.5, MAX_BATCH_SIZE + 1, '10']) rejects({ ...base, batchSize }, '"batchSize"', String(MAX_BATCH_SIZE));
  });

  it('refuses bad watermarks', () => {
    rejects({ ...base, watermark: {} }, '"watermark"');
    rejects({ ...base, watermark: 'hello' }, '"watermark"');
    rejects({ ...base, watermark: { text: 'x'.repeat(201) } }, '"watermark.text"');
    rejects({ ...base, watermark: { text: 5 } }, '"watermark.text"');
    rejects({ ...base, watermark: { image: 'file://logo.png' } }, '"watermark.image"');
    rejects({ ...base, watermark: { image: 'file:///logos/../../etc/shadow' } }, '"watermark.image"', '..');
    rejects({ ...base, watermark: { text: 'x', position: 'middle' } }, '"watermark.position"', 'bottom-right');
  });
});
