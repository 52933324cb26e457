// Compares the frames around every shard cut of an output with the source's
// frames at the same grid times, as cheaply as is exact. With frequent
// keyframes each seam is sought to and decoded alone; with sparse ones (or
// seams close together) one pass from the start is cheaper. A seam that looks
// wrong after seeking is compared again from the start, where the grid is
// anchored exactly, so seeking never fails a job by itself.
import { inLanes } from './inLanes';
import { compareFrames, compareWindow, normalizeRanges, type FrameScore } from './frameCompare';
import { SEAM_COMPARE_SHORT_SIDE, seamProblems, seamRanges, seamsOf, type SeamJudgement } from './seamCheck';
import { parseRational, toNumber } from '../core/media/rational';
import { seekingPays } from '../core/media/seamSeeking';

export interface SeamComparisonInput {
  source: string;
  videoStream: number;
  /** Output frame rate, "num/den". */
  fps: string;
  /** Source timestamp of output frame 0. */
  gridStart: number;
  /** Source times of the inner cuts. */
  cuts: number[];
  /** The number of the first cut's seam in the job, when these are a part of its cuts (default 1). */
  firstSeam?: number;
  /** Seconds of source video and its keyframe count: how far a seek must decode. */
  sourceSeconds: number;
  sourceKeyframes: number;
  /**
   * Outputs of the same frames, compared in one run each time, so the source is decoded once for all of them
   * (a streaming ladder's rungs, when they are compared at the same size).
   */
  outputs: string[];
  /** Timestamp of the outputs' first video frame. */
  outputStart: number;
  outputFrames: number;
  width: number;
  height: number;
  judgement: SeamJudgement;
  threads: number;
  signal?: AbortSignal;
}

export interface SeamComparison {
  seams: number;
  /** Per output, in the order given: one sentence per bad seam. */
  problems: string[][];
  /** Whether the seams were sought to one by one. */
  sought: boolean;
}

export async function compareSeams(s: SeamComparisonInput): Promise<SeamComparison> {
  const rate = toNumber(parseRational(s.fps) ?? { num: 25, den: 1 });
  const seams = seamsOf(s.cuts, s.gridStart, rate, s.outputFrames, s.firstSeam);
  const none = (): string[][] => s.outputs.map(() => []);
  if (seams.length === 0) return { seams: 0, problems: none(), sought: false };
  const common = { source: s.source, videoStream: s.videoStream, width: s.width, height: s.height, maxShortSide: SEAM_COMPARE_SHORT_SIDE, neighbours: true, threads: s.threads, signal: s.signal };
  const judge = (which: typeof seams, scores: FrameScore[][]): string[][] => scores.map((frames) => seamProblems(which, frames, s.outputFrames, s.judgement));
  const fromStart = async (which: typeof seams): Promise<FrameScore[][]> => {
    const compared = await compareFrames({
      ...common,
      chain: { fps: s.fps, rotation: 'auto', anchor: s.gridStart },
      encoded: s.outputs,
      ranges: seamRanges(which, s.outputFrames),
    });
    return compared.map((c) => c.frames);
  };

  const sought = seekingPays(seams.length, seams[seams.length - 1].frame / rate, s.sourceSeconds, s.sourceKeyframes);
  if (!sought) return { seams: seams.length, problems: judge(seams, await fromStart(seams)), sought };

  const scores: FrameScore[][] = s.outputs.map(() => []);
  const windows = normalizeRanges(seamRanges(seams, s.outputFrames));
  // Short windows spend most of their time starting and seeking: one ffmpeg per thread beats threads in one.
  const lanes = Math.max(1, Math.min(s.threads, windows.length));
  const compared = await inLanes(windows.length, lanes, (w) =>
    compareWindow({ ...common, threads: Math.max(1, Math.floor(s.threads / lanes)), fps: s.fps, rotation: 'auto', gridStart: s.gridStart, encoded: s.outputs.map((file) => ({ file, start: s.outputStart })), range: windows[w] }),
  );
  for (const window of compared) window.forEach((c, i) => scores[i].push(...c.frames));
  const suspect = seams.filter((seam) => scores.some((frames) => seamProblems([seam], frames, s.outputFrames, s.judgement).length > 0));
  if (suspect.length === 0) return { seams: seams.length, problems: none(), sought };
  return { seams: seams.length, problems: judge(suspect, await fromStart(suspect)), sought };
}
