// Runs n jobs at most `limit` at a time, in index order. The first failure
// cancels the rest (their activities and timers) and is rethrown once all
// have settled, so a failed Parallel or Map leaves nothing running.
import { CancellationScope } from '@temporalio/workflow';

export async function runPool<T>(count: number, limit: number, run: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const scope = new CancellationScope();
  const lane = async (): Promise<void> => {
    while (!failed && next < count) {
      const index = next++;
      try {
        results[index] = await run(index);
      } catch (err) {
        if (!failed) {
          failed = true;
          failure = err;
          scope.cancel();
        }
      }
    }
  };
  const lanes = Math.max(1, Math.min(limit, count));
  await scope.run(() => Promise.all(Array.from({ length: lanes }, lane))).catch(() => undefined);
  if (failed) throw failure;
  return results;
}
