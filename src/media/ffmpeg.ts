// Runs ffmpeg with machine-readable progress (-progress pipe:1) so long
// encodes can heartbeat what they have done.
import { ProcessError, runProcess } from './runProcess';

export interface FfmpegProgress {
  /** Frames written so far, when ffmpeg reports them. */
  frame?: number;
  /** Output time written so far. */
  outSeconds?: number;
}

export interface FfmpegOptions {
  signal?: AbortSignal;
  onProgress?: (progress: FfmpegProgress) => void;
}

export const FFMPEG = process.env.SHARDFLOW_FFMPEG ?? 'ffmpeg';
export const FFPROBE = process.env.SHARDFLOW_FFPROBE ?? 'ffprobe';

/**
 * ffmpeg exits 0 when a write to a full disk fails at the end ("Error writing trailer of …: No space left on
 * device"): its outputs are short, and the frame checks would blame the source. Such a run failed. When the
 * header or a packet cannot be written it exits non-zero instead; both say the same thing to the user.
 */
export class DiskFullError extends ProcessError {
  constructor(command: string, stderrTail: string, exitCode: number | null = 0) {
    super(command, exitCode, stderrTail);
    this.message = `${command} could not write all its output: no space left on the device; free some space and the job retries`;
    this.name = 'DiskFullError';
  }
}

/** Runs ffmpeg with the given arguments after our fixed, quiet preamble. */
export async function runFfmpeg(args: string[], options: FfmpegOptions = {}): Promise<void> {
  const preamble = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats'];
  let current: FfmpegProgress = {};
  const diskFull = (tail: string): boolean => /No space left on device/i.test(tail);
  const { stderrTail } = await runProcess(FFMPEG, [...preamble, ...args], {
    signal: options.signal,
    onLine: (line) => {
      const eq = line.indexOf('=');
      if (eq < 0) return;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      if (key === 'frame') current.frame = Number(value);
      else if (key === 'out_time_us' && value !== 'N/A') current.outSeconds = Number(value) / 1e6;
      else if (key === 'progress') {
        options.onProgress?.(current);
        current = {};
      }
    },
  }).catch((err: unknown) => {
    if (err instanceof ProcessError && diskFull(err.stderrTail)) throw new DiskFullError(FFMPEG, err.stderrTail, err.exitCode);
    throw err;
  });
  if (diskFull(stderrTail)) throw new DiskFullError(FFMPEG, stderrTail);
}

/** Runs ffprobe and returns its stdout. */
export async function runFfprobe(args: string[], signal?: AbortSignal): Promise<string> {
  const { stdout } = await runProcess(FFPROBE, ['-hide_banner', '-v', 'error', ...args], { signal });
  return stdout;
}

/** Runs ffprobe and hands each stdout line to `onLine` without buffering the whole output. */
export async function streamFfprobe(args: string[], onLine: (line: string) => void, signal?: AbortSignal): Promise<void> {
  await runProcess(FFPROBE, ['-hide_banner', '-v', 'error', ...args], { signal, onLine });
}
