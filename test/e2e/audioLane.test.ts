// A job's audio encode runs on the media queue's audio queue, in a slot of its
// own: with one media slot, the audio encode and a shard encode run at the same
// time. Each waits for the other to have started, so the job can only finish if
// the two ran side by side (with one shared slot each would wait forever).
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { describe, it } from 'node:test';
import type { Activities } from '../../src/core/contracts';
import { audioTaskQueue } from '../../src/core/names';
import { Stores } from '../../src/storage/stores';
import { createActivities } from '../../src/workerActivities';
import { makeClip } from '../support/clips';
import { audioOf, videoOf } from '../support/ffprobe';
import { createTestEnv } from '../support/testEnv';

const WAIT_MS = 30_000;

/** A promise settled by `open()`; it fails the task for good if never opened within WAIT_MS. */
function latch(what: string): { open: () => void; opened: () => Promise<void> } {
  let open!: () => void;
  const p = new Promise<void>((resolve) => (open = resolve));
  return {
    open,
    opened: () =>
      Promise.race([p, new Promise<void>((_, reject) => setTimeout(() => reject(ApplicationFailure.nonRetryable(`${what} never started: it waited for the same slot`)), WAIT_MS).unref())]),
  };
}

describe('audio encodes beside the shard encodes', () => {
  it('with one media slot, the audio encode runs while a shard encode runs, on its own queue', { timeout: 300_000 }, async () => {
    const env = await createTestEnv({ noWorkers: true, mediaConcurrency: 1 });
    try {
      const real = createActivities({ config: env.config, stores: new Stores(env.config.localStoreRoot, { scratchDir: env.config.scratchDir }) });
      const shardRunning = latch('a shard encode');
      const audioRunning = latch('the audio encode');
      const overrides: Partial<Activities> = {
        async encodeShard(input) {
          shardRunning.open();
          await audioRunning.opened();
          return real.encodeShard(input);
        },
        async encodeAudio(input) {
          audioRunning.open();
          await shardRunning.opened();
          return real.encodeAudio(input);
        },
      };
      await env.startWorkers(overrides);
      const source = makeClip({ seconds: 4, fps: 25, gop: 25, width: 320, height: 240, audio: true });
      const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/out/`, renditions: ['mp4-360p'], segmentSeconds: 2 });
      await handle.result();

      const file = `${env.dir}/out/mp4-360p.mp4`;
      assert.equal(videoOf(file).frames, 100);
      assert.ok(Math.abs(audioOf(file)!.duration - 4) < 0.05);
      const queues = ((await handle.fetchHistory()).events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a?.activityType?.name === 'encodeAudio')
        .map((a) => a!.taskQueue?.name);
      assert.deepEqual(queues, [audioTaskQueue(env.config.mediaTaskQueue)]);
    } finally {
      await env.close();
    }
  });
});
