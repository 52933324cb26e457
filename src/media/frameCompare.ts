// Per-frame PSNR of encoded files against the ideal frames of their source:
// output frame k against the source frame a single-pass chain puts at grid
// time k. Frame by frame, never a mean: a mean hides a shifted half (an output
// with half its frames one off still averages 31 dB), a minimum does not.
//
// One ffmpeg run decodes the source and every encoded file once and streams
// the pictures stacked (see frameStackArgs); the luma PSNR of each pair is
// computed here, which also gives each output frame's PSNR against the ideal
// frames just before and after its own: a shifted or repeated frame matches a
// neighbour better than its own.
import { parseRational } from '../core/media/rational';
import { frameStackArgs, windowStackArgs, type FrameRange, type IdealChain } from './compareArgs';
import { FFMPEG } from './ffmpeg';
import { runProcess } from './runProcess';

/** What a PSNR reads when two pictures are identical (the formula gives infinity). */
export const IDENTICAL_PSNR = 100;

export interface FrameScore {
  /** Output frame index. */
  index: number;
  /** Luma PSNR (dB) against the ideal frame at the same grid time. */
  psnr: number;
  /** Against the ideal frame one before, when that frame was compared too. */
  prev?: number;
  /** Against the ideal frame one after, when that frame was compared too. */
  next?: number;
  /** The ideal frame against the one before it: how much the source changes here (low at a scene cut). */
  changeBefore?: number;
  /** The ideal frame after this one against this one. */
  changeAfter?: number;
}

export interface FrameComparison {
  file: string;
  /** Scores in frame order; as many as frames were paired (the shortest of source grid and file). */
  frames: FrameScore[];
  /** Lowest PSNR over the frames; IDENTICAL_PSNR when none was compared. */
  min: number;
  /** Output frame index of the lowest PSNR; -1 when none was compared. */
  worst: number;
}

export interface CompareFramesInput {
  source: string;
  videoStream: number;
  chain: IdealChain;
  encoded: string[];
  /** Output frame size (upright). */
  width: number;
  height: number;
  /** Compare at most at this short side, for speed; the output size when it is smaller. */
  maxShortSide?: number;
  /** Only these output frames; every frame when omitted. */
  ranges?: FrameRange[];
  /** Also score each frame against its neighbours' ideal frames. */
  neighbours?: boolean;
  threads?: number;
  signal?: AbortSignal;
}

/** The comparison size: the output size, scaled down to `maxShortSide` if larger, both sides even. */
export function compareSize(width: number, height: number, maxShortSide?: number): { width: number; height: number } {
  const short = Math.min(width, height);
  const scale = maxShortSide !== undefined && short > maxShortSide ? maxShortSide / short : 1;
  const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));
  return { width: even(width * scale), height: even(height * scale) };
}

/** Luma PSNR of two 8-bit planes of equal size. */
export function planePsnr(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const d = a[aOffset + i] - b[bOffset + i];
    sum += d * d;
  }
  if (sum === 0) return IDENTICAL_PSNR;
  return Math.min(IDENTICAL_PSNR, 10 * Math.log10((255 * 255 * length) / sum));
}

/** Sorted, merged, non-empty ranges clipped at frame 0. */
export function normalizeRanges(ranges: FrameRange[]): FrameRange[] {
  const sorted = ranges
    .map((r) => ({ from: Math.max(0, r.from), to: r.to }))
    .filter((r) => r.to > r.from)
    .sort((a, b) => a.from - b.from);
  const merged: FrameRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else merged.push({ ...r });
  }
  return merged;
}

/** Output frame index of the n-th frame that passes the selection. */
function indexer(ranges: FrameRange[] | undefined): (n: number) => number {
  if (!ranges) return (n) => n;
  const starts: number[] = [];
  let total = 0;
  for (const r of ranges) {
    starts.push(total);
    total += r.to - r.from;
  }
  return (n) => {
    let i = starts.length - 1;
    while (i > 0 && starts[i] > n) i--;
    return ranges[i].from + (n - starts[i]);
  };
}

interface StackRun {
  args: string[];
  files: string[];
  size: { width: number; height: number };
  /** Output frame index of the n-th stacked picture. */
  indexOf: (n: number) => number;
  neighbours?: boolean;
  signal?: AbortSignal;
}

