// A worker killed with SIGKILL mid-job: a new worker finishes the job, and only
// the shards that were in flight when it died run again.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { progressQuery } from '../../src/core/names';
import { makeClip } from '../support/clips';
import { videoOf } from '../support/ffprobe';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { until } from '../support/until';
import { spawnWorker, type WorkerProcess } from '../support/workerProcess';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

let env: TestEnv;
const workers: WorkerProcess[] = [];
before(async () => {
  env = await createTestEnv({ noWorkers: true, mediaConcurrency: 2 });
});
after(async () => {
  for (const w of workers) await w.kill();
  await env.close();
});

it('survives a SIGKILLed worker and re-runs only the in-flight shards', { timeout: 300_000 }, async () => {
  const source = makeClip({ seconds: 12, fps: 25, gop: 25, width: 640, height: 360, audio: false });
  const slow = { name: 'slow', container: 'mp4' as const, video: { codec: 'h264' as const, preset: 'slow', crf: 20 }, audio: { codec: 'none' as const } };
  const first = spawnWorker(env.config);
  workers.push(first);
  await first.ready;
  const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/out/`, renditions: [slow], segmentSeconds: 1 });

  // Wait until some shards are done and others are running, then kill the worker.
  const child = env.client.workflow.getHandle(`${handle.workflowId}.shards-0`);
  const inFlight = await until('shards in flight after two are done', async () => {
    const p = await handle.query(progressQuery);
    if ((p.renditions.slow?.done ?? 0) < 2) return undefined;
    const pending = (await child.describe()).raw.pendingActivities ?? [];
    const running = pending.filter((a) => a.state === STARTED).map((a) => a.activityId!);
    return running.length > 0 ? running : undefined;
  }, 90, 100);
  await first.kill('SIGKILL');

  const second = spawnWorker(env.config);
  workers.push(second);
  await second.ready;
  const result = (await handle.result()) as { shards: number; renditions: { frames: number }[] };
  assert.equal(result.shards, 12);

  // Attempts per activity, from the batch's history: only in-flight ones may show a second attempt.
  const events = (await child.fetchHistory()).events ?? [];
  const activityIds = new Map<number, string>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) activityIds.set(Number(e.eventId), a.activityId!);
  }
  assert.equal(activityIds.size, 12, 'one activity per shard');
  const retried = events
    .map((e) => e.activityTaskStartedEventAttributes)
    .filter((s) => s && (s.attempt ?? 1) > 1)
    .map((s) => activityIds.get(Number(s!.scheduledEventId))!);
  assert.ok(retried.length >= 1, 'the killed shard ran again');
  for (const id of retried) assert.ok(inFlight.includes(id), `activity ${id} ran again but was not in flight (${inFlight})`);

  const out = videoOf(`${env.dir}/out/slow.mp4`);
  assert.equal(out.frames, 300);
});
