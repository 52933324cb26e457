// ffmpeg argument arrays for each pipeline stage. Pure and typed: no shell, no
// string interpolation of user text into filter graphs (watermark text goes
// through a file, paths through their own arguments).
import type { ShardGeometry } from '../core/media/mediaInfo';
import type { AudioSpec, Container, RenditionSpec, VideoSpec } from '../core/job/rendition';
import { parseRational, type Rational } from '../core/media/rational';
import { cmafOutputArgs, segmentKeyframeArgs, videoCutAfterSeconds } from './cmafArgs';
import { shardThumbnailOutputs, type ShardThumbnails } from './thumbnailArgs';
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
  /** Source times (seconds, the stream's own clock) of the keyframes the inner cuts fall on. */
  cuts: number[];
  /** Cut times are moved this far earlier so rounding never skips the keyframe; less than a frame. */
  tolerance: number;
  /** printf-style pattern such as /tmp/x/%06d.nut */
  outputPattern: string;
  listFile: string;
}

/**
 * Stream-copies the video into keyframe-aligned NUT shards that keep the source's timestamps (-copyts, no
 * reset): NUT stores any timebase exactly or finer, where Matroska would round every pts to the millisecond
 * and move frames across the grid's rounding edges.
 */
export function splitArgs(s: SplitArgsInput): string[] {
  const args = ['-copyts', ...sourceInput(s.input), '-map', `0:${s.videoStreamIndex}`, '-c', 'copy', '-f', 'segment'];
  if (s.cuts.length > 0) args.push('-segment_times', s.cuts.map((t) => (t - s.tolerance).toFixed(6)).join(','));
  else args.push('-segment_time', '1000000000');
  args.push('-segment_list', s.listFile, '-segment_list_type', 'csv', '-reset_timestamps', '0', '-segment_format', 'nut', s.outputPattern);
  return args;
}

export interface FrameTimesInput {
  input: string;
  stream: number;
  /** Seek here first (seconds after the container start), without trimming to it. */
  seekSeconds?: number;
  maxFrames?: number;
}

/**
 * Decodes a video stream and prints one framecrc line per frame with the pts ffmpeg hands its filters, in the
 * demuxer's timebase. wrapped_avframe only wraps each frame, so this costs the decode alone.
 */
export function frameTimesArgs(f: FrameTimesInput): string[] {
  const seek = f.seekSeconds !== undefined ? ['-ss', f.seekSeconds.toFixed(6), '-noaccurate_seek'] : [];
  const frames = f.maxFrames !== undefined ? ['-frames:v', String(f.maxFrames)] : [];
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-copyts', ...seek, ...sourceInput(f.input), '-map', `0:${f.stream}`, ...frames,
    '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-c:v', 'wrapped_avframe', '-f', 'framecrc', '-',
  ];
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
  // Nearest even size, never above the source's (x264 and 4:2:0 need even sides; 161x121 becomes 160x120).
  const even = (n: number, limit: number): number => Math.max(2, Math.min(2 * Math.round(n / 2), limit - (limit % 2)));
  return { width: even(w * scale, w), height: even(h * scale, h) };
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
  /** Range mode: seek here (seconds after the container start) before decoding, to a point before the shard's first frame. */
  seekSeconds?: number;
  /** Stream index of the video in `input`. */
  videoStream: number;
  /** Timebase of the source's video stream ("num/den"); a copy shard's timestamps are brought back to it. */
  timeBase: string;
  /** The pts, in `timeBase`, that is grid time 0 in `input`: the grid's start plus a copy shard's offset. */
  originPts: number;
  /** Output rate of the rendition ("num/den"). */
  fps: string;
  /** The shard's output frames: grid slots [startSlot, endSlot). */
  startSlot: number;
  endSlot: number;
  /** When `input` ends before endSlot (a copy shard, the last shard): seconds its last frame is held, as a single pass holds it. */
  holdSeconds?: number;
  /**
   * The decoded frames with pts (after the shift) in [fromPts, toPts) are listed in `file` (framecrc), one line
   * each: from the last frame at the shard's start to its end, every one of them must be there.
   */
  check: { fromPts: number; toPts: number; file: string };
  geometry: ShardGeometry;
  rendition: RenditionSpec;
  watermark?: WatermarkFiles;
  threads: number;
  /** A file (plain output), or with `segments` the folder the shard's CMAF segments go to. */
  output: string;
  /** Streaming output: segments of this many frames, numbered from `firstNumber` on the job's segment grid. */
  segments?: { segmentFrames: number; firstNumber: number };
  /** Streaming output, the thumbnail rung: the tiles and the poster in this shard, from the frames the encoder gets. */
  thumbnails?: ShardThumbnails;
}

