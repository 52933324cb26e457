// ffmpeg argument arrays for each pipeline stage. Pure and typed: no shell, no
// string interpolation of user text into filter graphs (watermark text goes
// through a file, paths through their own arguments).
import type { ShardGeometry } from '../core/media/mediaInfo';
import type { AudioSpec, Container, RenditionSpec, VideoSpec } from '../core/job/rendition';
import { parseRational, type Rational } from '../core/media/rational';
import { sourceInput } from './sourceInput';

const X26X_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'];

/** x264-style preset names mapped onto libvpx's -cpu-used (0 slow .. 8 fast). */
function vpxCpuUsed(preset = 'medium'): number {
  const i = X26X_PRESETS.indexOf(preset);
  return i < 0 ? 3 : Math.max(0, 8 - i);
}

/** x264-style preset names mapped onto SVT-AV1's -preset (0 slow .. 13 fast). */
function svtPreset(preset = 'medium'): number {
  const i = X26X_PRESETS.indexOf(preset);
  return i < 0 ? 8 : Math.min(12, Math.max(2, 12 - i));
}

function x26xPreset(preset = 'medium'): string {
  return X26X_PRESETS.includes(preset) ? preset : 'medium';
}

export interface SplitArgsInput {
  input: string;
  videoStreamIndex: number;
  /** Source times of the inner cuts (not the start, not the end). */
  cuts: number[];
  /** Half a frame: cut times are moved this far earlier so rounding never skips a keyframe. */
  tolerance: number;
  /** printf-style pattern such as /tmp/x/%05d.mkv */
  outputPattern: string;
  listFile: string;
}

/** Stream-copies the video into keyframe-aligned Matroska shards. */
export function splitArgs(s: SplitArgsInput): string[] {
  const args = ['-copyts', ...sourceInput(s.input), '-map', `0:${s.videoStreamIndex}`, '-c', 'copy', '-f', 'segment'];
  if (s.cuts.length > 0) args.push('-segment_times', s.cuts.map((t) => (t - s.tolerance).toFixed(6)).join(','));
  else args.push('-segment_time', '1000000000');
  args.push('-segment_list', s.listFile, '-segment_list_type', 'csv', '-reset_timestamps', '1', '-segment_format', 'matroska', s.outputPattern);
  return args;
}

export type { ShardGeometry };

/** Output size: the short side becomes `video.height` (never upscaled), both sides even. */
export function outputSize(geometry: ShardGeometry, video: VideoSpec): { width: number; height: number } {
  const turned = geometry.rotation === 90 || geometry.rotation === 270;
  const w = turned ? geometry.height : geometry.width;
  const h = turned ? geometry.width : geometry.height;
  const short = Math.min(w, h);
  const target = video.height === undefined ? short : Math.min(video.height, short);
  const scale = target / short;
  const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));
  return { width: even(w * scale), height: even(h * scale) };
}

/** Filters that turn frames `rotation` degrees clockwise. */
export function rotationFilters(rotation: number): string[] {
  switch (rotation) {
    case 90:
      return ['transpose=clock'];
    case 180:
      return ['hflip', 'vflip'];
    case 270:
      return ['transpose=cclock'];
    default:
      return [];
  }
}

export type WatermarkPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';

export interface WatermarkFiles {
  /** File holding the text (drawtext reads it; nothing is escaped into the graph). */
  textFile?: string;
  imageFile?: string;
  position: WatermarkPosition;
}

/**
 * Escapes a value for a filter option inside a -filter_complex graph: once for
 * the option parser (':' separates options) and once for the graph parser.
 */
