// Every file of the real-world corpus (../shared/media/corpus, see its
// MANIFEST.tsv) through whole jobs at 1 s and 2 s shards, each output checked
// frame by frame against a plain single-pass encode on the same grid: the same
// number of frames, no frame showing its neighbour, every frame close to the
// reference's. Expectations come from ffmpeg and ffprobe run here and from the
// MANIFEST, never from our own media code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeFile } from '../support/ffprobe';
import { framePsnr, gridFrames, lastFrame, matchFrames } from '../support/frameCompare';
import { expectedSize, singlePassEncode, sourceFacts } from '../support/mediaFacts';
import { needsSharedClips, sharedClip } from '../support/sharedMedia';
import { createTestEnv, type TestEnv } from '../support/testEnv';

/** How much worse than the single pass's worst frame ours may be, against the source frames of the grid. */
const MAX_WORSE_DB = 3;

interface ManifestRow {
  file: string;
  oracle: string;
  oracleFrames: number;
  traits: string;
}

function manifest(): ManifestRow[] {
  const lines = readFileSync(sharedClip('corpus/MANIFEST.tsv'), 'utf8').trim().split('\n');
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const cols = l.split('\t');
    const get = (name: string): string => cols[head.indexOf(name)];
    return { file: get('file'), oracle: get('oracle'), oracleFrames: Number(get('oracle_frames')), traits: get('traits') };
  });
}

/**
 * Files whose MANIFEST single pass ran with our settings: its rate is the one we measure and its video starts
 * where the file starts. The others differ on purpose: the single pass fills a late video start with copies of
 * the first frame (AVI, the edit list starting at 1 s), keeps the container's 120 fps flag (motion photo) or
 * 359/12 (the VFR clock), or shifts video for the mono track's negative start (Matroska).
 */
const ORACLE_SETTINGS_MATCH = new Set([
  'ts_h264_aac_cea608_no_pkt_durations.ts',
  'flv_h264_1khz_cts_offset_3gops_noaudio.flv',
  'iphone_hevc10_dolbyvision_hlg_rot270_5pkts.mov',
  'mp4_h264_444_editlist_negpts_13pkts_12frames.mp4',
  'webm_vp9_ns_timebase_642x642_3gops.webm',
  'mp4_h264_rot180_5s_gop30.mp4',
  'mp4_av1_10bit_hdr10_portrait_longgop.mp4',
  'webm_vp8_1080p60_vorbis51.webm',
  'ts_mpeg2_mp2_scte35_3frames.ts',
]);

/** The last shown packet has no duration: ffmpeg 5.1's fps filter then ends at its start and drops it; we show it for a frame. */
function lastFrameWithoutDuration(file: string): boolean {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,duration,flags', '-of', 'json', file], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const shown = (JSON.parse(out).packets as { pts?: number; duration?: number; flags: string }[]).filter((p) => p.pts !== undefined && !p.flags.includes('D'));
  if (shown.length === 0) return false;
  const last = shown.reduce((a, b) => (b.pts! > a.pts! ? b : a));
  return !(last.duration! > 0);
}

const FILES = (() => {
  try {
    return readdirSync(path.dirname(sharedClip('corpus/MANIFEST.tsv'))).filter((f) => !/\.(tsv|md)$/.test(f)).sort();
  } catch {
    return [];
  }
})();