/** Runs one frame-stack ffmpeg and scores each file's frame against the ideal frame above it. */
async function scoreStack(run: StackRun): Promise<FrameComparison[]> {
  const results: FrameComparison[] = run.files.map((file) => ({ file, frames: [], min: IDENTICAL_PSNR, worst: -1 }));
  const plane = run.size.width * run.size.height;
  const parts = run.files.length + 1;
  const pictureBytes = (plane * 3 * parts) / 2;
  const lumaBytes = plane * parts;
  // The stacked luma planes: the ideal frame, then each file's frame.
  const picture = Buffer.alloc(pictureBytes);
  const previous = Buffer.alloc(lumaBytes);
  let previousIndex = -2;
  let filled = 0;
  let count = 0;

  const score = (): void => {
    const index = run.indexOf(count++);
    const adjacent = previousIndex === index - 1;
    const change = run.neighbours && adjacent ? planePsnr(picture, 0, previous, 0, plane) : undefined;
    for (let e = 0; e < run.files.length; e++) {
      const at = (e + 1) * plane;
      const s: FrameScore = { index, psnr: planePsnr(picture, at, picture, 0, plane) };
      if (run.neighbours && adjacent) {
        s.changeBefore = change;
        s.prev = planePsnr(picture, at, previous, 0, plane);
        const before = results[e].frames[results[e].frames.length - 1];
        before.next = planePsnr(previous, at, picture, 0, plane);
        before.changeAfter = change;
      }
      results[e].frames.push(s);
    }
    if (run.neighbours) picture.copy(previous, 0, 0, lumaBytes);
    previousIndex = index;
  };

  await runProcess(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...run.args], {
    signal: run.signal,
    onChunk: (chunk) => {
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(chunk.length - at, pictureBytes - filled);
        chunk.copy(picture, filled, at, at + n);
        filled += n;
        at += n;
        if (filled === pictureBytes) {
          score();
          filled = 0;
        }
      }
    },
  });

  for (const r of results) {
    for (const f of r.frames) {
      if (f.psnr < r.min || r.worst < 0) {
        r.min = f.psnr;
        r.worst = f.index;
      }
    }
  }
  return results;
}

/**
 * Scores every encoded file against the ideal frames of `source`. The ffmpeg run reads the source once
 * and each file once, from the start; pictures are compared at `compareSize`.
 */
export async function compareFrames(input: CompareFramesInput): Promise<FrameComparison[]> {
  const size = compareSize(input.width, input.height, input.maxShortSide);
  const ranges = input.ranges ? normalizeRanges(input.ranges) : undefined;
  if (ranges && ranges.length === 0) return input.encoded.map((file) => ({ file, frames: [], min: IDENTICAL_PSNR, worst: -1 }));
  return scoreStack({
    args: frameStackArgs({ ...input, ...size, ranges }),
    files: input.encoded,
    size,
    indexOf: indexer(ranges),
    neighbours: input.neighbours,
    signal: input.signal,
  });
}

export interface CompareWindowInput {
  source: string;
  videoStream: number;
  /** Output frame rate, "num/den". */
  fps: string;
  rotation: 'auto' | number;
  /** Source timestamp (seconds) of output frame 0: the job's grid origin. */
  gridStart: number;
  /** Each file with the timestamp of its own frame 0 (its video start). */
  encoded: { file: string; start: number }[];
  range: FrameRange;
  width: number;
  height: number;
  maxShortSide?: number;
  neighbours?: boolean;
  threads?: number;
  signal?: AbortSignal;
}

/**
 * Scores one range of output frames, seeking every input to just before it instead of decoding from the
 * start: cheap when keyframes are frequent. The grid is re-anchored at the range's first frame, a double
 * that can round a source frame lying within half a timestamp tick of a slot boundary into the slot next
 * to it; a caller that finds a problem here confirms it with compareFrames, which anchors exactly.
 */
export async function compareWindow(input: CompareWindowInput): Promise<FrameComparison[]> {
  const size = compareSize(input.width, input.height, input.maxShortSide);
  const rate = parseRational(input.fps);
  if (!rate) throw new Error(`internal: bad frame rate ${input.fps}`);
  const offset = (input.range.from * rate.den) / rate.num;
  return scoreStack({
    args: windowStackArgs({
      source: { file: input.source, at: input.gridStart + offset },
      videoStream: input.videoStream,
      fps: input.fps,
      rotation: input.rotation,
      encoded: input.encoded.map((e) => ({ file: e.file, at: e.start + offset })),
      frames: input.range.to - input.range.from,
      ...size,
      threads: input.threads,
    }),
    files: input.encoded.map((e) => e.file),
    size,
    indexOf: (n) => input.range.from + n,
    neighbours: input.neighbours,
    signal: input.signal,
  });
}
