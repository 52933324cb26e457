// Frame-by-frame comparison of an output with the source frames a single pass
// puts on the same grid, with ffmpeg's psnr filter and nothing of ours. A mean
// hides a shifted, repeated or missing frame (half the frames shifted by one
// still average 31 dB), so every frame is compared: with the source frame of
// its slot, and, where the picture moves, with the neighbouring source frames,
// which a frame in the wrong slot resembles more than its own.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Neighbouring source frames closer than this look alike: which of them a frame shows cannot be told, nor seen. */
const STILL_DB = 30;

/**
 * Luma PSNR of frame i of `a` against frame i + shift of `b`, for `count` frames (inf for identical frames).
 * Both are cut to exactly those frames and renumbered 0, 1, 2 ..., so the psnr filter pairs them one to one.
 */
export function framePsnr(a: string, b: string, count: number, shift = 0): number[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shardflow-psnr-'));
  const stats = path.join(dir, 'stats.log');
  // Paired by position, not by time: the lossless grid file (Matroska) rounds its timestamps to the millisecond.
  const cut = (from: number): string => `trim=start_frame=${from}:end_frame=${from + count},settb=1,setpts=N,format=yuv420p`;
  const graph = `[0:v]${cut(0)}[a];[1:v]${cut(shift)}[b];[a][b]psnr=stats_file='${stats.replace(/'/g, "'\\''")}'`;
  try {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', a, '-i', b, '-lavfi', graph, '-f', 'null', '-'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psnr of ${a} against ${b} failed: ${r.stderr.slice(-500)}`);
    return readFileSync(stats, 'utf8')
      .split('\n')
      .filter((l) => l.includes('psnr_y:'))
      .map((l) => {
        const v = /psnr_y:(\S+)/.exec(l)![1];
        return v === 'inf' ? Infinity : Number(v);
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Frames of `a` that are not the same pictures as `b`'s, one sentence each, when `a` was scaled by another path
 * (a ladder rung scaled from the rung above): each frame at least `minDb` against its counterpart, and clearly
 * closer to it than to the next frame of `b`, so a frame in the wrong slot is caught.
 */
export function rescaledFrameProblems(a: string, b: string, count: number, minDb = 35): string[] {
  const same = framePsnr(a, b, count);
  const next = framePsnr(a, b, count - 1, 1);
  const problems: string[] = [];
  if (same.length !== count) problems.push(`${same.length} frames compared, want ${count}`);
  same.forEach((db, f) => {
    if (db < minDb) problems.push(`frame ${f}: ${db.toFixed(1)} dB against its counterpart, want >= ${minDb}`);
    if (f < next.length && !(db > next[f] + 3)) problems.push(`frame ${f}: ${db.toFixed(1)} dB against its counterpart, ${next[f].toFixed(1)} dB against the next frame`);
  });
  return problems;
}

/** The source through `filters`, losslessly (FFV1): the frames a single pass shows, before any encoder touches them. */
export function gridFrames(source: string, filters: string[], out: string): string {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-copyts', '-i', source, '-map', '0:v:0', '-vf', filters.join(','), '-c:v', 'ffv1', '-an', out]);
  return out;
}

export interface FrameMatch {
  /** Frames compared: those the output and the grid source both have. */
  frames: number;
  /** The worst frame's luma PSNR against the source frame of its slot. */
  minPsnr: number;
  /** Frames that resemble a neighbouring source frame more than their own, where the picture moves. */
  shifted: number[];
}

/** Compares the first `count` frames of an encode with the lossless grid source (see gridFrames). */
export function matchFrames(out: string, grid: string, count: number): FrameMatch {
  const own = framePsnr(out, grid, count);
  const next = framePsnr(out, grid, count - 1, 1);
  const prev = framePsnr(grid, out, count - 1, 1);
  const motion = framePsnr(grid, grid, count - 1, 1);
  const shifted: number[] = [];
  own.forEach((p, i) => {
    const likeNext = i < count - 1 && motion[i] < STILL_DB && next[i] > p;
    const likePrev = i > 0 && motion[i - 1] < STILL_DB && prev[i - 1] > p;
    if (likeNext || likePrev) shifted.push(i);
  });
  return { frames: own.length, minPsnr: Math.min(...own), shifted };
}

/** The last frame of a video through `filters`, as a PNG (each decoded frame overwrites the one before). */
export function lastFrame(file: string, filters: string, out: string): string {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', file, '-map', '0:v:0', '-vf', filters, '-fps_mode', 'passthrough', '-update', '1', '-f', 'image2', out]);
  return out;
}
