// The constant rate a source is encoded at, measured from its frame
// timestamps. Container rates mislead: Matroska and FLV count in milliseconds
// (some report 1000 fps), WebM can count in nanoseconds, and 24 fps content in
// a 1/30 timebase is flagged 30. Pure.
import { toNumber, type Rational } from './rational';

const STANDARD_RATES: Rational[] = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 48, den: 1 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
  { num: 60, den: 1 },
  { num: 100, den: 1 },
  { num: 120, den: 1 },
];

/** A gap this many typical frame intervals long is a pause or dropped frames, not the frame rate. */
const GAP_FACTOR = 2.5;

/**
 * Frames per second from the presentation timestamps of every frame (ascending, in ticks of `timeBase`):
 * frames divided by the time they cover, leaving out gaps (dropped frames, pauses), the last frame counted
 * with its own duration when the container gives one. Undefined when one frame without a duration tells nothing.
 */
export function measureFrameRate(pts: number[], timeBase: Rational, lastDuration?: number): number | undefined {
  const deltas: number[] = [];
  for (let i = 1; i < pts.length; i++) if (pts[i] > pts[i - 1]) deltas.push(pts[i] - pts[i - 1]);
  if (deltas.length === 0) return lastDuration && lastDuration > 0 ? 1 / (lastDuration * toNumber(timeBase)) : undefined;
  const median = [...deltas].sort((a, b) => a - b)[Math.floor(deltas.length / 2)];
  const kept = deltas.filter((d) => d <= GAP_FACTOR * median);
  let span = kept.reduce((a, b) => a + b, 0);
  span += lastDuration !== undefined && lastDuration > 0 && lastDuration <= GAP_FACTOR * median ? lastDuration : span / kept.length;
  return (kept.length + 1) / (span * toNumber(timeBase));
}

/** Snaps a measured rate to a standard one within 1 % (VFR phones give 59.94 or 60.06 for 60), else keeps it to 1/1000. */
export function snapFrameRate(measured: number): Rational {
  let best: Rational | undefined;
  for (const rate of STANDARD_RATES) {
    const diff = Math.abs(toNumber(rate) - measured) / measured;
    if (diff <= 0.01 && (!best || diff < Math.abs(toNumber(best) - measured) / measured)) best = rate;
  }
  if (best) return best;
  const num = Math.max(1, Math.round(measured * 1000));
  const g = gcd(num, 1000);
  return { num: num / g, den: 1000 / g };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * The rate to encode a source at: measured from its timestamps, else the container's nominal rate when it is
 * plausible (not the timebase itself, as 1000/1 is for millisecond containers), else 25.
 */
export function sourceFrameRate(measured: number | undefined, nominal: Rational | undefined, timeBase: Rational): Rational {
  if (measured !== undefined && Number.isFinite(measured) && measured > 0) return snapFrameRate(measured);
  if (nominal) {
    const value = toNumber(nominal);
    const isTimebase = Math.abs(value * toNumber(timeBase) - 1) < 1e-9;
    if (value >= 1 && value <= 240 && !isTimebase) return snapFrameRate(value);
  }
  return { num: 25, den: 1 };
}
