// Turns what a function platform answers into Temporal failures. Function
// errors keep the activity's own type, message and retryability; platform
// errors (throttling, 5xx, timeouts) are retryable and typed with FC's code so
// FDL/CloudFlow Retry rules can name them.
import { ApplicationFailure } from '@temporalio/common';
import type { InvokeErrorBody } from '../fc/contract';

export const FcErrorType = {
  Throttled: 'FC.ResourceThrottled',
  Exhausted: 'FC.ResourceExhausted',
  Internal: 'FC.InternalServerError',
  Timeout: 'FC.Timeout',
  Network: 'FC.NetworkError',
} as const;

/** A function error (x-fc-error-type set): the activity's failure as the function reported it. */
export function functionFailure(headerType: string, rawBody: string): ApplicationFailure {
  let body: Partial<InvokeErrorBody> = {};
  try {
    body = JSON.parse(rawBody) as Partial<InvokeErrorBody>;
  } catch {
    // A crash may leave no JSON; keep what text there is.
  }
  const message = typeof body.errorMessage === 'string' ? body.errorMessage : rawBody.trim() || `function failed (${headerType})`;
  const type = typeof body.errorType === 'string' && body.errorType ? body.errorType : headerType;
  return ApplicationFailure.create({ type, message, nonRetryable: body.nonRetryable === true });
}

/** The platform refused or failed the call; the function's code never answered. Always retryable. */
export function platformFailure(status: number | undefined, code: string | undefined, message: string): ApplicationFailure {
  let type: string;
  if (code && code !== 'undefined') type = code.startsWith('FC.') ? code : `FC.${code}`;
  else if (status === 429) type = FcErrorType.Throttled;
  else if (status === 503) type = FcErrorType.Exhausted;
  else if (status !== undefined && status >= 500) type = FcErrorType.Internal;
  else type = status ? `FC.Http${status}` : FcErrorType.Network;
  return ApplicationFailure.create({ type, message: `function call failed${status ? ` (HTTP ${status})` : ''}: ${message}` });
}

export function timeoutFailure(seconds: number): ApplicationFailure {
  return ApplicationFailure.create({ type: FcErrorType.Timeout, message: `no answer from the function within ${seconds} s (its timeout plus a margin)` });
}
