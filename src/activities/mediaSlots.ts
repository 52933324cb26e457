// How many media slots a job's shard encodes can use at once: this worker's
// slots times the workers polling the media task queue. Workers are taken to
// be configured alike; the count only sets default shard lengths.
import * as os from 'node:os';
import { Context } from '@temporalio/activity';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

/**
 * A running worker polls again within this long: the server ends an idle long poll after 60 s, and the worker
 * polls at once again. The server lists a stopped worker for 5 minutes after its last poll, so without this a
 * restarted worker counted twice and jobs were cut for slots that were gone (7 shards of a 30 s clip on 2 slots).
 */
export const POLLED_WITHIN_MS = 75_000;

/**
 * True for a worker of this machine whose process is gone: the SDK names a worker `<pid>@<hostname>`, so a
 * worker restarted here a moment ago does not count twice while its old polls are still recent.
 */
export function stoppedOnThisHost(identity: string): boolean {
  const m = /^(\d+)@(.+)$/.exec(identity);
  if (!m || m[2] !== os.hostname()) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (err) {
    // EPERM: the process exists under another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Distinct identities among the pollers seen within POLLED_WITHIN_MS of `nowMs`; a poller with no time counts. */
export function liveWorkers(pollers: temporal.api.taskqueue.v1.IPollerInfo[], nowMs: number): number {
  const live = pollers.filter((p) => {
    const seen = optionalTsToMs(p.lastAccessTime);
    return seen === undefined || nowMs - seen <= POLLED_WITHIN_MS;
  });
  return new Set(live.map((p) => p.identity).filter((id): id is string => !!id && !stoppedOnThisHost(id))).size;
}

/** Workers polling the activity's own task queue now, times `ownSlots`; `ownSlots` when unknown. */
export async function mediaSlots(ownSlots: number): Promise<number> {
  try {
    const ctx = Context.current();
    const res = await ctx.client.workflowService.describeTaskQueue({
      namespace: ctx.info.workflowNamespace,
      taskQueue: { name: ctx.info.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    // This worker is running the activity, so it counts even if its clock and the server's disagree.
    return Math.max(1, liveWorkers(res.pollers ?? [], Date.now())) * ownSlots;
  } catch {
    // No client (a stand-alone activity call) or the server would not say: plan for this worker alone.
    return ownSlots;
  }
}
