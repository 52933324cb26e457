// How many media slots a job's shard encodes can use at once: this worker's
// slots times the workers polling the media task queue. Workers are taken to
// be configured alike; the count only sets default shard lengths.
import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';

/** Distinct worker identities that polled the activity's own task queue lately, times `ownSlots`; `ownSlots` when unknown. */
export async function mediaSlots(ownSlots: number): Promise<number> {
  try {
    const ctx = Context.current();
    const res = await ctx.client.workflowService.describeTaskQueue({
      namespace: ctx.info.workflowNamespace,
      taskQueue: { name: ctx.info.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const workers = new Set((res.pollers ?? []).map((p) => p.identity).filter(Boolean)).size;
    return Math.max(1, workers) * ownSlots;
  } catch {
    // No client (a stand-alone activity call) or the server would not say: plan for this worker alone.
    return ownSlots;
  }
}
