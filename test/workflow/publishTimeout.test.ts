// A worker that dies while publishing: its attempt stops heartbeating, and the
// job retries the publish after the 30 s heartbeat timeout instead of sitting
// in "publishing" until the 30 min start-to-close timeout. Time-skipping
// server (which does not skip time while an activity runs, so this takes the
// real 30 s), stub activities; the first publish attempt goes silent.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { stubJob } from '../support/stubJob';
import { startStubJob } from '../support/stubJobRuns';
import { useTimeSkippingEnv, withWorker } from '../support/timeSkipping';

const env = useTimeSkippingEnv();

it('retries a publish whose worker went silent after the heartbeat timeout, not the 30 min one', { timeout: 120_000 }, async () => {
  const stub = stubJob({ shards: 2 });
  const publish = stub.activities.publishOutputs!;
  let attempts = 0;
  stub.activities.publishOutputs = async (input) => {
    attempts++;
    // A silent worker: no heartbeat, and an answer only after the heartbeat timeout. Without that timeout
    // this late answer would be accepted and no second attempt would run.
    if (attempts === 1) await new Promise((r) => setTimeout(r, 40_000));
    return publish(input);
  };
  await withWorker(env(), 'publish-silent', stub.activities, async () => {
    const handle = await startStubJob(env(), 'publish-silent');
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'publishOutputs');
    assert.ok(scheduled, 'publishOutputs was scheduled');
    // Retries are not in the history; the last attempt's start records how many there were and why the one before ended.
    const start = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString());
    assert.equal(attempts, 2);
    assert.equal(start?.activityTaskStartedEventAttributes?.attempt, 2);
    // Without a heartbeat timeout the first attempt would hold the publish for the 30 min start-to-close timeout.
    const done = events.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString());
    const seconds = (Number(done?.eventTime?.seconds) - Number(scheduled.eventTime?.seconds)) || Infinity;
    assert.ok(seconds < 120, `publish took ${seconds} s of server time`);
  });
});
