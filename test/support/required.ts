// Tests that need something outside the checkout (the shared clips, a browser)
// skip without it on a developer's machine, saying once what is missing, and
// fail under CI=true, where a skipped test would hide a broken setup.
import type { TestOptions } from 'node:test';

/** CI=true (or 1), as .ci/run sets it. */
export function inCI(): boolean {
  return ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
}

const announced = new Set<string>();

/**
 * Test options for a test that needs `what`: `{}` when it is there or under CI
 * (the test then runs and fails on its own, naming what is missing), else a skip
 * with `reason`. The first skip for each `what` prints one line on stderr.
 */
export function needs(present: boolean, what: string, reason: string): TestOptions {
  if (present || inCI()) return {};
  if (!announced.has(what)) {
    announced.add(what);
    process.stderr.write(`skipping tests that need ${what}: ${reason}\n`);
  }
  return { skip: reason };
}
