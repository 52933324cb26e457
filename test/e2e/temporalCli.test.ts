// Steering a job with the plain Temporal CLI, as docs/reliability.md documents:
// `temporal workflow update execute` for a repair, `temporal activity reset`
// for a shard stuck in retry backoff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../../src/core/names';
import { makeClip } from '../support/clips';
import { suiteEnvWithFailpoints, waitForPhase } from '../support/jobWaits';
import { until } from '../support/until';
import { temporalCli } from '../support/temporalCli';

describe('the plain Temporal CLI', () => {
  const suiteEnv = suiteEnvWithFailpoints();

  it('repairs a job with temporal workflow update execute', { timeout: 180_000 }, async () => {
    const env = suiteEnv();
    const source = makeClip({ seconds: 3, fps: 25, gop: 25, audio: false });
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=2';
    const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/a/`, renditions: ['mp4-360p'], segmentSeconds: 1 });
    await waitForPhase(handle, 'awaiting-repair');
    delete process.env.SHARDFLOW_FAILPOINTS;

    const res = await temporalCli(env, ['workflow', 'update', 'execute', '--workflow-id', handle.workflowId, '--name', 'retryShards', '--input', '{"shards":[2]}', '--output', 'json']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout).result, { accepted: [{ shard: 2, rendition: 'mp4-360p' }] });
    await handle.result();
  });

  it('re-runs a shard stuck in retry backoff at once with temporal activity reset', { timeout: 180_000 }, async () => {
    const env = suiteEnv();
    const source = makeClip({ seconds: 3, fps: 25, gop: 25, audio: false });
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=1';
    const handle: WorkflowHandle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/b/`, renditions: ['mp4-360p'], segmentSeconds: 1 });
    const batch = env.client.workflow.getHandle(`${handle.workflowId}.shards-0`);
    const activityId = 'shard-1.mp4-360p';
    // Attempt 3 has failed: the next try is 4 s of backoff away.
    await until('three failed attempts', async () => {
      const d = await batch.describe().catch(() => undefined);
      const a = d?.raw.pendingActivities?.find((p) => p.activityId === activityId);
      return a && (a.attempt ?? 0) >= 4 ? true : undefined;
    });
    delete process.env.SHARDFLOW_FAILPOINTS;
    const res = await temporalCli(env, ['activity', 'reset', '--workflow-id', batch.workflowId, '--activity-id', activityId]);
    assert.equal(res.code, 0, res.stderr);
    await handle.result();

    const events = (await batch.fetchHistory()).events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === activityId)!;
    const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId));
    assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 1, 'the reset started the attempts over');
    assert.equal((await handle.query(progressQuery)).failedShards, undefined, 'the job never had to wait for repair');
  });
});
