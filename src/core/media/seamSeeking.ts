// Whether a seam check seeks to each seam or decodes from the start: the
// comparison decides it for itself, and the workflow asks the same question
// before it spreads seams over tasks. Pure: workflow-safe.

/** How far before a window an input is sought, so that inexact seeking still lands before it. */
export const SEEK_MARGIN_SECONDS = 0.2;

/** Roughly what starting one ffmpeg and seeking costs, in seconds of decoding. */
const SEEK_OVERHEAD_SECONDS = 0.5;

/**
 * Seeking pays when decoding a GOP and a margin per seam, plus a start, costs less than decoding up to the last
 * seam. One seam in the middle of 10 s of 1080p with 2 s GOPs: 0.96 s sought, 2.67 s from the start.
 */
export function seekingPays(seams: number, lastSeamSeconds: number, sourceSeconds: number, sourceKeyframes: number): boolean {
  const gop = sourceSeconds / Math.max(1, sourceKeyframes);
  return seams * (gop + SEEK_MARGIN_SECONDS + SEEK_OVERHEAD_SECONDS) < lastSeamSeconds;
}
