// The grid a source's frames define: the rate to encode at (from the frame
// timestamps) and the span from the first frame to the end of the last. Pure.
import { formatRational, type Rational } from './rational';
import type { FrameGrid } from './frameGrid';
import { measureFrameRate, sourceFrameRate } from './sourceFrameRate';
import type { VideoTimeline } from './videoTimeline';

export interface SourceGrid {
  /** "num/den" */
  frameRate: string;
  grid: FrameGrid;
  /** Gaps between frames vary by more than 5 %. */
  variableFrameRate: boolean;
}

export function sourceGrid(timeline: Pick<VideoTimeline, 'frames' | 'lastDuration'>, timeBase: Rational, nominal: Rational | undefined): SourceGrid {
  const frames = timeline.frames.filter((t, i) => i === 0 || t !== timeline.frames[i - 1]);
  const rate = sourceFrameRate(measureFrameRate(frames, timeBase, timeline.lastDuration), nominal, timeBase);
  // A last frame without a duration lasts one frame at the source's rate, as a plain encode shows it.
  const lastDuration = timeline.lastDuration ?? Math.max(1, Math.round((timeBase.den * rate.den) / (timeBase.num * rate.num)));
  let minDelta = Infinity;
  let maxDelta = 0;
  for (let i = 1; i < frames.length; i++) {
    minDelta = Math.min(minDelta, frames[i] - frames[i - 1]);
    maxDelta = Math.max(maxDelta, frames[i] - frames[i - 1]);
  }
  return {
    frameRate: formatRational(rate),
    grid: {
      timeBase: `${timeBase.num}/${timeBase.den}`,
      startPts: frames[0] ?? 0,
      endPts: frames.length > 0 ? frames[frames.length - 1] + lastDuration : 0,
    },
    variableFrameRate: maxDelta > minDelta * 1.05,
  };
}
