// `shardflow worker` told to stop (SIGTERM from a deploy, `systemctl stop` or
// Kubernetes; SIGINT from Ctrl-C): it takes no new tasks and lets the running
// ones finish for a grace period, so a rolling deploy keeps their work; then
// the SDK cancels what is left (ffmpeg killed, scratch removed) and the task
// runs again on another worker. A second signal cancels at once, a third
// exits without waiting.
import { GracefulShutdownPeriodExpiredError } from '@temporalio/worker';
import { cancelRunningActivities } from './activities/workerStop';
import { CANCEL_MARGIN_SECONDS, type WorkerSet } from './worker';

/** Long enough for a shard encode of a few seconds of 1080p on a busy machine; see docs/production.md. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 120;

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Stops `workers` gracefully on the first SIGTERM or SIGINT, writing one line per phase to `log`. Resolves when
 * the workers have stopped, whichever way; rejects when a task ignored cancellation past the margin.
 */
export function drainOnSignals(workers: WorkerSet, graceSeconds: number, log: (line: string) => void): Promise<void> {
  let signals = 0;
  let stoppingAt = 0;
  let cancelled = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const seconds = (): string => ((Date.now() - stoppingAt) / 1000).toFixed(1);

  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    const running = workers.runningActivities();
    if (signals === 1) {
      stoppingAt = Date.now();
      log(`worker stopping (${signal}): takes no new tasks; draining ${running} running task(s) for up to ${graceSeconds} s (${signal} again stops at once)`);
      // The SDK cancels what still runs when its grace time ends; this only says so.
      graceTimer = setTimeout(() => {
        const left = workers.runningActivities();
        if (left === 0) return;
        cancelled = true;
        log(`worker grace period of ${graceSeconds} s is over: cancelling ${left} task(s) still running; they run again on another worker`);
      }, graceSeconds * 1000);
      graceTimer.unref();
      // Failures surface through `done` below.
      workers.shutdown().catch(() => undefined);
    } else if (signals === 2) {
      clearTimeout(graceTimer);
      cancelled = cancelled || running > 0;
      log(`worker stopping at once (second ${signal}): cancelling ${running} running task(s); they run again on another worker`);
      cancelRunningActivities(`the worker was stopped at once by a second ${signal}`);
    } else {
      log(`worker exiting without waiting (third ${signal}): ffmpeg dies with it; the next worker to start here removes its scratch`);
      process.exit(1);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);

  return workers.done.then(
    () => {
      clearTimeout(graceTimer);
      if (signals === 0) return;
      log(
        cancelled
          ? `worker stopped after ${seconds()} s: the cancelled tasks killed their ffmpeg and removed their scratch`
          : `worker drained after ${seconds()} s: every running task finished`,
      );
    },
    (err: unknown) => {
      clearTimeout(graceTimer);
      if (err instanceof GracefulShutdownPeriodExpiredError) {
        log(`worker forced to stop after ${seconds()} s: ${workers.runningActivities()} task(s) ignored cancellation for ${CANCEL_MARGIN_SECONDS} s; they run again after their heartbeat timeout`);
      }
      throw err;
    },
  );
}
