// Waiting for a chaos job's moments: encodes done, a stage's activity running,
// and the result across a server restart.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { rootMessage } from '../../src/core/failureMessage';
import type { TranscodeResult } from '../../src/workflows/transcodeVideo';
import { completedActivityIds } from './history';
import { sleep, until } from './until';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/** until(), with a failed read taken as "not yet": the server may be down or the workflow not created yet. */
export function poll<T>(what: string, probe: () => Promise<T | undefined>, seconds = 120, everyMs = 50): Promise<T> {
  return until(what, () => probe().catch(() => undefined), seconds, everyMs);
}

/** True when an activity of `activityType` of the workflow is running on a worker. */
export async function activityRunning(client: Client, workflowId: string, activityType: string): Promise<boolean> {
  const d = await client.workflow.getHandle(workflowId).describe();
  return (d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === activityType && a.state === STARTED);
}

/** Waits until at least `n` shard encodes of the job have finished; returns their activity ids. */
export function encodesDone(client: Client, jobId: string, n: number): Promise<string[]> {
  return poll(`${n} encodes of ${jobId}`, async () => {
    const done = await completedActivityIds(client, `${jobId}.shards-0`, 'encodeShard');
    return done.length >= n ? done : undefined;
  });
}

/** The job's result, asked again while the server cannot answer (it is being restarted). */
export async function resultAcrossOutages(handle: WorkflowHandle, seconds = 240): Promise<TranscodeResult> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      return (await handle.result()) as TranscodeResult;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'WorkflowFailedError') throw new Error(`${handle.workflowId} failed: ${rootMessage(err)}`, { cause: err });
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}
