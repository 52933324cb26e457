// ffmpeg arguments for proving output frames against the source: the "ideal"
// frames (the source decoded through a single-pass chain: upright, on the
// output grid, scaled) stacked with the frames of encoded files, so that each
// output frame meets its ideal frame by index in one raw stream; and the plain
// single-pass reference encode a sharded output is measured against.
import type { RenditionSpec } from '../core/job/rendition';
import { audioCodecArgs, rotationFilters, videoEncoderArgs } from './ffmpegArgs';
import { parseRational } from '../core/media/rational';
import { SEEK_MARGIN_SECONDS } from '../core/media/seamSeeking';
import { readBackInput, sourceInput } from './sourceInput';

/** How the source becomes ideal frames. */
export interface IdealChain {
  /** Output frame rate, "num/den". */
  fps: string;
  /**
   * 'auto': ffmpeg turns frames upright from the display matrix itself, as plain ffmpeg does, so the check
   * does not trust our own reading of the rotation. A number: clockwise degrees, applied with -noautorotate.
   */
  rotation: 'auto' | number;
  /**
   * Source seconds of output frame 0 (the job's grid origin, in the source's own timestamps). Omitted: the
   * first decoded frame, as a single-pass encode with setpts=PTS-STARTPTS has it.
   */
  anchor?: number;
  /** The source's last frame has no duration: hold it for one frame, as a plain encode shows it (see HOLD_LAST_FRAME). */
  holdLastFrame?: boolean;
}

/**
 * Holds the last source frame for one frame at the stream's rate. ffmpeg's fps filter ends the grid where
 * the last frame ends; for a frame without a duration that is where it starts, one slot before a plain
 * encode (`ffmpeg -i SRC out.mp4`) ends. Only for such sources: a timed last frame would gain a slot.
 */
const HOLD_LAST_FRAME = 'tpad=stop=1:stop_mode=clone';

/** Output frames [from, to). */
export interface FrameRange {
  from: number;
  to: number;
}

export interface FrameStackInput {
  source: string;
  /** Absolute stream index of the video in `source`. */
  videoStream: number;
  chain: IdealChain;
  /** Files whose first video stream is paired with the ideal frames. */
  encoded: string[];
  /** Size every picture is compared at (even numbers). */
  width: number;
  height: number;
  /** Only these output frames (sorted, not overlapping); every frame when omitted. */
  ranges?: FrameRange[];
  /** Decoder threads per input. */
  threads?: number;
}

/** select's expression for a set of frame ranges; quoted so the graph parser leaves its commas alone. */
function selectFilter(ranges: FrameRange[]): string {
  return `select='${ranges.map((r) => `between(n,${r.from},${r.to - 1})`).join('+')}'`;
}

/**
 * One raw yuv420p stream on stdout: each picture is the ideal frame on top and the encoded files' frames
 * below it (vstack), every part `width`x`height`. Each stream gets timestamps 0, 1, 2, ... before stacking,
 * so frames pair by index and never by a timestamp that rounding could move; the stack ends with the
 * shortest input.
 */
export function frameStackArgs(s: FrameStackInput): string[] {
  const threads = s.threads !== undefined ? ['-threads', String(s.threads)] : [];
  const anchored = s.chain.anchor !== undefined;
  // With an anchor the fps filter reads the source's own timestamps, so they must reach it unshifted.
  const args = [...(anchored ? ['-copyts'] : []), ...threads];
  if (s.chain.rotation !== 'auto') args.push('-noautorotate');
  args.push(...sourceInput(s.source));
  for (const file of s.encoded) args.push(...threads, ...readBackInput(file));

  const select = s.ranges ? [selectFilter(s.ranges)] : [];
  const tail = [`scale=${s.width}:${s.height}:flags=bicubic`, 'format=yuv420p', 'settb=AVTB', 'setpts=N'];
  const hold = s.chain.holdLastFrame ? [HOLD_LAST_FRAME] : [];
  const grid = anchored
    ? [...hold, `fps=fps=${s.chain.fps}:start_time=${s.chain.anchor!.toFixed(9)}`]
    : ['setpts=PTS-STARTPTS', ...hold, `fps=${s.chain.fps}`];
  const rotation = s.chain.rotation === 'auto' ? [] : rotationFilters(s.chain.rotation);
  const chains = [`[0:${s.videoStream}]${[...rotation, ...grid, ...select, ...tail].join(',')}[ideal]`];
  s.encoded.forEach((_, i) => chains.push(`[${i + 1}:v:0]${[...select, ...tail].join(',')}[enc${i}]`));
  const labels = ['[ideal]', ...s.encoded.map((_, i) => `[enc${i}]`)].join('');
  chains.push(`${labels}vstack=inputs=${s.encoded.length + 1}:shortest=1[stack]`);

  const frames = s.ranges ? ['-frames:v', String(s.ranges.reduce((n, r) => n + r.to - r.from, 0))] : [];
  return [
    ...args,
    '-filter_complex', chains.join(';'),
    '-map', '[stack]',
    ...frames,
    '-fps_mode', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p',
    'pipe:1',
  ];
}