/**
 * x264 settings for the first frame of a shard. A fresh x264 encodes its
 * opening IDR frame below the quality of the IDR frames that follow in the
 * same stream, so every shard start pays what a single-pass encode pays once:
 * 2 s shards of 1080p measured 0.2 dB under single-pass. A zone over frame 0
 * with x264's default I/P ratio (1.4) brings it level with later IDRs
 * (measured within 0.02 dB of single-pass at 2 s shards).
 */
export function x264ShardStartParams(): string[] {
  return ['-x264-params', 'zones=0,0,b=1.4'];
}

/** "3500k" → "7000k": twice a rate in the same unit. */
function doubledRate(rate: string): string {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(rate);
  if (!m) throw new Error(`internal: bad rate ${rate}`);
  return `${Number(m[1]) * 2}${m[2]}`;
}

export function videoEncoderArgs(video: VideoSpec, fps: Rational, threads: number): string[] {
  const gop = String(Math.max(1, Math.round((2 * fps.num) / fps.den)));
  const rate = video.bitrate ? ['-b:v', video.bitrate] : [];
  // Capped constant quality: the rate a streaming rung never exceeds over a two-second buffer.
  const cap = video.maxBitrate && !video.bitrate ? ['-maxrate', video.maxBitrate, '-bufsize', doubledRate(video.maxBitrate)] : [];
  switch (video.codec) {
    case 'h264':
      return [
        '-c:v', 'libx264', '-preset', x26xPreset(video.preset), ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 23), ...cap]), '-g', gop, '-threads', String(threads),
        ...x264ShardStartParams(),
      ];
    case 'h265':
      return [
        '-c:v', 'libx265', '-preset', x26xPreset(video.preset), ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 28), ...cap]), '-g', gop,
        '-x265-params', `log-level=error:open-gop=0:pools=${threads}`, '-tag:v', 'hvc1',
      ];
    case 'vp9':
      return [
        '-c:v', 'libvpx-vp9', ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 33), '-b:v', '0']), '-deadline', 'good',
        '-cpu-used', String(vpxCpuUsed(video.preset)), '-row-mt', '1', '-g', gop, '-threads', String(threads),
      ];
    case 'av1':
      return [
        '-c:v', 'libsvtav1', '-preset', String(svtPreset(video.preset)), ...(video.bitrate ? rate : ['-crf', String(video.crf ?? 35), ...cap]), '-g', gop,
        '-svtav1-params', `lp=${threads}`,
      ];
    case 'copy':
      throw new Error('internal: copy renditions are not encoded shard by shard');
  }
}

/**
 * The filters that pick a shard's frames off the job's grid, after `sourceClock`: the same `fps` filter a single
 * pass runs, so every slot gets the frame a single pass gives it whatever frame decoding began at; trim keeps the
 * shard's slots and the timestamps restart at 0. tpad holds the last frame where the input ends before the shard
 * does, as the single pass holds it until the next frame.
 */
export function gridPickFilters(s: Pick<EncodeShardInput, 'fps' | 'startSlot' | 'endSlot' | 'holdSeconds'>): string[] {
  return [
    ...(s.holdSeconds !== undefined && s.holdSeconds > 0 ? [`tpad=stop_mode=clone:stop_duration=${s.holdSeconds.toFixed(6)}`] : []),
    `fps=${s.fps}`,
    `trim=start_pts=${s.startSlot}:end_pts=${s.endSlot}`,
    'setpts=PTS-STARTPTS',
  ];
}

/** The source's own timestamps (-copyts; a copy shard turned back into the source timebase), shifted so the grid starts at 0. */
export function sourceClock(s: Pick<EncodeShardInput, 'timeBase' | 'originPts'>): string[] {
  return [`settb=${s.timeBase}`, `setpts=${s.originPts >= 0 ? `PTS-${s.originPts}` : `PTS+${-s.originPts}`}`];
}

/** Upright and scaled to the rendition's size, square pixels. */
export function pictureFilters(geometry: ShardGeometry, video: VideoSpec): string[] {
  return [...rotationFilters(geometry.rotation), ...scaleFilters(outputSize(geometry, video))];
}

/** Scaled to `size` (upright already), square pixels. */
export function scaleFilters(size: { width: number; height: number }): string[] {
  return [`scale=${size.width}:${size.height}:flags=bicubic`, 'setsar=1'];
}

/** The source opened as a shard task opens it: its own timestamps, seeked (range mode) to a keyframe before the shard. */
export function shardInputArgs(s: Pick<EncodeShardInput, 'threads' | 'seekSeconds' | 'input'>): string[] {
  const inputs = ['-threads', String(s.threads), '-noautorotate', '-copyts'];
  // No accurate-seek trimming: the fps filter needs the frames before the shard's first slot, and picks by pts.
  if (s.seekSeconds !== undefined) inputs.push('-ss', s.seekSeconds.toFixed(6), '-noaccurate_seek');
  return [...inputs, ...sourceInput(s.input)];
}

