// Reads what a workflow's activities returned, from its recorded history.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

/** The results of every completed activity of `activityType`, in the order they completed. */
export async function activityResults<T>(handle: WorkflowHandle, activityType: string): Promise<T[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const typeOf = new Map<string, string>();
  const results: T[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) typeOf.set(String(e.eventId), scheduled.activityType?.name ?? '');
    const done = e.activityTaskCompletedEventAttributes;
    if (done && typeOf.get(String(done.scheduledEventId)) === activityType) {
      const payload = done.result?.payloads?.[0];
      results.push((payload ? defaultPayloadConverter.fromPayload(payload) : undefined) as T);
    }
  }
  return results;
}

/** The input of every scheduled activity of `activityType`, in the order they were scheduled. */
export async function activityInputs<T>(handle: WorkflowHandle, activityType: string): Promise<T[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((s) => s?.activityType?.name === activityType)
    .map((s) => {
      const payload = s!.input?.payloads?.[0];
      return (payload ? defaultPayloadConverter.fromPayload(payload) : undefined) as T;
    });
}

/**
 * How many times each activity ran, by activity id, across the given workflows (a job's batch and repair
 * children): a started event records the last attempt, so an activity ran that many times per scheduling.
 */
export async function activityRuns(client: Client, workflowIds: string[], activityType?: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const activityIds = new Map<number, string>();
    for (const e of events) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a && (!activityType || a.activityType?.name === activityType)) activityIds.set(Number(e.eventId), a.activityId!);
    }
    for (const e of events) {
      const started = e.activityTaskStartedEventAttributes;
      const key = started && activityIds.get(Number(started.scheduledEventId));
      if (key) counts.set(key, (counts.get(key) ?? 0) + (started.attempt ?? 1));
    }
  }
  return counts;
}

/** Ids of the activities of `workflowId` that have completed so far. */
export async function completedActivityIds(client: Client, workflowId: string, activityType?: string): Promise<string[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ids = new Map<string, string>();
  const done: string[] = [];
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a && (!activityType || a.activityType?.name === activityType)) ids.set(String(e.eventId), a.activityId!);
    const c = e.activityTaskCompletedEventAttributes;
    const id = c && ids.get(String(c.scheduledEventId));
    if (id) done.push(id);
  }
  return done;
}
