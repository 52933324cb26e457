// ffmpeg commands the ladder scenario compares streaming jobs with: plain
// ffmpeg's one-command HLS ladder (decode once, split, one x264 per rung), and
// the decode alone of one shard. Both are built from the pieces the shard tasks
// use (src/media), so the x264 settings, the frame picking and the CMAF muxer
// options are the rungs' own; the shard tasks' own shared-decode command is
// src/media/sharedDecodeArgs.ts.
import * as path from 'node:path';
import type { RenditionSpec } from '../src/core/job/rendition';
import type { Rational } from '../src/core/media/rational';
import { cmafOutputArgs, segmentKeyframeArgs, videoCutAfterSeconds } from '../src/media/cmafArgs';
import { gridPickFilters, pictureFilters, shardInputArgs, sourceClock, type ShardGeometry } from '../src/media/ffmpegArgs';
import { splitInto, type ShardFrames } from '../src/media/sharedDecodeArgs';

/** A rung's chain as a user writes it: upright and scaled from the source, square pixels. */
function rungChain(geometry: ShardGeometry, rendition: RenditionSpec): string {
  return [...pictureFilters(geometry, rendition.video), 'format=yuv420p'].join(',');
}

export interface PlainLadderInput {
  source: string;
  /** Folder the ladder goes to: `<rung>/index.m3u8` and its segments, `audio/`, `master.m3u8`. */
  outDir: string;
  rungs: RenditionSpec[];
  geometry: ShardGeometry;
  fps: Rational;
  segmentFrames: number;
  /** AAC bit rate of the audio group; undefined for a source without audio. */
  audioBitrate?: string;
}

/**
 * What a user would run for the same ladder: one ffmpeg decodes the source once, `split` + `scale` feed one x264
 * per rung with the rungs' settings (CRF, preset, maxrate/bufsize, no B-frames, an IDR at every segment
 * boundary), AAC once as an audio group of its own, and the HLS muxer in fMP4 mode writes every variant
 * (`-var_stream_map`) with the same segment length. Default threads, as a user runs it.
 */
export function plainLadderArgs(p: PlainLadderInput): string[] {
  const split = splitInto(p.rungs.length, 's');
  const graph = [`[0:v:0]${split.filter}`, ...p.rungs.map((r, i) => `[${split.labels[i]}]${rungChain(p.geometry, r)}[v${i}]`)].join(';');
  const encoders = p.rungs.flatMap((r, i) => {
    const v = r.video;
    if (v.codec !== 'h264' || !v.maxBitrate) throw new Error(`internal: rung ${r.name} is not a capped H.264 rung`);
    const max = Number.parseInt(v.maxBitrate, 10);
    return [
      '-map', `[v${i}]`, `-c:v:${i}`, 'libx264', `-preset:v:${i}`, v.preset ?? 'veryfast', `-crf:v:${i}`, String(v.crf ?? 23),
      `-maxrate:v:${i}`, `${max}k`, `-bufsize:v:${i}`, `${2 * max}k`,
    ];
  });
  const audio = p.audioBitrate ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', p.audioBitrate] : [];
  const streams = [
    ...p.rungs.map((r, i) => `v:${i},${p.audioBitrate ? 'agroup:aud,' : ''}name:${r.name}`),
    ...(p.audioBitrate ? ['a:0,agroup:aud,name:audio'] : []),
  ];
  const muxer = cmafOutputArgs({ dir: path.join(p.outDir, '%v'), cutAfterSeconds: videoCutAfterSeconds(p.segmentFrames, p.fps), firstNumber: 0 });
  muxer.pop(); // the shard tasks' scratch playlist name; here each variant's playlist is the real one
  return [
    '-i', p.source, '-filter_complex', graph, ...encoders, ...segmentKeyframeArgs(p.segmentFrames, 'h264'), '-fps_mode', 'cfr', ...audio,
    ...muxer, '-master_pl_name', 'master.m3u8', '-var_stream_map', streams.join(' '), path.join(p.outDir, '%v', 'index.m3u8'),
  ];
}

/** Decodes the shard and picks its frames, encoding nothing: what every shard task pays before its encoder. */
export function decodeOnlyShardArgs(s: ShardFrames): string[] {
  return [
    ...shardInputArgs(s), '-filter_complex', `[0:${s.videoStream}]${[...sourceClock(s), ...gridPickFilters(s)].join(',')}[v]`,
    '-map', '[v]', '-frames:v', String(s.endSlot - s.startSlot), '-c:v', 'wrapped_avframe', '-f', 'null', '-',
  ];
}
