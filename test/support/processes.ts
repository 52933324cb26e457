// Child processes of the test process, to prove cancellation left none behind.
import { execFileSync } from 'node:child_process';

/** ffmpeg processes whose parent is this test process (in-process workers and handlers spawn them). */
export function ourFfmpegs(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => /\bffmpeg\b/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}
