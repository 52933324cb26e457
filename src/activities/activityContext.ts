// What activity code needs from the platform running it: heartbeats, a
// cancellation signal, the attempt number and a metric meter. Inside a Temporal
// activity that is Temporal's Context; in a function handler (src/fc/) it is an
// ambient context the handler sets per request, so the same activity code runs
// in both places unchanged.
import { AsyncLocalStorage } from 'node:async_hooks';
import { asyncLocalStorage as temporalActivityStorage, log, type Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';
import { withWorkerStop } from './workerStop';

export interface ActivityContext {
  heartbeat(details?: unknown): void;
  readonly cancellationSignal: AbortSignal;
  /** 1 for the first attempt, as Temporal counts. */
  readonly attempt: number;
  /** Undefined where nothing collects metrics. */
  readonly metricMeter?: MetricMeter;
}

const ambient = new AsyncLocalStorage<ActivityContext>();

/** Runs `work` with `ctx` as the activity context of everything it calls (outside Temporal). */
export function runWithActivityContext<T>(ctx: ActivityContext, work: () => Promise<T>): Promise<T> {
  return ambient.run(ctx, work);
}

/** The ambient context when a function handler set one, else Temporal's inside an activity, else undefined. */
export function currentActivityContext(): ActivityContext | undefined {
  // Ambient first: it wraps exactly one invocation, while Temporal's context would also leak into a handler
  // server that happened to be started from inside an activity (async context follows the server's creation).
  const set = ambient.getStore();
  if (set) return set;
  const temporal = temporalActivityStorage.getStore();
  return temporal ? fromTemporal(temporal) : undefined;
}

/** As currentActivityContext, but activity code that needs a context fails loudly without one. */
export function activityContext(): ActivityContext {
  const ctx = currentActivityContext();
  if (!ctx) throw new Error('not in an activity: no Temporal activity context and no function invocation context');
  return ctx;
}

function fromTemporal(ctx: Context): ActivityContext {
  return {
    heartbeat: (details) => ctx.heartbeat(details),
    cancellationSignal: withWorkerStop(ctx.cancellationSignal),
    attempt: ctx.info.attempt,
    metricMeter: ctx.metricMeter,
  };
}

/** A warning in the activity's log: Temporal's activity logger inside a worker, stderr elsewhere (the function handler). */
export function warnInActivity(message: string, meta: Record<string, unknown>): void {
  if (temporalActivityStorage.getStore()) log.warn(message, meta);
  else process.stderr.write(`warning: ${message} ${JSON.stringify(meta)}\n`);
}
