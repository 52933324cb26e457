// The awaiting-repair phase of transcodeVideo, on the time-skipping test
// server (Java SDK's temporal-test-server, installed by bootstrap) with stub
// activities: a 24 h repair deadline and the shard retries' backoff pass in
// skipped server time, so what takes a day end to end takes a second here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { rootMessage } from '../../src/core/failureMessage';
import { progressQuery, retryShardsUpdate } from '../../src/core/names';
import { shardKey, stubJob, FRAMES_PER_SHARD } from '../support/stubJob';
import { skipToPhase, startStubJob } from '../support/stubJobRuns';
import { useTimeSkippingEnv, withWorker } from '../support/timeSkipping';
import { eventually } from '../support/until';

const DAY_MS = 24 * 3600 * 1000;
/** activityOptions' media retry policy: a shard fails for good after this many attempts. */
const SHARD_ATTEMPTS = 5;

const env = useTimeSkippingEnv();

describe('a job awaiting repair', () => {
  it('fails with ShardsFailed naming the shard once the repair deadline passes, cleans up and publishes nothing', { timeout: 60_000 }, async () => {
    const stub = stubJob({ shards: 6, failing: new Set([shardKey(4, 'mp4-360p')]) });
    await withWorker(env(), 'repair-deadline', stub.activities, async () => {
      const startedAt = await env().currentTimeMs();
      const handle = await startStubJob(env(), 'repair-deadline');
      const waiting = await skipToPhase(env(), handle, 'awaiting-repair');
      assert.deepEqual(
        waiting.failedShards?.map((f) => ({ ...f, error: '' })),
        [{ shard: 4, rendition: 'mp4-360p', attempts: SHARD_ATTEMPTS, error: '', workflowId: `${handle.workflowId}.shards-0`, activityId: 'shard-4.mp4-360p' }],
      );
      assert.match(waiting.failedShards![0].error, /stub encoder crashed on shard 4\/mp4-360p/);
      const deadline = Date.parse(waiting.repairDeadline!);
      assert.ok(Math.abs(deadline - startedAt - DAY_MS) < 10 * 60_000, `repair deadline ${waiting.repairDeadline} is a day after the start`);
      assert.equal(stub.shardRuns.get(shardKey(4, 'mp4-360p')), SHARD_ATTEMPTS);
      for (const shard of [1, 2, 3, 5, 6]) assert.equal(stub.shardRuns.get(shardKey(shard, 'mp4-360p')), 1, `shard ${shard} ran once`);

      // An hour before the deadline the job still waits.
      await env().sleep(deadline - (await env().currentTimeMs()) - 3600_000);
      assert.equal((await handle.query(progressQuery)).phase, 'awaiting-repair');

      const realStart = Date.now();
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError, String(err));
        assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
        assert.equal(err.cause.type, 'ShardsFailed');
        assert.equal(err.cause.nonRetryable, true);
        assert.match(err.cause.message, /^1 shard task\(s\) failed and the job was not repaired within 86400 s: shard 4\/6 · mp4-360p after 5 attempt\(s\): .*stub encoder crashed/);
        return true;
      });
      assert.ok((await env().currentTimeMs()) >= deadline, 'server time passed the deadline');
      assert.ok(Date.now() - realStart < 30_000, 'the last hour was skipped, not waited');
      assert.equal((await handle.query(progressQuery)).phase, 'failed');
    });
    assert.equal(stub.count('cleanWorkArea'), 1);
    assert.equal(stub.count('publishOutputs'), 0);
    assert.equal(stub.count('mergeRendition'), 0);
    assert.equal(stub.count('encodeShard'), 5 + SHARD_ATTEMPTS);
  });

  it('ends cancelled when cancelled, cleans its work area and publishes nothing', { timeout: 60_000 }, async () => {
    const stub = stubJob({ shards: 4, failing: new Set([shardKey(2, 'mp4-360p')]) });
    await withWorker(env(), 'repair-cancel', stub.activities, async () => {
      const handle = await startStubJob(env(), 'repair-cancel');
      await skipToPhase(env(), handle, 'awaiting-repair');
      await handle.cancel();
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError, String(err));
        assert.ok(err.cause instanceof CancelledFailure, `cause: ${String(err.cause)}`);
        return true;
      });
      assert.equal((await handle.describe()).status.name, 'CANCELLED');
      assert.equal((await handle.query(progressQuery)).phase, 'cancelled');
    });
    assert.equal(stub.count('cleanWorkArea'), 1);
    assert.equal(stub.count('publishOutputs'), 0);
    assert.equal(stub.count('mergeRendition'), 0);
  });

  it('ends cancelled when shards finish just after the cancel: their progress signals fail no workflow task', { timeout: 60_000 }, async () => {
    let release!: () => void;
    const stub = stubJob({ shards: 4, encodesWaitFor: new Promise<void>((resolve) => (release = resolve)) });
    await withWorker(env(), 'late-shards', stub.activities, async () => {
      const handle = await startStubJob(env(), 'late-shards');
      await eventually(() => stub.count('encodeShard') >= 4, 10, 100);
      assert.equal(stub.count('encodeShard'), 4, 'every shard is encoding');
      await handle.cancel();
      // The encoders finish after the cancel; each finished task reports progress to a parent being cancelled.
      await new Promise((r) => setTimeout(r, 500));
      release();
      await assert.rejects(handle.result(), (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
      const child = env().client.workflow.getHandle(`${handle.workflowId}.shards-0`);
      const taskFailures = ((await child.fetchHistory()).events ?? [])
        .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message)
        .filter((m): m is string => typeof m === 'string');
      assert.deepEqual(taskFailures, [], 'the batch child ran every workflow task cleanly');
    });
    assert.equal(stub.count('publishOutputs'), 0);
  });

  it('re-runs only the shards a retryShards update names, round after round', { timeout: 60_000 }, async () => {
    const failing = new Set([shardKey(2, 'mp4-360p'), shardKey(5, 'mp4-360p'), shardKey(5, 'mp4-480p')]);
    const stub = stubJob({ shards: 8, failing });
    const renditions = ['mp4-360p', 'mp4-480p'];
    await withWorker(env(), 'repair-retry', stub.activities, async () => {
      const handle = await startStubJob(env(), 'repair-retry', { renditions });
      // Server time stands still until skipped, so the failing shards are still between retries.
      await assert.rejects(handle.executeUpdate(retryShardsUpdate, { args: [{}] }), (err: unknown) => {
        assert.match(rootMessage(err), /is not awaiting repair \(phase: /);
        return true;
      });
      let waiting = await skipToPhase(env(), handle, 'awaiting-repair');
      assert.deepEqual(
        waiting.failedShards?.map((f) => shardKey(f.shard, f.rendition)),
        ['2/mp4-360p', '5/mp4-360p', '5/mp4-480p'],
      );
      const runsBefore = new Map(stub.shardRuns);
      // The encoder is fixed for every shard: whatever re-runs now succeeds, so only the request decides.
      failing.clear();

      const rounds: { request: { shards?: number[]; rendition?: string }; reruns: string[]; left: string[] }[] = [
        { request: { shards: [5], rendition: 'mp4-480p' }, reruns: ['5/mp4-480p'], left: ['2/mp4-360p', '5/mp4-360p'] },
        { request: { shards: [2] }, reruns: ['2/mp4-360p'], left: ['5/mp4-360p'] },
        { request: {}, reruns: ['5/mp4-360p'], left: [] },
      ];
      for (const [i, round] of rounds.entries()) {
        const accepted = await handle.executeUpdate(retryShardsUpdate, { args: [round.request] });
        assert.deepEqual(accepted.accepted.map((a) => shardKey(a.shard, a.rendition)), round.reruns, `round ${i + 1} accepted`);
        if (round.left.length > 0) {
          waiting = await skipToPhase(env(), handle, 'awaiting-repair');
          assert.deepEqual(waiting.failedShards?.map((f) => shardKey(f.shard, f.rendition)), round.left, `round ${i + 1} left`);
        } else {
          const result = (await handle.result()) as { shards: number };
          assert.equal(result.shards, 8);
        }
        assert.equal(stub.shardRunsByWorkflow.get(`${handle.workflowId}.repair-${i + 1}-0`), round.reruns.length, `round ${i + 1} child ran only the named tasks`);
        assert.equal(stub.shardRunsByWorkflow.has(`${handle.workflowId}.repair-${i + 1}-1`), false);
      }
      for (const [key, n] of stub.shardRuns) {
        const extra = rounds.some((r) => r.reruns.includes(key)) ? 1 : 0;
        assert.equal(n, runsBefore.get(key)! + extra, `${key} ran ${runsBefore.get(key)} time(s) before the repairs and ${extra} in them`);
      }
      assert.equal(stub.shardRuns.size, 16);
      assert.equal(runsBefore.get('2/mp4-360p'), SHARD_ATTEMPTS);
      // Frames from the first run and every repair round add up to the whole job.
      assert.deepEqual(stub.verified.map((v) => v.shardFrames), [8 * FRAMES_PER_SHARD, 8 * FRAMES_PER_SHARD]);
    });
    assert.equal(stub.count('publishOutputs'), 1);
    assert.equal(stub.count('cleanWorkArea'), 1);
    assert.equal(stub.count('mergeRendition'), 2);
  });
});
