// Dispatched activities: same names, inputs and outputs as the local ones, but
// the work runs in a function (FC or any POST /invoke service). The workflow
// does not know the difference; only the worker's configuration does.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Activities } from '../core/contracts';
import { withAttempt } from '../activities/activityKit';
import { Gate } from '../activities/gate';
import { withWorkerStop } from '../activities/workerStop';
import { createInvoker, type Invoker } from './invokers';
import type { DispatchSettings } from './settings';

export { dispatchSettings, describeDispatch, type DispatchSettings } from './settings';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wraps activities of every input type
type ActivityFn = (...args: any[]) => Promise<unknown>;

const HEARTBEAT_MS = 5000;

/** Heartbeats while `work` runs (waiting for a gate or a function), so cancellation is delivered and a dead worker is noticed. */
async function heartbeatWhile<T>(details: Record<string, unknown>, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const started = Date.now();
  const beat = () => ctx.heartbeat({ ...details, waitedSeconds: Math.round((Date.now() - started) / 1000) });
  beat();
  const timer = setInterval(beat, HEARTBEAT_MS);
  const signal = withWorkerStop(ctx.cancellationSignal);
  try {
    return await work(signal);
  } catch (err) {
    if (signal.aborted) throw new CancelledFailure(`${ctx.info.activityType} cancelled while ${details.waiting}`);
    throw err;
  } finally {
    clearInterval(timer);
  }
}

/** Activities whose body is a call to the function, bounded by `gate` (the function's concurrency quota). */
export function createDispatchedActivities(names: string[], invoker: Invoker, gate: Gate, where: string): Record<string, ActivityFn> {
  return Object.fromEntries(
    names.map((activity) => [
      activity,
      async (input: unknown) => {
        const release = await heartbeatWhile({ waiting: 'dispatch quota' }, (signal) => gate.acquire(signal));
        try {
          const attempt = Context.current().info.attempt;
          return await heartbeatWhile({ waiting: where }, (signal) => invoker({ activity, input, attempt }, signal));
        } catch (err) {
          throw withAttempt(err);
        } finally {
          release();
        }
      },
    ]),
  );
}

function gated(fn: ActivityFn, gate: Gate): ActivityFn {
  return async (...args) => {
    const release = await heartbeatWhile({ waiting: 'local media slot' }, (signal) => gate.acquire(signal));
    try {
      return await fn(...args);
    } finally {
      release();
    }
  };
}

/**
 * A queue's Worker when some of its activities are dispatched. Temporal hands any task of a queue to
 * any poller, so a second Worker on the same queue with only the dispatched activities would fail the
 * local ones it receives ("not registered"). Instead one Worker registers all of them with room for
 * both kinds, and each kind waits for its own gate: local runs stay at `localConcurrency`, calls in
 * flight at the function's quota. Only the dispatched names this Worker serves are planned. Workers that
 * call the same function share `callGate`, so together they stay within its quota.
 */
export function planDispatchingWorker(
  local: Partial<Activities>,
  settings: DispatchSettings,
  localConcurrency: number,
  invoker: Invoker = createInvoker(settings),
  callGate: Gate = new Gate(settings.concurrency),
): { activities: Record<string, ActivityFn>; slots: number } {
  const localGate = new Gate(localConcurrency);
  const activities: Record<string, ActivityFn> = {};
  const dispatched = settings.activities.filter((name) => name in local);
  for (const [name, fn] of Object.entries(local)) {
    if (!dispatched.includes(name)) activities[name] = gated(fn as ActivityFn, localGate);
  }
  const where = settings.mode === 'fc' ? 'Function Compute' : 'function endpoint';
  Object.assign(activities, createDispatchedActivities(dispatched, invoker, callGate, where));
  return { activities, slots: localConcurrency + settings.concurrency };
}
