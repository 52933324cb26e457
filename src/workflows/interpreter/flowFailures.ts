// Temporal failures seen as flow errors: a name for Retry/Catch matching and a
// cause for messages, and the failures the interpreter raises itself.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { rootMessage } from '../../core/failureMessage';
import { errorMatches, FlowErrorName, flowErrorNameOfType } from '../../core/flow/flowErrors';
import { INTRINSIC_FAILURE, IntrinsicError } from '../../core/flow/intrinsics';

export interface FlowError {
  error: string;
  cause: string;
}

/** The flow error name of a failure: the innermost typed failure's, timeouts as FnF.TaskTimeout. */
export function flowErrorOf(err: unknown): FlowError {
  let current = err as Error | undefined;
  while (current) {
    if (current instanceof TimeoutFailure) return { error: FlowErrorName.TaskTimeout, cause: rootMessage(err) };
    if (current instanceof ApplicationFailure) return { error: flowErrorNameOfType(current.type), cause: rootMessage(err) };
    if (!(current instanceof ActivityFailure || current instanceof ChildWorkflowFailure)) break;
    current = current.cause;
  }
  return { error: 'FnF.Unknown', cause: rootMessage(err) };
}

/** Whether a Retry/Catch rule with these names handles the error (never a cancellation or a fatal error). */
export function handles(patterns: readonly string[], err: unknown): boolean {
  if (isCancellation(err)) return false;
  return errorMatches(patterns, flowErrorOf(err).error);
}

export function flowFailure(error: string, cause: string): ApplicationFailure {
  return ApplicationFailure.create({ type: error, message: cause, nonRetryable: true });
}

/**
 * Runs expression evaluation; a failed intrinsic call fails the state with States.IntrinsicFailure,
 * its message `where` (the state, field and expression) followed by the reason.
 */
export function evaluating<T>(where: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof IntrinsicError) throw flowFailure(INTRINSIC_FAILURE, `${where}${err.message}`);
    throw err;
  }
}