describe('transcodeVideo on the real-world corpus, frame by frame against a single pass', needsSharedClips('corpus/MANIFEST.tsv'), () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('has the files the MANIFEST lists', () => {
    assert.deepEqual(FILES, manifest().map((r) => r.file).sort());
  });

  // Still wrong, with what the comparison shows; runs and reports as TODO until fixed.
  for (const segmentSeconds of [1, 2]) {
    for (const file of FILES) {
      it(`${file} at ${segmentSeconds} s shards`, async () => {
        const row = manifest().find((r) => r.file === file)!;
        const source = sharedClip(`corpus/${file}`);
        const facts = sourceFacts(source);
        const outDir = path.join(env.dir, 'out', `${path.parse(file).name}-${segmentSeconds}`);
        const result = await env.run({ source: `file://${source}`, output: `file://${outDir}/`, renditions: ['mp4-360p'], segmentSeconds });
        const job = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
        const out = path.join(outDir, 'mp4-360p.mp4');
        const probed = probeFile(out);
        const video = probed.streams.find((s) => s.type === 'video')!;
        const audio = probed.streams.find((s) => s.type === 'audio');
        const fps = job.sourceInfo.frameRate as string;

        // Upright, even-sized (the odd 161x121 VP9 goes to 160x120), no rotation flag.
        assert.deepEqual({ width: video.width, height: video.height }, expectedSize(facts, 360), 'output size');
        assert.equal(video.rotation, 0);

        // The single pass on the same grid: anchored at the first frame, the same rate, the same size, 4:2:0.
        const size = expectedSize(facts, 360);
        const chain = ['setpts=PTS-STARTPTS', `fps=${fps}`, `scale=${size.width}:${size.height}`, 'format=yuv420p'];
        const name = `${path.parse(file).name}-${segmentSeconds}`;
        const ref = path.join(env.dir, `ref-${name}.mp4`);
        singlePassEncode(source, ref, chain);
        const refFrames = probeFile(ref).streams.find((s) => s.type === 'video')!.frames!;
        const extra = lastFrameWithoutDuration(source) ? 1 : 0;
        assert.equal(video.frames, refFrames + extra, `frames: ours ${video.frames}, single pass ${refFrames}${extra ? ' (+1: the last frame has no duration)' : ''}`);
        assert.equal(result.renditions[0].frames, video.frames, 'the workflow reports what the file holds');
        if (row.oracle === 'OK' && ORACLE_SETTINGS_MATCH.has(file)) {
          assert.equal(video.frames, row.oracleFrames, `the MANIFEST's single pass gave ${row.oracleFrames} frames`);
        }

        // Every frame against the source frame of its slot, and no worse than the single pass's worst frame by 3 dB.
        const grid = gridFrames(source, chain, path.join(env.dir, `grid-${name}.mkv`));
        const match = matchFrames(out, grid, refFrames);
        const single = Math.min(...framePsnr(ref, grid, refFrames));
        assert.equal(match.frames, refFrames, 'every frame compared');
        assert.deepEqual(match.shifted, [], 'frames that show a neighbouring source frame');
        assert.ok(match.minPsnr >= single - MAX_WORSE_DB, `worst frame ${match.minPsnr.toFixed(2)} dB, the single pass's ${single.toFixed(2)} dB`);
        if (extra) {
          // The frame the single pass drops is the source's last frame, held for one frame.
          const want = lastFrame(source, chain.filter((f) => !f.startsWith('fps=')).join(','), path.join(env.dir, `last-src-${name}.png`));
          const got = lastFrame(out, 'null', path.join(env.dir, `last-out-${name}.png`));
          const psnr = framePsnr(got, want, 1)[0];
          assert.ok(psnr >= single - MAX_WORSE_DB, `the extra frame is the last source frame: ${psnr} dB`);
        }

        // Audio: kept when present, at most the source's channels (mono stays mono, 5.1 becomes stereo).
        const sourceAudio = facts.audio;
        if (!sourceAudio) assert.equal(audio, undefined);
        else {
          assert.equal(audio?.codec, 'aac');
          const channelsOf = (file: string): number =>
            JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=channels', '-of', 'json', file], { encoding: 'utf8' }))
              .streams[0].channels;
          const channels = channelsOf(source);
          const got = channelsOf(out);
          assert.equal(got, Math.min(channels, 2), `audio channels: source ${channels}`);
        }
        // Figures for the record, on stderr: frames vs the single pass and the worst frame's PSNR.
        process.stderr.write(
          `corpus ${file} @${segmentSeconds}s: ${job.splitMode} ${job.shards} shards, ${video.frames} frames (single pass ${refFrames}), ` +
            `worst frame ${match.minPsnr.toFixed(2)} dB (single pass ${single.toFixed(2)} dB)\n`,
        );
      });
    }
  }
});
