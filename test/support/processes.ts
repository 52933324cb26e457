// Child processes, to prove cancellation or a killed worker left no encoder behind.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** ffmpeg (and, with `tools`, ffprobe) processes whose parent is `parent`. */
export function mediaToolsOf(parent: number, tools: RegExp = /\bffmpeg\b/): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(parent)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when the process has no children
  }
  return out
    .split('\n')
    .filter((l) => tools.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** ffmpeg processes whose parent is this test process (in-process workers and handlers spawn them). */
export function ourFfmpegs(): number[] {
  return mediaToolsOf(process.pid);
}

/** True while `pid` runs; a zombie counts as gone (it runs nothing and holds no files). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z /.test(stat);
}
