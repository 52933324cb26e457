// Scratch folders left by killed processes are swept; folders a live process
// may still be using are not. A real child process is SIGKILLed mid-activity.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeScratchDir, sweepStaleScratch } from '../../src/storage/scratchDirs';

const DAY = 24 * 3600 * 1000;
const host = os.hostname().replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 40);

/** Sets a folder's and its files' modification times back by `ms`. */
function age(dir: string, ms: number): void {
  const when = new Date(Date.now() - ms);
  for (const name of readdirSync(dir)) utimesSync(path.join(dir, name), when, when);
  utimesSync(dir, when, when);
}

function folder(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'source.mp4'), 'x');
  return dir;
}

describe('scratch folders', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'scratch-sweep-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('are named after the process that made them', async () => {
    const dir = await makeScratchDir(root, 'act');
    assert.match(path.basename(dir), new RegExp(`^act-${host}\\.${process.pid}-[A-Za-z0-9]{6}$`));
    rmSync(dir, { recursive: true });
  });

  it('are swept when their process was killed, and kept while a process may still use them', async () => {
    // A real activity scratch folder, its process SIGKILLed while working in it.
    const kit = path.resolve(__dirname, '../../src/activities/activityKit.js');
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(kit)}).withScratch(${JSON.stringify(root)}, (d) => { console.log(d); return new Promise(() => {}); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const killedDir = await new Promise<string>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim())));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.ok(existsSync(killedDir), 'SIGKILL left the folder behind');

    const ours = await makeScratchDir(root, 'act');
    const otherHostFresh = folder(root, 'act-elsewhere.4242-abcDEF');
    const otherHostIdle = folder(root, 'copy-elsewhere.4243-abcDEF');
    age(otherHostIdle, 2 * DAY);
    const legacyFresh = folder(root, 'act-q1w2e3');
    const legacyIdle = folder(root, 'act-r4t5y6');
    age(legacyIdle, 2 * DAY);
    const livePid = folder(root, `act-${host}.${process.ppid}-zzzzzz`);
    const unrelated = folder(root, 'keep-me');
    age(unrelated, 30 * DAY);
    const outside = folder(root, 'outside-target');
    symlinkSync(outside, path.join(root, `act-${host}.99999999-linkxx`));

    // No process can have pid 99999999 (above Linux's pid_max); process.ppid is alive.
    const swept = await sweepStaleScratch(root);
    assert.deepEqual(
      swept.map((s) => [path.basename(s.path), s.reason]).sort(),
      [
        [path.basename(killedDir), 'owner-gone'],
        [`act-${host}.99999999-linkxx`, 'owner-gone'],
        ['act-r4t5y6', 'idle'],
        ['copy-elsewhere.4243-abcDEF', 'idle'],
      ].sort(),
    );
    for (const kept of [ours, otherHostFresh, legacyFresh, livePid, unrelated, path.join(outside, 'source.mp4')]) assert.ok(existsSync(kept), kept);
    for (const gone of [killedDir, otherHostIdle, legacyIdle]) assert.equal(existsSync(gone), false, gone);
  });
});
