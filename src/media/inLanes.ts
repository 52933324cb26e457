// A small pool for ffmpeg runs inside one activity: a few at a time, stopped
// early by a failure. (Workflow code has its own, cancelled through scopes.)

/**
 * Runs `count` jobs at most `lanes` at a time; results in index order. After a failure no lane starts another
 * job, and all settle before the failure is thrown, so no ffmpeg is left running.
 */
export async function inLanes<T>(count: number, lanes: number, run: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let stopped = false;
  const settled = await Promise.allSettled(
    Array.from({ length: lanes }, async () => {
      while (next < count && !stopped) {
        const index = next++;
        try {
          results[index] = await run(index);
        } catch (err) {
          stopped = true;
          throw err;
        }
      }
    }),
  );
  const failure = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
}