export interface SeekingInput {
  file: string;
  /** The file's own timestamp (seconds) of the window's first output frame. */
  at: number;
}

export interface WindowStackInput {
  source: SeekingInput;
  videoStream: number;
  fps: string;
  rotation: 'auto' | number;
  encoded: SeekingInput[];
  /** Frames in the window. */
  frames: number;
  width: number;
  height: number;
  threads?: number;
}

/**
 * Like frameStackArgs for one window of output frames, with every input sought (to the keyframe before
 * the window, timestamps kept) and put on the grid by an fps filter that starts at the window's first
 * frame: the source's slots pick the latest source frame at or before each grid time, and an encoded
 * file's constant-rate frames fall on their own slots (a missing one shows as its predecessor repeated).
 */
export function windowStackArgs(s: WindowStackInput): string[] {
  const threads = s.threads !== undefined ? ['-threads', String(s.threads)] : [];
  const seek = (input: SeekingInput): string[] => [
    ...threads, '-seek_timestamp', '1', '-noaccurate_seek', '-ss', (input.at - SEEK_MARGIN_SECONDS).toFixed(6),
  ];
  const args = ['-copyts', ...seek(s.source)];
  if (s.rotation !== 'auto') args.push('-noautorotate');
  args.push(...sourceInput(s.source.file));
  for (const e of s.encoded) args.push(...seek(e), ...readBackInput(e.file));

  const tail = [`trim=end_frame=${s.frames}`, `scale=${s.width}:${s.height}:flags=bicubic`, 'format=yuv420p', 'settb=AVTB', 'setpts=N'];
  const grid = (at: number): string => `fps=fps=${s.fps}:start_time=${at.toFixed(9)}`;
  const rotation = s.rotation === 'auto' ? [] : rotationFilters(s.rotation);
  const chains = [`[0:${s.videoStream}]${[...rotation, grid(s.source.at), ...tail].join(',')}[ideal]`];
  s.encoded.forEach((e, i) => chains.push(`[${i + 1}:v:0]${[grid(e.at), ...tail].join(',')}[enc${i}]`));
  const labels = ['[ideal]', ...s.encoded.map((_, i) => `[enc${i}]`)].join('');
  chains.push(`${labels}vstack=inputs=${s.encoded.length + 1}:shortest=1[stack]`);
  return [
    ...args,
    '-filter_complex', chains.join(';'),
    '-map', '[stack]',
    '-frames:v', String(s.frames),
    '-fps_mode', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p',
    'pipe:1',
  ];
}

export interface ReferenceEncodeInput {
  source: string;
  videoStream?: number;
  audioStream?: number;
  /** Output frame rate, "num/den". */
  fps: string;
  width: number;
  height: number;
  rendition: RenditionSpec;
  /** Channels of the encoded audio; the encoder's default (the source's) when omitted. */
  audioChannels?: number;
  /** The source's last frame has no duration (see HOLD_LAST_FRAME). */
  holdLastFrame?: boolean;
  threads: number;
  output: string;
}

/**
 * The plain single-pass encode with a rendition's settings: one ffmpeg command over the whole source (opened
 * the way every job opens a user's file),
 * upright (ffmpeg's own autorotation), on the frame grid of a single fps filter, scaled, with the same
 * encoder, quality and speed settings as the shards, and the audio encoded beside it.
 */
export function referenceEncodeArgs(r: ReferenceEncodeInput): string[] {
  const fps = parseRational(r.fps);
  if (!fps) throw new Error(`internal: bad frame rate ${r.fps}`);
  const args = sourceInput(r.source);
  if (r.videoStream !== undefined) {
    const hold = r.holdLastFrame ? [HOLD_LAST_FRAME] : [];
    const chain = ['setpts=PTS-STARTPTS', ...hold, `fps=${r.fps}`, `scale=${r.width}:${r.height}:flags=bicubic`, 'setsar=1', 'format=yuv420p'];
    args.push('-map', `0:${r.videoStream}`, '-filter:v', chain.join(','), ...videoEncoderArgs(r.rendition.video, fps, r.threads), '-fps_mode', 'passthrough');
  }
  if (r.audioStream !== undefined && r.rendition.audio.codec !== 'none') {
    const channels = r.audioChannels !== undefined && r.rendition.audio.codec !== 'copy' ? ['-ac', String(r.audioChannels)] : [];
    args.push('-map', `0:${r.audioStream}`, ...audioCodecArgs(r.rendition.audio), ...channels);
  }
  return [...args, '-sn', '-dn', '-map_metadata', '-1', r.output];
}
