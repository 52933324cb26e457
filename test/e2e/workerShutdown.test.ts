// `shardflow worker` stopped with SIGTERM mid-encode, as a deploy stops it: with
// the grace period its running shard finishes there (one attempt); with a grace
// of 1 s, or after a second SIGTERM, the shard is cancelled (ffmpeg killed,
// scratch removed) and runs again on the next worker. Each time the process
// exits 0 and leaves nothing behind.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { makeClip } from '../support/clips';
import { videoOf } from '../support/ffprobe';
import { mediaToolsOf } from '../support/processes';
import { until } from '../support/until';
import { createTestEnv, type TestEnv } from '../support/testEnv';
import { spawnWorker, type WorkerProcess } from '../support/workerProcess';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
/** x264 veryslow keeps one 640x360 shard of a few seconds busy for several seconds even on a fast machine. */
const SLOW = { name: 'slow', container: 'mp4' as const, video: { codec: 'h264' as const, preset: 'veryslow', crf: 20 }, audio: { codec: 'none' as const } };

let env: TestEnv;
const workers: WorkerProcess[] = [];
before(async () => {
  env = await createTestEnv({ noWorkers: true, mediaConcurrency: 1 });
});
after(async () => {
  for (const w of workers) await w.kill();
  await env.close();
});

function worker(graceSeconds: number): WorkerProcess {
  const w = spawnWorker(env.config, {}, ['--metrics', 'off', '--shutdown-grace', String(graceSeconds)]);
  workers.push(w);
  return w;
}

/** Activity ids of the shard encodes running now in the job's batch. */
async function runningShards(handle: WorkflowHandle): Promise<string[]> {
  return until('a shard encode in flight', async () => {
    try {
      const d = await env.client.workflow.getHandle(`${handle.workflowId}.shards-0`).describe();
      const ids = (d.raw.pendingActivities ?? []).filter((a) => a.state === STARTED).map((a) => a.activityId!);
      return ids.length > 0 ? ids : undefined;
    } catch {
      return undefined; // the batch has not started yet
    }
  });
}

/** SIGTERMs the worker (twice when `again`) and resolves with its exit code and how long it took to exit. */
async function stop(w: WorkerProcess, again = false): Promise<{ code: number | null; seconds: number }> {
  const t0 = Date.now();
  const exited = new Promise<number | null>((resolve) => w.child.once('exit', (code) => resolve(code)));
  w.child.kill('SIGTERM');
  if (again) {
    await until('the draining line', async () => (w.output().includes('draining') ? true : undefined), 10);
    w.child.kill('SIGTERM');
  }
  const code = await exited;
  return { code, seconds: (Date.now() - t0) / 1000 };
}

interface Attempt {
  attempt: number;
  identity: string;
}

/** Per activity id of the batch: the attempts that started and the identity that completed it. */
async function shardAttempts(handle: WorkflowHandle): Promise<Map<string, { started: Attempt[]; completedBy?: string }>> {
  const events = (await env.client.workflow.getHandle(`${handle.workflowId}.shards-0`).fetchHistory()).events ?? [];
  const ids = new Map<number, string>();
  const runs = new Map<string, { started: Attempt[]; completedBy?: string }>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      ids.set(Number(e.eventId), scheduled.activityId!);
      runs.set(scheduled.activityId!, { started: [] });
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) runs.get(ids.get(Number(started.scheduledEventId))!)!.started.push({ attempt: started.attempt ?? 1, identity: started.identity ?? '' });
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) runs.get(ids.get(Number(completed.scheduledEventId))!)!.completedBy = completed.identity ?? '';
  }
  return runs;
}

