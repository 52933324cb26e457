// A cancelled job must end as cancelled, not failed, even when the
// cancellation reaches it wrapped in an activity or child workflow failure.
import { CancelledFailure, isCancellation } from '@temporalio/workflow';

/** The error to rethrow: the CancelledFailure inside a cancellation chain, or the error itself. */
export function asCancelledIfCancellation(err: unknown): unknown {
  if (!isCancellation(err)) return err;
  let current = err as Error | undefined;
  while (current) {
    if (current instanceof CancelledFailure) return current;
    current = (current as { cause?: Error }).cause;
  }
  return new CancelledFailure('the job was cancelled');
}
