import { TemporalFailure } from '@temporalio/common';
// The innermost message of an error chain: for Temporal failures, the one that
// names the object and the reason. Pure, so workflows can use it too.
export function rootMessage(err: unknown): string {
  let current = err as Error | undefined;
  let message = current?.message ?? String(err);
  while (current) {
    if (current.message) message = current.message;
    current = (current as { cause?: Error }).cause;
  }
  return message;
}

/** The innermost Temporal failure in a chain of causes: the one that says what really went wrong. */
export function rootFailure(err: unknown): TemporalFailure | undefined {
  let current = err as Error | undefined;
  let found: TemporalFailure | undefined;
  while (current) {
    if (current instanceof TemporalFailure) found = current;
    current = (current as { cause?: Error }).cause;
  }
  return found;
}
