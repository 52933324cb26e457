// The media slots a job plans for count the workers polling now, not the ones
// the server still lists for 5 minutes after they stopped, nor this machine's
// workers whose process is gone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { it } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time';
import { liveWorkers, POLLED_WITHIN_MS, stoppedOnThisHost } from '../../src/activities/mediaSlots';

const NOW = 1_800_000_000_000;
const polled = (identity: string, agoMs?: number) => ({ identity, lastAccessTime: agoMs === undefined ? undefined : msToTs(NOW - agoMs) });

it('counts each worker polling now once, and leaves out the ones that stopped polling', () => {
  const pollers = [
    polled('8402@host-a', 2_000),
    polled('8402@host-a', 53_000), // a second poller of the same worker
    polled('7923@host-b', 59_000), // idle: its long poll is about to end and start again
    polled('7587@host-a', POLLED_WITHIN_MS + 1_000), // the worker before a restart
    polled('6915@host-c', 290_000),
  ];
  assert.equal(liveWorkers(pollers, NOW), 2);
});

it('counts a poller the server gives no time for, and none without an identity', () => {
  assert.equal(liveWorkers([polled('1@a'), { identity: '', lastAccessTime: msToTs(NOW) }], NOW), 1);
  assert.equal(liveWorkers([], NOW), 0);
});

it('leaves out a worker of this machine whose process has ended, even with recent polls', () => {
  // A process that has exited and been reaped: its pid names no process now.
  const ended = spawnSync(process.execPath, ['-e', '0']).pid;
  const host = os.hostname();
  assert.equal(stoppedOnThisHost(`${ended}@${host}`), true);
  assert.equal(stoppedOnThisHost(`${process.pid}@${host}`), false);
  // Another machine's worker cannot be looked up from here; neither can an identity of another shape.
  assert.equal(stoppedOnThisHost(`${ended}@not-${host}`), false);
  assert.equal(stoppedOnThisHost('worker-a'), false);
  const pollers = [polled(`${ended}@${host}`, 5_000), polled(`${process.pid}@${host}`, 1_000), polled(`${ended}@not-${host}`, 5_000)];
  assert.equal(liveWorkers(pollers, NOW), 2);
});
