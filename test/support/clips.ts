// Short synthetic clips made with ffmpeg's lavfi sources, cached per process.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ClipSpec {
  seconds: number;
  fps?: number;
  width?: number;
  height?: number;
  /** Frames between keyframes. */
  gop?: number;
  audio?: boolean;
  container?: 'mp4' | 'mkv' | 'mov' | 'webm';
}

const cacheDir = path.join(os.tmpdir(), `shardflow-clips-${process.pid}`);

export function makeClip(spec: ClipSpec): string {
  const fps = spec.fps ?? 25;
  const w = spec.width ?? 320;
  const h = spec.height ?? 240;
  const gop = spec.gop ?? fps;
  const container = spec.container ?? 'mp4';
  const name = `clip-${spec.seconds}s-${fps}fps-${w}x${h}-g${gop}-${spec.audio === false ? 'na' : 'a'}.${container}`;
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, name);
  if (existsSync(file)) return file;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}:duration=${spec.seconds}`];
  if (spec.audio !== false) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${spec.seconds}`);
  if (container === 'webm') args.push('-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', String(gop));
  else args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(gop), '-keyint_min', String(gop), '-pix_fmt', 'yuv420p');
  if (spec.audio !== false) args.push(...(container === 'webm' ? ['-c:a', 'libopus'] : ['-c:a', 'aac']));
  args.push(file);
  execFileSync('ffmpeg', args);
  return file;
}
