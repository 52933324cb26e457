// ffmpeg commands the ladder scenario compares streaming jobs with: plain
// ffmpeg's one-command HLS ladder (decode once, split, one x264 per rung), and
// one shard of a streaming job encoded for every rung from a single decode.
// Both are built from the pieces the shard tasks use (src/media), so the x264
// settings, the frame picking and the CMAF muxer options are the rungs' own.
import * as path from 'node:path';
import type { RenditionSpec } from '../src/core/job/rendition';
import { parseRational, type Rational } from '../src/core/media/rational';
import { cmafOutputArgs, segmentKeyframeArgs } from '../src/media/cmafArgs';
import { gridPickFilters, pictureFilters, sourceClock, videoEncoderArgs, type EncodeShardInput, type ShardGeometry } from '../src/media/ffmpegArgs';
import { sourceInput } from '../src/media/sourceInput';

/** The HLS muxer cuts at the first keyframe this long after the last cut: a little under a segment, as the shard tasks pass it. */
export function cutAfterSeconds(segmentFrames: number, fps: Rational): number {
  return ((segmentFrames - 0.5) * fps.den) / fps.num;
}

/** `split=3[p0][p1][p2]` and the labels it names. */
function splitInto(n: number, prefix: string): { filter: string; labels: string[] } {
  const labels = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  return { filter: `split=${n}${labels.map((l) => `[${l}]`).join('')}`, labels };
}

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
  const muxer = cmafOutputArgs({ dir: path.join(p.outDir, '%v'), cutAfterSeconds: cutAfterSeconds(p.segmentFrames, p.fps), firstNumber: 0 });
  muxer.pop(); // the shard tasks' scratch playlist name; here each variant's playlist is the real one
  return [
    '-i', p.source, '-filter_complex', graph, ...encoders, ...segmentKeyframeArgs(p.segmentFrames, 'h264'), '-fps_mode', 'cfr', ...audio,
    ...muxer, '-master_pl_name', 'master.m3u8', '-var_stream_map', streams.join(' '), path.join(p.outDir, '%v', 'index.m3u8'),
  ];
}

/** One shard of a streaming job, as the shard tasks get it, minus the rung. */
export type ShardFrames = Omit<EncodeShardInput, 'rendition' | 'output' | 'segments' | 'watermark'>;

/**
 * All rungs of one shard from one ffmpeg: the shard's frames are decoded and picked off the grid once (the same
 * `sourceClock` and `gridPickFilters` as a shard task, with the same decoded-frame list), then `split` feeds one
 * encoder and one CMAF muxer per rung, each with the shard task's own encoder and segment arguments.
 */
export function sharedDecodeShardArgs(s: ShardFrames, rungs: { rendition: RenditionSpec; output: string }[], segmentFrames: number): string[] {
  const fps = parseRational(s.fps);
  if (!fps) throw new Error(`internal: bad frame rate ${s.fps}`);
  const split = splitInto(rungs.length, 'p');
  const graph = [
    `[0:${s.videoStream}]${sourceClock(s).join(',')},split=2[decoded][listed]`,
    `[listed]trim=start_pts=${s.check.fromPts}:end_pts=${s.check.toPts}[list]`,
    `[decoded]${gridPickFilters(s).join(',')},${split.filter}`,
    ...rungs.map((r, i) => `[${split.labels[i]}]${rungChain(s.geometry, r.rendition)}[v${i}]`),
  ].join(';');
  const outputs = rungs.flatMap((r, i) => [
    '-map', `[v${i}]`, '-frames:v', String(s.endSlot - s.startSlot), '-an', '-sn', '-dn', '-map_metadata', '-1',
    ...videoEncoderArgs(r.rendition.video, fps, s.threads), ...segmentKeyframeArgs(segmentFrames, r.rendition.video.codec), '-fps_mode', 'cfr', '-r', s.fps,
    ...cmafOutputArgs({ dir: r.output, cutAfterSeconds: cutAfterSeconds(segmentFrames, fps), firstNumber: Math.floor(s.startSlot / segmentFrames) }),
  ]);
  return [
    ...shardInput(s), '-filter_complex', graph, ...outputs,
    '-map', '[list]', '-fps_mode', 'passthrough', '-c:v', 'wrapped_avframe', '-f', 'framecrc', s.check.file,
  ];
}

/** Decodes the shard and picks its frames, encoding nothing: what every shard task pays before its encoder. */
export function decodeOnlyShardArgs(s: ShardFrames): string[] {
  return [
    ...shardInput(s), '-filter_complex', `[0:${s.videoStream}]${[...sourceClock(s), ...gridPickFilters(s)].join(',')}[v]`,
    '-map', '[v]', '-frames:v', String(s.endSlot - s.startSlot), '-c:v', 'wrapped_avframe', '-f', 'null', '-',
  ];
}

/** The source opened as a range shard task opens it: seek to a keyframe before the shard, the source's own timestamps. */
function shardInput(s: ShardFrames): string[] {
  const seek = s.seekSeconds !== undefined ? ['-ss', s.seekSeconds.toFixed(6), '-noaccurate_seek'] : [];
  return ['-threads', String(s.threads), '-noautorotate', '-copyts', ...seek, ...sourceInput(s.input)];
}
