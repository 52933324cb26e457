// Bounded exponential backoff for calls to remote stores. Temporal retries a
// failed activity as a whole; this retries one request, so a single 503 or
// reset connection does not throw away the rest of an activity's work.

export interface RetryOptions {
  /** Tries in all, the first included. */
  attempts: number;
  /** Delay before the second try; doubles each time, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 3000 };

/**
 * Runs `op` until it succeeds, `isTransient` says an error is not worth another try, or the attempts run out;
 * then throws the last error. `op` gets the attempt number (1-based) so it can resume instead of restarting.
 */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  isTransient: (err: unknown) => boolean,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (attempt >= options.attempts || !isTransient(err)) throw err;
      await sleep(backoffDelay(attempt, options));
    }
  }
}

/** Full jitter: a random delay up to the capped exponential, so many workers do not retry in step. */
export function backoffDelay(attempt: number, options: RetryOptions): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return cap / 2 + Math.random() * (cap / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