export function escapeGraphValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, '\\$&');
  return optionLevel.replace(/[\\'[\],;]/g, '\\$&');
}

function placement(position: WatermarkPosition, w: string, h: string): string {
  const x = position.endsWith('left') ? '16' : `W-${w}-16`;
  const y = position.startsWith('top') ? '16' : `H-${h}-16`;
  return `${x}:${y}`;
}

function timescaleFor(fps: Rational): number {
  return (90000 * fps.den) % fps.num === 0 ? 90000 : fps.num;
}

export interface EncodeShardInput {
  /** Shard file (copy mode) or the whole source (range mode). */
  input: string;
  /** Range mode: source time to seek to. */
  seekSeconds?: number;
  /** Stream index of the video in `input`. */
  videoStream: number;
  frames: number;
  fps: string;
  geometry: ShardGeometry;
  rendition: RenditionSpec;
  watermark?: WatermarkFiles;
  threads: number;
  output: string;
}

export function videoEncoderArgs(video: VideoSpec, fps: Rational, threads: number): string[] {
  const gop = String(Math.max(1, Math.round((2 * fps.num) / fps.den)));
  const rate = video.bitrate ? ['-b:v', video.bitrate] : [];
  switch (video.codec) {
    case 'h264':
      return ['-c:v', 'libx264', '-preset', x26xPreset(video.preset), ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 23)]), '-g', gop, '-threads', String(threads)];
    case 'h265':
      return [
        '-c:v', 'libx265', '-preset', x26xPreset(video.preset), ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 28)]), '-g', gop,
        '-x265-params', `log-level=error:open-gop=0:pools=${threads}`, '-tag:v', 'hvc1',
      ];
    case 'vp9':
      return [
        '-c:v', 'libvpx-vp9', ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 33), '-b:v', '0']), '-deadline', 'good',
        '-cpu-used', String(vpxCpuUsed(video.preset)), '-row-mt', '1', '-g', gop, '-threads', String(threads),
      ];
    case 'av1':
      return [
        '-c:v', 'libsvtav1', '-preset', String(svtPreset(video.preset)), ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 35)]), '-g', gop,
        '-svtav1-params', `lp=${threads}`,
      ];
    case 'copy':
      throw new Error('internal: copy renditions are not encoded shard by shard');
  }
}

/** Encodes exactly `frames` frames at a constant rate, upright and scaled, from one shard. */
export function encodeShardArgs(s: EncodeShardInput): string[] {
  const fps = parseRational(s.fps);
  if (!fps) throw new Error(`internal: bad frame rate ${s.fps}`);
  const size = outputSize(s.geometry, s.rendition.video);
  // Timestamps restart at zero, the fps filter puts frames on the shared grid and
  // tpad repeats the last frame if a shard runs a frame short; -frames:v cuts the rest.
  const chain = [
    'setpts=PTS-STARTPTS',
    ...rotationFilters(s.geometry.rotation),
    `fps=${s.fps}`,
    `scale=${size.width}:${size.height}:flags=bicubic`,
    'setsar=1',
  ];
  const inputs = ['-threads', String(s.threads), '-noautorotate'];
  if (s.seekSeconds !== undefined) inputs.push('-ss', s.seekSeconds.toFixed(6));
  inputs.push(...sourceInput(s.input));
  let graph: string;
  const wm = s.watermark;
  if (wm?.imageFile) {
    // Read the image by its literal name: the image2 demuxer would take a "%d" in it as a frame-number pattern.
    inputs.push('-f', 'image2', '-pattern_type', 'none', '-i', wm.imageFile);
    graph = `[0:${s.videoStream}]${chain.join(',')}[base];[1:v]format=rgba[mark];[base][mark]overlay=${placement(wm.position, 'w', 'h')}`;
  } else {
    graph = `[0:${s.videoStream}]${chain.join(',')}`;
  }
  if (wm?.textFile) {
    const [x, y] = placement(wm.position, 'tw', 'th').split(':');
    graph += `,drawtext=textfile=${escapeGraphValue(wm.textFile)}:expansion=none:fontcolor=white@0.85:fontsize=h/18:box=1:boxcolor=black@0.35:boxborderw=6:x=${x.replace('W', 'w')}:y=${y.replace('H', 'h')}`;
  }
  graph += ',tpad=stop=-1:stop_mode=clone,format=yuv420p[v]';
  // The movie timescale matches the track's: at the default 1000 the file's duration is rounded up to the
  // millisecond, the concat demuxer places the next shard after that rounded duration, and every boundary
  // adds a sub-millisecond gap that accumulates into A/V drift over long videos.
  const timescale = String(timescaleFor(fps));
  const muxer = s.output.endsWith('.mp4') ? ['-video_track_timescale', timescale, '-movie_timescale', timescale, '-movflags', '+faststart'] : [];
  return [
    ...inputs,
    '-filter_complex', graph,
    '-map', '[v]',
    '-frames:v', String(s.frames),
    '-an', '-sn', '-dn', '-map_metadata', '-1',
    ...videoEncoderArgs(s.rendition.video, fps, s.threads),
    '-fps_mode', 'cfr', '-r', s.fps,
    ...muxer,
    s.output,
  ];
}