/** The watermark image as input 1, when there is one. */
export function watermarkInputArgs(wm: WatermarkFiles | undefined): string[] {
  // Read the image by its literal name: the image2 demuxer would take a "%d" in it as a frame-number pattern.
  return wm?.imageFile ? ['-f', 'image2', '-pattern_type', 'none', '-i', wm.imageFile] : [];
}

/**
 * A picture chain with the watermark drawn on it: the image (the graph label `mark`, RGBA) overlaid through the
 * label `base`, then the text. The chain stays open, so the caller appends the next filter.
 */
export function watermarked(chain: string, wm: WatermarkFiles | undefined, mark: string, base: string): string {
  let graph = wm?.imageFile ? `${chain}[${base}];[${base}][${mark}]overlay=${placement(wm.position, 'w', 'h')}` : chain;
  if (wm?.textFile) {
    const [x, y] = placement(wm.position, 'tw', 'th').split(':');
    graph += `,drawtext=textfile=${escapeGraphValue(wm.textFile)}:expansion=none:fontcolor=white@0.85:fontsize=h/18:box=1:boxcolor=black@0.35:boxborderw=6:x=${x.replace('W', 'w')}:y=${y.replace('H', 'h')}`;
  }
  return graph;
}

/**
 * The decoded frames, after the source clock, also go untouched to a list of their own (`[list]`), so the caller
 * can see that decoding delivered every source frame the shard needs: a decoder restarted at a seek point may
 * drop pictures, and the fps filter would silently fill their slots with a neighbour. The rest goes on as `[decoded]`.
 */
export function decodedListGraph(s: Pick<EncodeShardInput, 'videoStream' | 'timeBase' | 'originPts' | 'check'>): string {
  return `[0:${s.videoStream}]${sourceClock(s).join(',')},split=2[decoded][listed];[listed]trim=start_pts=${s.check.fromPts}:end_pts=${s.check.toPts}[list]`;
}

/** The output that writes the `[list]` of decoded frames (see decodedListGraph). */
export function decodedListOutput(file: string): string[] {
  return ['-map', '[list]', '-fps_mode', 'passthrough', '-c:v', 'wrapped_avframe', '-f', 'framecrc', file];
}

/**
 * One encoded video output of a shard task, read from the graph's `label`: exactly the shard's frames, at a
 * constant rate, with the rendition's encoder (and, for streaming, an IDR at every segment boundary).
 */
export function shardVideoOutputArgs(label: string, o: { frames: number; video: VideoSpec; fps: string; threads: number; segmentFrames?: number }): string[] {
  const fps = parseRational(o.fps);
  if (!fps) throw new Error(`internal: bad frame rate ${o.fps}`);
  return [
    '-map', label, '-frames:v', String(o.frames), '-an', '-sn', '-dn', '-map_metadata', '-1',
    ...videoEncoderArgs(o.video, fps, o.threads),
    ...(o.segmentFrames !== undefined ? segmentKeyframeArgs(o.segmentFrames, o.video.codec) : []),
    '-fps_mode', 'cfr', '-r', o.fps,
  ];
}

/** Encodes a shard's grid slots, upright and scaled, at a constant rate. */
export function encodeShardArgs(s: EncodeShardInput): string[] {
  const fps = parseRational(s.fps);
  if (!fps) throw new Error(`internal: bad frame rate ${s.fps}`);
  const frames = s.endSlot - s.startSlot;
  if (frames <= 0) throw new Error(`internal: shard slots ${s.startSlot}..${s.endSlot} hold no frame`);
  const pick = [...gridPickFilters(s), ...pictureFilters(s.geometry, s.rendition.video)];
  const inputs = [...shardInputArgs(s), ...watermarkInputArgs(s.watermark)];
  const mark = s.watermark?.imageFile ? '[1:v]format=rgba[mark];' : '';
  let graph = `${decodedListGraph(s)};${mark}[decoded]${watermarked(pick.join(','), s.watermark, 'mark', 'base')}`;
  const thumbnails = s.thumbnails && shardThumbnailOutputs(s.thumbnails, 'picked');
  graph += thumbnails ? `,format=yuv420p,split=2[v][picked];${thumbnails.graph}` : ',format=yuv420p[v]';
  // The movie timescale matches the track's: at the default 1000 the file's duration is rounded up to the
  // millisecond, the concat demuxer places the next shard after that rounded duration, and every boundary
  // adds a sub-millisecond gap that accumulates into A/V drift over long videos.
  const timescale = String(timescaleFor(fps));
  const seg = s.segments;
  const muxer = seg
    ? cmafOutputArgs({ dir: s.output, cutAfterSeconds: videoCutAfterSeconds(seg.segmentFrames, fps), firstNumber: seg.firstNumber })
    : s.output.endsWith('.mp4')
      ? ['-video_track_timescale', timescale, '-movie_timescale', timescale, '-movflags', '+faststart', s.output]
      : [s.output];
  return [
    ...inputs,
    '-filter_complex', graph,
    ...shardVideoOutputArgs('[v]', { frames, video: s.rendition.video, fps: s.fps, threads: s.threads, segmentFrames: seg?.segmentFrames }),
    ...muxer,
    ...decodedListOutput(s.check.file),
    ...(thumbnails?.outputs ?? []),
  ];
}

