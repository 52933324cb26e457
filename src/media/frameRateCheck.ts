// Is an output's frame rate one a source could honestly have? Container
// timebases masquerade as rates (FLV and Matroska say 1000/1, MPEG-TS 90000/1)
// and VFR averages come out as fractions like 2505000/83831; a rate taken
// from either encodes frames the source never had. Pure.
import { parseRational, toNumber } from '../core/media/rational';

/** Rates above this are timebases, not frame rates. */
const MAX_STANDARD_RATE = 240;

/** Two rates this close (relative) are the same rate. */
const SAME_RATE = 1e-4;

/** A whole number of frames per second (1..240), or the NTSC variant of one (n·1000/1001). */
export function isStandardRate(rate: number): boolean {
  if (!(rate > 0) || rate > MAX_STANDARD_RATE * 1.001) return false;
  const near = (value: number): boolean => Math.abs(value - Math.round(value)) <= Math.round(value) * SAME_RATE && Math.round(value) >= 1;
  return near(rate) || near((rate * 1001) / 1000);
}

export interface FrameRateFacts {
  /** The output's rate, "num/den". */
  output: string | undefined;
  /** Decoded source frames per second of their span, when measurable (two frames or more). */
  sourceRate?: number;
  /** The rate the rendition asks for, if any. */
  asked?: number;
}

/**
 * How far above the source's measured rate an output may run. A VFR clip averages below the rate it was
 * recorded at (a 30 fps phone clip with dropped frames averages 29.3) and snaps up to it; a timebase
 * taken for a rate is off by a factor (1000 for 24, 120 for 30, 30 for 24 content in a 1/30 timebase).
 */
const RATE_SLACK = 1.05;

/**
 * Why the rate is wrong, or undefined when it is sane: the rate asked for; otherwise a standard rate no
 * faster than the source really runs.
 */
export function frameRateProblem(f: FrameRateFacts): string | undefined {
  const parsed = parseRational(f.output);
  if (!parsed) return `its frame rate ${f.output ?? 'is missing'}${f.output ? ' is not a rate' : ''}`;
  const rate = toNumber(parsed);
  if (f.asked !== undefined) {
    return Math.abs(rate / f.asked - 1) <= SAME_RATE ? undefined : `its frame rate ${f.output} is not the ${f.asked} fps asked for`;
  }
  if (!isStandardRate(rate)) return `its frame rate ${f.output} is not a standard rate`;
  if (f.sourceRate !== undefined && rate > f.sourceRate * RATE_SLACK) {
    return `its frame rate ${f.output} is above the ${f.sourceRate.toFixed(3)} frames per second the source has`;
  }
  return undefined;
}