/** File extension of a rendition's shards (every codec we encode fits in MP4, one timebase for all). */
export const SHARD_EXTENSION = 'mp4';

/** File extension of the separately encoded audio of a rendition. */
export function audioExtension(audio: AudioSpec): string {
  if (audio.codec === 'aac') return 'm4a';
  if (audio.codec === 'opus') return 'webm';
  return 'mka';
}

export interface EncodeAudioInput {
  input: string;
  audioStream: number;
  audio: AudioSpec;
  output: string;
}

/** The audio encoder and its bitrate for a rendition's audio spec. */
export function audioCodecArgs(audio: AudioSpec): string[] {
  const codec = audio.codec === 'aac' ? ['-c:a', 'aac'] : audio.codec === 'opus' ? ['-c:a', 'libopus'] : ['-c:a', 'copy'];
  const bitrate = audio.bitrate && audio.codec !== 'copy' ? ['-b:a', audio.bitrate] : [];
  return [...codec, ...bitrate];
}

/** Encodes one rendition's audio from the whole source, once, so no shard boundary adds priming gaps. */
export function encodeAudioArgs(a: EncodeAudioInput): string[] {
  // Opus and AAC carry at most what the source has; more than stereo becomes stereo for web delivery.
  const channels = a.audio.codec === 'copy' ? [] : ['-ac', '2'];
  return ['-vn', '-sn', '-dn', ...sourceInput(a.input), '-map', `0:${a.audioStream}`, ...audioCodecArgs(a.audio), ...channels, '-map_metadata', '-1', a.output];
}

export interface MergeInput {
  /** concat demuxer list of the encoded shards, or undefined when video is copied or absent. */
  concatList?: string;
  /** Source file when the rendition copies the source video. */
  copyVideoFrom?: { file: string; stream: number };
  /** Seconds the video starts after the earliest stream, as in the source. */
  videoOffset: number;
  audioFile?: string;
  /**
   * Seconds the encoded audio starts after the earliest stream of the source (its own start time).
   * ffmpeg shifts every input to start at zero, which would pull late-starting audio forward.
   */
  audioOffset?: number;
  container: Container;
  hevc: boolean;
  output: string;
}

const MUXERS: Record<Container, string> = { mp4: 'mp4', webm: 'webm', mkv: 'matroska' };

/** Joins the shards with the concat demuxer (-c copy, never re-encoding) and muxes in the audio. */
export function mergeArgs(m: MergeInput): string[] {
  const args: string[] = [];
  const maps: string[] = [];
  let next = 0;
  if (m.concatList) {
    if (m.videoOffset > 0) args.push('-itsoffset', m.videoOffset.toFixed(6));
    args.push('-f', 'concat', '-safe', '0', '-i', m.concatList);
    maps.push('-map', `${next++}:v:0`);
  } else if (m.copyVideoFrom) {
    args.push(...sourceInput(m.copyVideoFrom.file));
    maps.push('-map', `${next++}:${m.copyVideoFrom.stream}`);
  }
  if (m.audioFile) {
    if (m.audioOffset !== undefined && m.audioOffset > 0) args.push('-itsoffset', m.audioOffset.toFixed(6));
    args.push(...sourceInput(m.audioFile));
    maps.push('-map', `${next++}:a:0`);
  }
  const tags = m.hevc && m.container === 'mp4' ? ['-tag:v', 'hvc1'] : [];
  // Encoded shards are already upright, but ffmpeg 5.1 copies the source's display matrix onto them when it
  // encodes with -noautorotate; players would turn the picture a second time. Clearing "rotate" on a stream
  // copy drops the matrix (verifyRendition rejects any output that still carries one).
  const upright = m.concatList ? ['-metadata:s:v:0', 'rotate=0'] : [];
  const faststart = m.container === 'mp4' ? ['-movflags', '+faststart'] : [];
  return [...args, ...maps, '-c', 'copy', ...tags, '-map_metadata', '-1', ...upright, ...faststart, '-f', MUXERS[m.container], m.output];
}