/** A job of one 8 s shard, started with `first` running alone; resolves once that shard's encode runs there. */
async function oneLongShard(first: WorkerProcess, name: string): Promise<{ handle: WorkflowHandle; shard: string }> {
  const source = makeClip({ seconds: 8, fps: 25, gop: 25, width: 640, height: 360, audio: false });
  await first.ready;
  const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/${name}/`, renditions: [SLOW], segmentSeconds: 8 });
  const [shard] = await runningShards(handle);
  return { handle, shard };
}

/** A new worker finishes the job: every frame, and the cancelled shard's second attempt completed there. */
async function finishOnNextWorker(handle: WorkflowHandle, name: string, shard: string): Promise<void> {
  const next = worker(120);
  await next.ready;
  await handle.result();
  assert.equal(videoOf(`${env.dir}/${name}/slow.mp4`).frames, 200);
  const run = (await shardAttempts(handle)).get(shard)!;
  assert.deepEqual(run.started.map((s) => s.attempt), [2], `${shard} ran again after the cancel (a retried activity records its last attempt)`);
  assert.match(run.completedBy ?? '', new RegExp(`^${next.child.pid}@`), `${shard} completed on the next worker`);
  await next.kill('SIGTERM');
}

function scratchLeft(): string[] {
  try {
    return readdirSync(env.config.scratchDir);
  } catch {
    return [];
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

it('lets the shard in flight finish on a SIGTERMed worker, then exits 0', { timeout: 300_000 }, async (t) => {
  const source = makeClip({ seconds: 6, fps: 25, gop: 25, width: 640, height: 360, audio: false });
  const first = worker(120);
  await first.ready;
  const handle = await env.start({ source: `file://${source}`, output: `file://${env.dir}/drained/`, renditions: [SLOW], segmentSeconds: 3 });
  const inFlight = await runningShards(handle);

  const { code, seconds } = await stop(first);
  t.diagnostic(`SIGTERM to exit, shard drained: ${seconds.toFixed(1)} s`);
  assert.equal(code, 0, first.output());
  assert.ok(seconds < 120, `exited within the grace period (${seconds} s)`);
  assert.match(first.output(), /worker stopping \(SIGTERM\): takes no new tasks; draining 1 running task\(s\) for up to 120 s/);
  assert.match(first.output(), /worker drained after [\d.]+ s: every running task finished/);
  assert.doesNotMatch(first.output(), /cancelling/);
  assert.deepEqual(scratchLeft(), [], 'no scratch left by the stopped worker');

  const second = worker(120);
  await second.ready;
  await handle.result();
  assert.equal(videoOf(`${env.dir}/drained/slow.mp4`).frames, 150);
  const runs = await shardAttempts(handle);
  for (const id of inFlight) {
    const run = runs.get(id)!;
    assert.deepEqual(run.started.map((s) => s.attempt), [1], `${id}: one attempt, no second`);
    assert.match(run.completedBy ?? '', new RegExp(`^${first.child.pid}@`), `${id} completed on the SIGTERMed worker`);
  }
  await second.kill('SIGTERM');
});

it('cancels the shard when the grace period is over; it runs again on the next worker', { timeout: 300_000 }, async (t) => {
  const first = worker(1);
  const { handle, shard } = await oneLongShard(first, 'cancelled');
  const encoders = await until('ffmpeg running', async () => {
    const pids = mediaToolsOf(first.child.pid!);
    return pids.length > 0 ? pids : undefined;
  }, 30);

  const { code, seconds } = await stop(first);
  t.diagnostic(`SIGTERM to exit, 1 s grace: ${seconds.toFixed(1)} s`);
  assert.equal(code, 0, first.output());
  assert.ok(seconds < 15, `stopped soon after the 1 s grace period (${seconds} s)`);
  assert.match(first.output(), /worker grace period of 1 s is over: cancelling 1 task\(s\) still running/);
  assert.match(first.output(), /worker stopped after [\d.]+ s: the cancelled tasks killed their ffmpeg and removed their scratch/);
  assert.ok(encoders.every(gone), `ffmpeg ${encoders} gone`);
  assert.deepEqual(scratchLeft(), [], 'the cancelled shard removed its scratch');
  await finishOnNextWorker(handle, 'cancelled', shard);
});

it('stops at once on a second SIGTERM, cancelling the running shard', { timeout: 300_000 }, async (t) => {
  const first = worker(120);
  const { handle, shard } = await oneLongShard(first, 'at-once');

  const { code, seconds } = await stop(first, true);
  t.diagnostic(`first SIGTERM to exit, second SIGTERM once draining: ${seconds.toFixed(1)} s`);
  assert.equal(code, 0, first.output());
  assert.ok(seconds < 15, `stopped at once, not after the 120 s grace period (${seconds} s)`);
  assert.match(first.output(), /worker stopping at once \(second SIGTERM\): cancelling 1 running task\(s\)/);
  assert.match(first.output(), /worker stopped after [\d.]+ s: the cancelled tasks killed their ffmpeg/);
  assert.deepEqual(scratchLeft(), [], 'the cancelled shard removed its scratch');
  await finishOnNextWorker(handle, 'at-once', shard);
});
