// Reads what a workflow's activities returned, from its recorded history.
import type { WorkflowHandle } from '@temporalio/client';
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
