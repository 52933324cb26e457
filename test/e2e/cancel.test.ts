// Cancelling a job mid-transcode: ffmpeg stops, the work area is removed and
// nothing is published.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { progressQuery } from '../../src/core/names';
import { makeClip } from '../support/clips';
import { ourFfmpegs } from '../support/processes';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { eventually } from '../support/until';

let env: TestEnv;
before(async () => {
  env = await createTestEnv({ mediaConcurrency: 2 });
});
after(async () => {
  await env.close();
});

it('cancels cleanly: ffmpeg killed, work area removed, nothing published', { timeout: 120_000 }, async () => {
  const source = makeClip({ seconds: 20, fps: 25, gop: 25, width: 640, height: 360 });
  const slow = { name: 'slow', container: 'mp4' as const, video: { codec: 'h264' as const, preset: 'veryslow' }, audio: { codec: 'aac' as const } };
  const output = path.join(env.dir, 'out');
  const handle = await env.start({ source: `file://${source}`, output: `file://${output}/`, renditions: [slow], segmentSeconds: 2 });

  const sawFfmpeg = await eventually(async () => (await handle.query(progressQuery)).phase === 'transcoding' && ourFfmpegs().length > 0, 30, 100);
  assert.ok(sawFfmpeg, 'ffmpeg was running when the job was cancelled');
  await handle.cancel();

  await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
  assert.deepEqual(ourFfmpegs(), [], 'no ffmpeg left running');
  const p = await handle.query(progressQuery);
  assert.equal(p.phase, 'cancelled');
  assert.equal(existsSync(path.join(env.dir, 'work', handle.workflowId)), false, 'work area removed');
  assert.ok(!existsSync(output) || readdirSync(output).length === 0, 'nothing published');
  const scratch = path.join(env.dir, 'tmp');
  assert.ok(!existsSync(scratch) || readdirSync(scratch).length === 0, 'scratch files removed');
});
