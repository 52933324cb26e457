// The presentation timestamps a decoder shows, exactly as ffmpeg hands them
// to its filters: frames decoded and wrapped without conversion, one framecrc
// line each. Where the container cannot say which frames will show (no pts,
// leading pictures dropped at the start), this is the answer.
import { frameTimesArgs, type FrameTimesInput } from './ffmpegArgs';
import { FFMPEG } from './ffmpeg';
import { runProcess } from './runProcess';

export interface DecodedFrames {
  /** framecrc's timebase, "num/den" (the demuxer's, with -enc_time_base -1). */
  timeBase: string;
  /** Presentation timestamps in decode output order. */
  pts: number[];
}

const NO_PTS = '-9223372036854775808';

export async function decodeFrameTimes(input: FrameTimesInput, signal?: AbortSignal): Promise<DecodedFrames> {
  let timeBase = '';
  const pts: number[] = [];
  await runProcess(FFMPEG, frameTimesArgs(input), {
    signal,
    onLine: (line) => {
      if (line.startsWith('#tb 0:')) timeBase = line.slice(6).trim();
      if (line.startsWith('#') || line.trim() === '') return;
      const cols = line.split(',').map((c) => c.trim());
      if (cols.length >= 3 && cols[2] !== NO_PTS) pts.push(Number(cols[2]));
    },
  });
  return { timeBase, pts };
}
