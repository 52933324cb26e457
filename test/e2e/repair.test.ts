// One shard of eight fails for good: the other shards finish, the job waits
// for repair, and after the fault is cleared a retry re-runs that shard alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { abandonUpdate, retryShardsUpdate } from '../../src/core/names';
import { rootMessage } from '../../src/core/failureMessage';
import { makeClip } from '../support/clips';
import { videoOf } from '../support/ffprobe';
import { cliRunner } from '../support/cliRunner';
import { activityRuns } from '../support/history';
import { suiteEnvWithFailpoints, waitForPhase } from '../support/jobWaits';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

/** Temporal wraps the reason in a failure chain; match the innermost message. */
async function rejectsWith(promise: Promise<unknown>, pattern: RegExp, what?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.match(rootMessage(err), pattern, what);
    return true;
  });
}

describe('repairing failed shards', () => {
  const suiteEnv = suiteEnvWithFailpoints();

  it('re-runs only the failed shard after the fault is cleared', { timeout: 180_000 }, async () => {
    const env = suiteEnv();
    const source = makeClip({ seconds: 8, fps: 25, gop: 25, audio: true });
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=3';
    const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/out/`, renditions: ['mp4-360p'], segmentSeconds: 1 });

    await rejectsWith(handle.executeUpdate(retryShardsUpdate, { args: [{}] }), /is not awaiting repair \(phase: /, 'refused while transcoding');
    const waiting = await waitForPhase(handle, 'awaiting-repair');
    assert.equal(waiting.failedShards?.length, 1);
    const failed = waiting.failedShards![0];
    assert.equal(failed.shard, 3);
    assert.equal(failed.rendition, 'mp4-360p');
    assert.equal(failed.attempts, 5);
    assert.match(failed.error, /injected fault/);
    assert.deepEqual(waiting.renditions['mp4-360p'], { total: 8, done: 7, failed: 1 });
    const described = await handle.describe();
    assert.equal(described.searchAttributes.ShardflowPhase?.[0], 'awaiting-repair');

    await rejectsWith(handle.executeUpdate(retryShardsUpdate, { args: [{ shards: [9] }] }), /unknown shard 9; the job has shards 1 to 8/);
    await rejectsWith(handle.executeUpdate(retryShardsUpdate, { args: [{ shards: [2] }] }), /shard 2 has not failed/);

    delete process.env.SHARDFLOW_FAILPOINTS;
    const accepted = await handle.executeUpdate(retryShardsUpdate, { args: [{}] });
    assert.deepEqual(accepted.accepted, [{ shard: 3, rendition: 'mp4-360p' }]);
    const result = (await handle.result()) as { shards: number };
    assert.equal(result.shards, 8);
    assert.equal(videoOf(`${env.dir}/out/mp4-360p.mp4`).frames, 200);

    const starts = await activityRuns(env.client, [`${handle.workflowId}.shards-0`, `${handle.workflowId}.repair-1-0`]);
    assert.equal(starts.get('shard-3.mp4-360p'), 5 + 1, 'shard 3: five failed attempts and one repair');
    for (const [id, n] of starts) if (id !== 'shard-3.mp4-360p') assert.equal(n, 1, `${id} ran once`);
    assert.equal(starts.size, 8);
  });

  it('fails with the list of failed shards when abandoned, and cleans up', { timeout: 180_000 }, async () => {
    const env = suiteEnv();
    const source = makeClip({ seconds: 4, fps: 25, gop: 25, audio: false });
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=2,rendition=mp4-360p';
    const output = path.join(env.dir, 'abandoned');
    const handle = await env.start({ source: `file://${source}`, output: `file://${output}/`, renditions: ['mp4-360p', 'mp4-480p'], segmentSeconds: 1 });
    await waitForPhase(handle, 'awaiting-repair');
    const res = await handle.executeUpdate(abandonUpdate);
    assert.deepEqual(res, { abandoned: 1 });
    await assert.rejects(handle.result(), (err: unknown) => {
      const cause = (err as WorkflowFailedError).cause;
      return cause instanceof ApplicationFailure && cause.type === 'ShardsFailed' && /shard 2\/4 · mp4-360p/.test(cause.message);
    });
    assert.ok(!existsSync(output) || readdirSync(output).length === 0, 'nothing published');
    assert.equal(existsSync(path.join(env.dir, 'work', handle.workflowId)), false, 'work area cleaned');
    await assert.rejects(handle.executeUpdate(abandonUpdate), 'a closed job takes no update');
  });

  it('gives up at the repair deadline', { timeout: 180_000 }, async () => {
    const env = suiteEnv();
    const source = makeClip({ seconds: 4, fps: 25, gop: 25, audio: false });
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=1';
    const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/late/`, renditions: ['mp4-360p'], segmentSeconds: 1, repairDeadlineSeconds: 2 });
    await rejectsWith(handle.result(), /1 shard task\(s\) failed and the job was not repaired within 2 s: shard 1\/4 · mp4-360p after 5 attempt\(s\)/);
  });
});

describe('repair from the command line', () => {
  const suiteEnv = suiteEnvWithFailpoints();

  it('status shows the failed shard, retry re-runs it, list finds the job', { timeout: 180_000 }, async () => {
    const env = suiteEnv();
    const cli = cliRunner(env);
    const source = makeClip({ seconds: 3, fps: 25, gop: 25, audio: false });
    process.env.SHARDFLOW_FAILPOINTS = 'transcode:shard=2';
    const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/cli-out/`, renditions: ['mp4-360p'], segmentSeconds: 1 });

    const early = await cli(['retry', handle.workflowId]);
    assert.equal(early.code, 5, early.stderr);
    assert.match(early.stderr, /refused: job .* is not awaiting repair/);

    await waitForPhase(handle, 'awaiting-repair');
    const status = await cli(['status', handle.workflowId]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /phase awaiting-repair/);
    assert.match(status.stdout, /shard 2 · mp4-360p: 5 attempt\(s\), last error: injected fault/);
    assert.match(status.stdout, new RegExp(`shardflow retry ${handle.workflowId}`));

    const listed = await cli(['list', '--status', 'running', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const row = (JSON.parse(listed.stdout) as { jobId: string; phase: string }[]).find((r) => r.jobId === handle.workflowId);
    assert.equal(row?.phase, 'awaiting-repair');

    const unknown = await cli(['retry', handle.workflowId, '--shard', '7']);
    assert.equal(unknown.code, 5);
    assert.match(unknown.stderr, /unknown shard 7; the job has shards 1 to 3/);

    delete process.env.SHARDFLOW_FAILPOINTS;
    const retried = await cli(['retry', handle.workflowId, '--shard', '2', '--json']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.deepEqual(JSON.parse(retried.stdout).accepted, [{ shard: 2, rendition: 'mp4-360p' }]);
    await handle.result();
    assert.equal(videoOf(`${env.dir}/cli-out/mp4-360p.mp4`).frames, 75);
  });
});
