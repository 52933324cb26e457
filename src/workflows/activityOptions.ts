// Timeouts and retry policies per kind of stage. Transient failures retry with
// backoff; the permanent error types never retry.
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors';

const retry = (maximumAttempts: number): RetryPolicy => ({
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
});

/** Storage bookkeeping: prepare, publish, clean. Publish and clean heartbeat, so a dead worker is noticed in 30 s, not 30 min. */
export function storageOptions(taskQueue: string): ActivityOptions {
  return { taskQueue, startToCloseTimeout: '30m', heartbeatTimeout: '30s', retry: retry(10) };
}

/** ffmpeg work. Heartbeats every few seconds, so a dead worker is noticed in 20 s; cancellation waits until ffmpeg is gone. */
export function mediaOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '6h',
    heartbeatTimeout: '20s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retry(5),
  };
}
