// Turns what an invocation threw into FC's error shape. Errors thrown by the
// activity keep their type and retryability, so the dispatching worker can
// rebuild the same failure Temporal would have seen in-process.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { HANDLED_ERROR, UNHANDLED_ERROR, type InvokeErrorBody } from './contract';

export interface InvokeError {
  /** HandledInvocationError or UnhandledInvocationError. */
  kind: typeof HANDLED_ERROR | typeof UNHANDLED_ERROR;
  body: InvokeErrorBody;
  /** HTTP status other than FC's function-failed 404, for refusals plain HTTP clients should read as such (401). */
  status?: number;
}

/** A refusal of the request itself (bad body, unknown activity): handled, and never worth retrying. */
export class InvokeRequestError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = errorType;
  }
}

/** An error the activity threw (or the request was refused for). */
export function handledError(err: unknown): InvokeError {
  if (err instanceof InvokeRequestError) {
    return { kind: HANDLED_ERROR, body: { errorMessage: err.message, errorType: err.errorType, nonRetryable: true }, status: err.status };
  }
  if (err instanceof ApplicationFailure) {
    const body: InvokeErrorBody = { errorMessage: err.message, errorType: err.type ?? 'Error', nonRetryable: err.nonRetryable === true };
    if (err.details?.length) body.details = [...err.details];
    return { kind: HANDLED_ERROR, body };
  }
  if (err instanceof CancelledFailure) {
    return { kind: HANDLED_ERROR, body: { errorMessage: err.message, errorType: 'Cancelled', nonRetryable: false } };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: HANDLED_ERROR, body: { errorMessage: e.message, errorType: e.name || 'Error', nonRetryable: false } };
}

/** A failure of the handler around the activity (a bug, a result that cannot be sent): retryable. */
export function unhandledError(err: unknown): InvokeError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: UNHANDLED_ERROR, body: { errorMessage: e.message, errorType: e.name || 'Error', nonRetryable: false } };
}
