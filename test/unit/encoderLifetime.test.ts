// A worker killed outright (kill -9, the OOM killer) must not leave its
// ffmpeg processes running: they would hold the machine's cores with nobody
// to read their output. Real processes: a Node "worker", real ffmpeg.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { eventually, sleep, until } from '../support/until';

const RUN_PROCESS = path.join(__dirname, '..', '..', 'src', 'media', 'runProcess.js');

/** Process ids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Running, not gone and not a zombie waiting for a reaper. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}


describe('encoder lifetime', () => {
  it('an ffmpeg started by a worker dies when the worker is killed with SIGKILL', { timeout: 60_000 }, async () => {
    // An encode that runs until stopped.
    const script = `require(${JSON.stringify(RUN_PROCESS)}).runProcess('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'null', '-']).catch(() => {}); setInterval(() => {}, 1000);`;
    const worker = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const encoder = await until('the worker to start ffmpeg', () => childrenOf(worker.pid!)[0], 10, 100);
    await sleep(300);
    assert.match(readFileSync(`/proc/${encoder}/cmdline`, 'utf8'), /ffmpeg/, 'the child is ffmpeg itself, not a launcher left waiting');
    process.kill(worker.pid!, 'SIGKILL');
    const gone = await eventually(() => !alive(encoder), 5, 100);
    if (!gone) process.kill(encoder, 'SIGKILL');
    assert.ok(gone, `ffmpeg ${encoder} kept running after its worker died`);
  });
});
