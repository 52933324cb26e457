// The shape of a big job's fan-out, on the time-skipping test server with stub
// activities: thousands of shard tasks spread over child workflows of at most
// batchSize tasks, each task run once, and every history far below Temporal's
// 51,200-event limit. End to end this needs hours of video; here it needs none.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { DEFAULT_BATCH_SIZE } from '../../src/core/job/jobInput';
import { MAX_SHARDS } from '../../src/core/job/limits';
import { SHARD_BATCH_WORKFLOW } from '../../src/core/names';
import { shardKey, stubJob, FRAMES_PER_SHARD } from '../support/stubJob';
import { startStubJob } from '../support/stubJobRuns';
import { useTimeSkippingEnv, withWorker } from '../support/timeSkipping';

/** Temporal fails an execution whose history passes this many events. */
const HISTORY_EVENT_LIMIT = 51_200;
/** Temporal refuses a single payload (an activity's input or result) larger than this by default. */
const BLOB_SIZE_LIMIT = 2 * 1024 * 1024;

const env = useTimeSkippingEnv();

async function historyLength(handle: WorkflowHandle): Promise<number> {
  return (await handle.fetchHistory()).events?.length ?? 0;
}

/** Bytes of the largest payload anywhere in the execution's history. */
async function largestPayload(handle: WorkflowHandle): Promise<number> {
  let largest = 0;
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) largest = Math.max(largest, v.length);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk((await handle.fetchHistory()).events);
  return largest;
}

/** Child workflows the job started, in order, with their types. */
async function childrenOf(handle: WorkflowHandle): Promise<{ id: string; type: string }[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
    .filter((a) => a !== null && a !== undefined)
    .map((a) => ({ id: a.workflowId ?? '', type: a.workflowType?.name ?? '' }));
}

const cases = [
  // A batch size that does not divide the task count, and batches that split a shard's renditions.
  { tasks: 5_000, shards: 2_500, renditions: ['mp4-360p', 'mp4-480p'], batchSize: 333 },
  // The most shards a job may ask for.
  { tasks: MAX_SHARDS, shards: MAX_SHARDS, renditions: ['mp4-360p'], batchSize: DEFAULT_BATCH_SIZE },
];

describe('batch fan-out', () => {
  for (const c of cases) {
    it(`${c.tasks} tasks: ${Math.ceil(c.tasks / c.batchSize)} children of at most ${c.batchSize}, each task once, small histories`, { timeout: 300_000 }, async () => {
      const stub = stubJob({ shards: c.shards });
      const queue = `fan-out-${c.tasks}`;
      const begun = Date.now();
      await withWorker(env(), queue, stub.activities, async () => {
        const handle = await startStubJob(env(), queue, { renditions: c.renditions, batchSize: c.batchSize });
        const result = (await handle.result()) as { shards: number };
        assert.equal(result.shards, c.shards);

        const children = Math.ceil(c.tasks / c.batchSize);
        const expectedIds = Array.from({ length: children }, (_, n) => `${handle.workflowId}.shards-${n}`);
        const started = await childrenOf(handle);
        assert.deepEqual(started.map((s) => s.id), expectedIds);
        assert.ok(started.every((s) => s.type === SHARD_BATCH_WORKFLOW));
        assert.deepEqual([...stub.shardRunsByWorkflow.keys()].sort(), [...expectedIds].sort());
        for (const [id, n] of stub.shardRunsByWorkflow) assert.ok(n <= c.batchSize, `${id} ran ${n} tasks`);
        assert.equal(stub.shardRunsByWorkflow.get(expectedIds[children - 1]), c.tasks - (children - 1) * c.batchSize);

        assert.equal(stub.count('encodeShard'), c.tasks);
        assert.equal(stub.shardRuns.size, c.tasks);
        for (const r of c.renditions) {
          for (const shard of [1, Math.ceil(c.shards / 2), c.shards]) assert.equal(stub.shardRuns.get(shardKey(shard, r)), 1);
        }
        assert.ok([...stub.shardRuns.values()].every((n) => n === 1), 'every task ran exactly once');
        assert.deepEqual(
          stub.verified.map((v) => v.shardFrames),
          c.renditions.map(() => c.shards * FRAMES_PER_SHARD),
          'frames reported by every batch add up per rendition',
        );

        const parentEvents = await historyLength(handle);
        const childEvents = await historyLength(env().client.workflow.getHandle(expectedIds[0]));
        process.stdout.write(`# ${c.tasks} tasks: parent ${parentEvents} events, first child ${childEvents} events, ${Date.now() - begun} ms\n`);
        assert.ok(parentEvents < HISTORY_EVENT_LIMIT / 10, `parent history: ${parentEvents} events`);
        assert.ok(childEvents < HISTORY_EVENT_LIMIT / 5, `child history: ${childEvents} events`);
        const payload = await largestPayload(handle);
        process.stdout.write(`# ${c.tasks} tasks: largest payload in the parent's history ${payload} bytes\n`);
        assert.ok(payload < BLOB_SIZE_LIMIT / 2, `a payload of ${payload} bytes is near Temporal's ${BLOB_SIZE_LIMIT}-byte limit`);
      });
      assert.equal(stub.count('publishOutputs'), 1);
    });
  }
});
