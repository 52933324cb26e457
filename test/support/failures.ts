// Assertions on the failures our code throws and the ones jobs end with.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';

/** Awaits `work`, which must reject with an ApplicationFailure, and returns it. */
export async function expectApplicationFailure(work: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await work.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

/** The innermost ApplicationFailure in a cause chain (workflow failure → activity failure → application failure). */
export function innermostApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (let e = err as Error | undefined; e; e = (e as { cause?: Error }).cause) {
    if (e instanceof ApplicationFailure) found = e;
  }
  return found;
}
