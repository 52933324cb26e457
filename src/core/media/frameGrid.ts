// The job's output frame grid, in exact arithmetic. Output frame k of a
// rendition at rate F shows the source frame that a single-pass
// `setpts=PTS-STARTPTS,fps=F` shows: the last frame whose time after the first
// frame, times F, rounds (half away from zero, like ffmpeg's rescaling) to at
// most k. Shards select their frames by these absolute slots, so no shard can
// drift from the grid. Pts of a 1 ns timebase times a frame rate overflow a
// double, hence BigInt inside; the values that travel stay safe integers.
import type { Rational } from './rational';

export interface FrameGrid {
  /** Timebase of the source video stream, "num/den" (e.g. "1/90000"): the unit of every pts below. */
  timeBase: string;
  /** Pts of the first decoded frame: slot 0 of every rendition. */
  startPts: number;
  /** Pts where the last frame ends: its pts plus its packet duration, or one frame at the source rate without one. */
  endPts: number;
}

/** Seconds after the grid's start, as an exact fraction (den > 0; num may be negative before the start). */
export type GridTime = Rational;

export function parseTimeBase(text: string): Rational {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const num = m ? Number(m[1]) : NaN;
  const den = m ? Number(m[2]) : NaN;
  if (!(num > 0 && den > 0 && Number.isSafeInteger(num) && Number.isSafeInteger(den))) throw new Error(`internal: bad timebase "${text}"`);
  return { num, den };
}

/** a / b rounded to the nearest integer, halves away from zero (b > 0). */
function roundDiv(a: bigint, b: bigint): bigint {
  const q = (2n * (a < 0n ? -a : a) + b) / (2n * b);
  return a < 0n ? -q : q;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function reduced(num: bigint, den: bigint): GridTime {
  const g = gcd(num, den) || 1n;
  return { num: Number(num / g), den: Number(den / g) };
}

/** The grid time of a source pts. */
export function gridTime(grid: FrameGrid, pts: number): GridTime {
  const tb = parseTimeBase(grid.timeBase);
  return reduced(BigInt(pts - grid.startPts) * BigInt(tb.num), BigInt(tb.den));
}

/** The output slot a frame at grid time `t` lands on at rate `fps`. */
export function slotAt(t: GridTime, fps: Rational): number {
  return Number(roundDiv(BigInt(t.num) * BigInt(fps.num), BigInt(t.den) * BigInt(fps.den)));
}

/** The grid time of output slot `k` at rate `fps`. */
export function slotTime(k: number, fps: Rational): GridTime {
  return reduced(BigInt(k) * BigInt(fps.den), BigInt(fps.num));
}

/** Output frames of the whole video at rate `fps`: what a single-pass encode with the same chain gives. */
export function gridFrameCount(grid: FrameGrid, fps: Rational): number {
  return Math.max(0, slotAt(gridTime(grid, grid.endPts), fps));
}

export function compareGridTimes(a: GridTime, b: GridTime): number {
  const d = BigInt(a.num) * BigInt(b.den) - BigInt(b.num) * BigInt(a.den);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function gridSeconds(t: GridTime): number {
  return t.num / t.den;
}

/** Pts in the grid's timebase, rounded to the nearest tick, of a time in another timebase (ffmpeg's settb). */
export function rescalePts(pts: number, from: Rational, to: Rational): number {
  return Number(roundDiv(BigInt(pts) * BigInt(from.num) * BigInt(to.den), BigInt(from.den) * BigInt(to.num)));
}

/** A grid time in ticks of the grid's timebase after its start, rounded up to a whole tick. */
export function gridTicksCeil(grid: FrameGrid, t: GridTime): number {
  const tb = parseTimeBase(grid.timeBase);
  const num = BigInt(t.num) * BigInt(tb.den);
  const den = BigInt(t.den) * BigInt(tb.num);
  const q = num / den;
  return Number(num % den > 0n ? q + 1n : q);
}
