// A published streaming track as a player appends it: the init segment, then
// every media segment in order, written to one file that ffprobe and ffmpeg read.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** Joins `trackDir`'s init.mp4 and seg-*.m4s into `file`; returns `file`. */
export function joinedTrack(trackDir: string, file: string): string {
  const segments = readdirSync(trackDir).filter((f) => f.endsWith('.m4s')).sort();
  writeFileSync(file, Buffer.concat([readFileSync(path.join(trackDir, 'init.mp4')), ...segments.map((s) => readFileSync(path.join(trackDir, s)))]));
  return file;
}