export interface ReferenceInput {
  input: string;
  videoStream: number;
  fps: string;
  geometry: ShardGeometry;
  rendition: RenditionSpec;
  output: string;
}

/**
 * The plain single-pass encode a job's output is measured against: the whole source through the same picture
 * filters with the grid anchored at its first frame (`setpts=PTS-STARTPTS,fps=F`), the rendition's encoder.
 */
export function singlePassReferenceArgs(r: ReferenceInput): string[] {
  const fps = parseRational(r.fps);
  if (!fps) throw new Error(`internal: bad frame rate ${r.fps}`);
  const chain = ['setpts=PTS-STARTPTS', `fps=${r.fps}`, ...pictureFilters(r.geometry, r.rendition.video), 'format=yuv420p'];
  return [
    '-noautorotate', ...sourceInput(r.input), '-map', `0:${r.videoStream}`, '-vf', chain.join(','),
    '-an', '-sn', '-dn', '-map_metadata', '-1', ...videoEncoderArgs(r.rendition.video, fps, 2), r.output,
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
  /** Channels the source's audio stream has. */
  sourceChannels: number;
  audio: AudioSpec;
  output: string;
  /**
   * Streaming: `start` is the source time (its own clock, -copyts) of video frame 0 and `seconds` the video's
   * length. The audio is placed on the video's timeline, since each track of the package starts at decode time
   * 0: audio before the start is cut, a later start is padded with silence, audio past the video's end is cut.
   */
  grid?: { start: number; seconds: number };
}

/**
 * Samples of encoder delay ffmpeg's AAC encoder puts before the first real sample. A streaming package has no
 * edit list to skip them, so the player plays them first: the real audio starts that many samples later.
 */
export const AAC_PRIMING_SAMPLES = 1024;

/** Channels an encoded rendition carries: what it asks for, else the source's, at most stereo (5.1 is downmixed). */
export function audioChannels(audio: AudioSpec, sourceChannels: number): number {
  return audio.channels ?? Math.max(1, Math.min(sourceChannels || 2, 2));
}

/** The audio encoder and its bitrate for a rendition's audio spec. */
export function audioCodecArgs(audio: AudioSpec): string[] {
  const codec = audio.codec === 'aac' ? ['-c:a', 'aac'] : audio.codec === 'opus' ? ['-c:a', 'libopus'] : ['-c:a', 'copy'];
  const bitrate = audio.bitrate && audio.codec !== 'copy' ? ['-b:a', audio.bitrate] : [];
  return [...codec, ...bitrate];
}

/** Encodes one rendition's audio from the whole source, once, so no shard boundary adds priming gaps. */
export function encodeAudioArgs(a: EncodeAudioInput): string[] {
  const channels = a.audio.codec === 'copy' ? [] : ['-ac', String(audioChannels(a.audio, a.sourceChannels))];
  // aresample's first_pts pads or trims the start so the first sample out is the one at that pts: starting at
  // the priming length makes the real audio land, after the encoder's priming, where the source has it.
  const g = a.grid;
  const align = g
    ? ['-af', `asetpts=PTS-${g.start.toFixed(6)}/TB,aresample=async=1:first_pts=${a.audio.codec === 'aac' ? AAC_PRIMING_SAMPLES : 0},atrim=end=${g.seconds.toFixed(6)}`]
    : [];
  return [
    '-vn', '-sn', '-dn', ...(g ? ['-copyts'] : []), ...sourceInput(a.input), '-map', `0:${a.audioStream}`,
    ...align, ...audioCodecArgs(a.audio), ...channels, '-map_metadata', '-1', a.output,
  ];
}

export interface MergeInput {
  /** concat demuxer list of the encoded shards, or undefined when video is copied or absent. */
  concatList?: string;
  /** Source file when the rendition copies the source video. */
  copyVideoFrom?: { file: string; stream: number };
  /** Seconds the video starts after the earlier kept stream, as in the source. */
  videoOffset: number;
  audioFile?: string;
  /** Seconds to move the audio input by (-itsoffset; may be negative), so it keeps its distance from the video. */
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
    if (m.audioOffset !== undefined && Math.abs(m.audioOffset) >= 0.000_001) args.push('-itsoffset', m.audioOffset.toFixed(6));
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
