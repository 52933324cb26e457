// Clips whose every frame says which frame it is: frame n is flat grey at a
// luma level of its own, and neighbours differ by a lot, so an output frame's
// mean luma names the source frame it shows even after lossy encoding. A frame
// shifted, repeated or dropped anywhere is seen exactly, not guessed from PSNR.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Distinct levels: frame n and n+1 differ by 92 luma steps, a frame repeats its level only 55 frames later. */
const LEVELS = 55;

export interface CounterSpec {
  frames: number;
  /** Nominal rate the frames are made at. */
  fps: number;
  /** Frames between keyframes (default: one keyframe). */
  gop?: number;
  /**
   * Variable frame rate: frame n is shown at n/fps + 0.012 sin(1.3 n) + 0.004 sin(0.41 n) s (up to half a frame
   * off at 30 fps), and the packets carry no durations.
   */
  jitter?: boolean;
  /** MP4 track timescale (default 90000): 30 with 24 fps frames rounds every pts to a 1/30 tick. */
  timescale?: number;
  /** Audio channels of a sine tone beside the video; none by default. */
  audioChannels?: number;
  container?: 'mp4' | 'mkv' | 'ts';
  size?: number;
}

/** Makes the clip in `dir` and returns its path. */
export function counterClip(dir: string, name: string, spec: CounterSpec): string {
  const size = spec.size ?? 64;
  const lum = `16+4*mod(N*23\\,${LEVELS})`;
  const filters = [`geq=lum='${lum}':cb=128:cr=128`];
  if (spec.jitter) filters.push('settb=1/90000', `setpts='(N/${spec.fps}+0.012*sin(N*1.3)+0.004*sin(N*0.41))/TB'`);
  const out = path.join(dir, `${name}.${spec.container ?? 'mp4'}`);
  const seconds = spec.frames / spec.fps;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=black:s=${size}x${size}:r=${spec.fps}:d=${seconds.toFixed(6)}`];
  if (spec.audioChannels) {
    const layout = { 1: 'mono', 2: 'stereo', 6: '5.1' }[spec.audioChannels] ?? `${spec.audioChannels}c`;
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds.toFixed(6)}`, '-filter_complex', `[1:a]aformat=channel_layouts=${layout}[a]`);
  }
  args.push('-map', '0:v', '-vf', filters.join(','), '-frames:v', String(spec.frames));
  if (spec.audioChannels) args.push('-map', '[a]', '-c:a', 'aac');
  const gop = String(spec.gop ?? 100000);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', '2', '-pix_fmt', 'yuv420p', '-fps_mode', 'passthrough');
  // Keep the jittered times: the encoder would otherwise count in 1/fps and round them back onto the grid. The
  // muxer then writes no packet durations, as some cameras' files have none.
  if (spec.jitter) args.push('-enc_time_base', '1/90000');
  if ((spec.container ?? 'mp4') === 'mp4') args.push('-video_track_timescale', String(spec.timescale ?? 90000));
  args.push(out);
  execFileSync('ffmpeg', args);
  return out;
}

/** Mean luma of every frame of `file`'s video after `filters` (no re-encode: straight from the filter graph). */
export function frameLevels(file: string, filters = 'null'): number[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-levels-'));
  const stats = path.join(dir, 'levels.txt');
  try {
    execFileSync('ffmpeg', [
      '-v', 'error', '-i', file, '-map', '0:v:0',
      '-vf', `${filters},signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG:file='${stats.replace(/'/g, "'\\''")}'`,
      '-fps_mode', 'passthrough', '-f', 'null', '-',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(stats, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('lavfi.signalstats.YAVG='))
      .map((l) => Number(l.split('=')[1]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The source frame (mod 55) a luma level names. */
export function frameOf(level: number): number {
  const step = Math.round((level - 16) / 4);
  for (let n = 0; n < LEVELS; n++) if ((n * 23) % LEVELS === ((step % LEVELS) + LEVELS) % LEVELS) return n;
  return -1;
}
