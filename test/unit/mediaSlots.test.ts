// The media slots a job plans for count the workers polling now, not the ones
// the server still lists for 5 minutes after they stopped.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time';
import { liveWorkers, POLLED_WITHIN_MS } from '../../src/activities/mediaSlots';

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
