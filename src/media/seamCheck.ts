// Where shards meet, a frame can be shifted, repeated or lost while counts and
// durations stay right. This picks the output frames to look at around every
// cut and judges them against the source's ideal frames. Pure.
import type { FrameRange } from './compareArgs';
import type { FrameScore } from './frameCompare';

/** Output frames looked at on each side of a cut. */
export const SEAM_FRAMES_EACH_SIDE = 3;

/** Short side of the pictures compared: small is cheap, and a wrong frame differs at any size. */
export const SEAM_COMPARE_SHORT_SIDE = 180;

/**
 * A frame is misplaced when it matches the source frame next door better than its own by this much...
 */
export const NEIGHBOUR_MARGIN_DB = 1;

/**
 * ...and the two source frames differ by at least this much more than the output differs from the
 * neighbour (6.3x in squared error). Then the picture is the neighbour's and not its own encoded with
 * noise: by the triangle inequality an encode is always closer to its own source frame while its error
 * stays under 60 % of the distance between the two source frames, and an encoder that repeats a picture
 * only does so where the change is below its own noise. Where the source barely changes, a shifted frame
 * looks like noise and is as invisible; no rule can tell them apart. Measured over 16,638 frames of 22
 * clips at six encoder settings (docs/check.md): no honest frame flagged, the closest 2.3 dB short of it;
 * every shift where the source changes 10 dB more than the encoding error flagged.
 */
export const CHANGE_OVER_NOISE_DB = 8;

/**
 * Below this, a frame at a seam is not the source's picture at all (the wrong frame at a scene cut, a
 * frame turned the wrong way). Honest encodes at the comparison size stay far above it; a watermark
 * lowers every frame, so watermarked outputs are judged by the neighbour rule alone.
 */
export const SEAM_PSNR_FLOOR_DB = 15;

export interface Seam {
  /** 1-based: seam n joins shard n and shard n + 1. */
  number: number;
  /** First output frame of the later shard. */
  frame: number;
}

/** The seams of a job: the output frame where each inner cut falls on the grid anchored at `gridStart`, numbered from `firstNumber`. */
export function seamsOf(cuts: number[], gridStart: number, fps: number, totalFrames: number, firstNumber = 1): Seam[] {
  return cuts
    .map((cut, i) => ({ number: firstNumber + i, frame: Math.round((cut - gridStart) * fps) }))
    .filter((s) => s.frame > 0 && s.frame < totalFrames);
}

/** The output frames judged at a seam: SEAM_FRAMES_EACH_SIDE before and after it, inside the video. */
function judged(seam: Seam, totalFrames: number): FrameRange {
  return { from: Math.max(0, seam.frame - SEAM_FRAMES_EACH_SIDE), to: Math.min(totalFrames, seam.frame + SEAM_FRAMES_EACH_SIDE) };
}

/** The output frames to compare: the judged ones and one more on each side, so each judged frame has both neighbours. */
export function seamRanges(seams: Seam[], totalFrames: number): FrameRange[] {
  return seams.map((s) => {
    const r = judged(s, totalFrames);
    return { from: Math.max(0, r.from - 1), to: Math.min(totalFrames, r.to + 1) };
  });
}

/** -1 or +1 when the frame shows the source's picture before or after its own rather than its own. */
export function misplacement(score: FrameScore): -1 | 1 | undefined {
  const shows = (neighbour: number | undefined, change: number | undefined): boolean =>
    neighbour !== undefined && change !== undefined && neighbour - score.psnr > NEIGHBOUR_MARGIN_DB && change < neighbour - CHANGE_OVER_NOISE_DB;
  const before = shows(score.prev, score.changeBefore);
  const after = shows(score.next, score.changeAfter);
  if (before && (!after || score.prev! >= score.next!)) return -1;
  return after ? 1 : undefined;
}

export interface SeamJudgement {
  /** Skip the absolute floor (outputs that differ from the source on purpose, such as watermarked ones). */
  noFloor?: boolean;
}

/** Sorted frame indices as "20-28, 40". */
export function frameSpans(indices: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    parts.push(i === j ? String(indices[i]) : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** What is wrong at each bad seam, one sentence per seam; empty when every seam is right. */
export function seamProblems(seams: Seam[], scores: FrameScore[], totalFrames: number, judgement: SeamJudgement = {}): string[] {
  const byIndex = new Map(scores.map((s) => [s.index, s]));
  const problems: string[] = [];
  for (const seam of seams) {
    const range = judged(seam, totalFrames);
    const missing: number[] = [];
    const misplaced: FrameScore[] = [];
    const wrong: FrameScore[] = [];
    for (let k = range.from; k < range.to; k++) {
      const s = byIndex.get(k);
      if (!s) missing.push(k);
      else if (misplacement(s) !== undefined) misplaced.push(s);
      else if (!judgement.noFloor && s.psnr < SEAM_PSNR_FLOOR_DB) wrong.push(s);
    }
    const what: string[] = [];
    if (misplaced.length > 0) {
      const worst = misplaced.reduce((a, b) => (Math.max(b.prev ?? 0, b.next ?? 0) - b.psnr > Math.max(a.prev ?? 0, a.next ?? 0) - a.psnr ? b : a));
      const other = Math.max(worst.prev ?? -Infinity, worst.next ?? -Infinity);
      const sides = new Set(misplaced.map(misplacement));
      const which = sides.size > 1 ? 'a neighbouring source frame' : sides.has(-1) ? 'the source frame before their own' : 'the source frame after their own';
      what.push(
        `frame(s) ${frameSpans(misplaced.map((s) => s.index))} show ${which} ` +
          `(frame ${worst.index}: ${other.toFixed(1)} dB against ${worst.psnr.toFixed(1)} dB for its own): a frame is shifted, repeated or missing`,
      );
    }
    if (wrong.length > 0) {
      const worst = wrong.reduce((a, b) => (b.psnr < a.psnr ? b : a));
      what.push(`frame(s) ${frameSpans(wrong.map((s) => s.index))} do not show the source's picture (frame ${worst.index}: ${worst.psnr.toFixed(1)} dB, under ${SEAM_PSNR_FLOOR_DB} dB)`);
    }
    if (missing.length > 0) what.push(`frame(s) ${frameSpans(missing)} have no source frame to compare with`);
    if (what.length > 0) problems.push(`seam ${seam.number} (frame ${seam.frame}): ${what.join('; ')}`);
  }
  return problems;
}
