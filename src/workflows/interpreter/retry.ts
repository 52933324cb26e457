// Serverless Workflow retry semantics, in the workflow: the first rule whose
// errors match decides, each rule counts its own retries, and the wait grows
// by its backoff rate up to its cap. Activities themselves never retry.
import { sleep } from '@temporalio/workflow';
import { retryDelaySeconds, retryRuleOf, type RetryRule } from '../../core/flow/flowErrors';
import { handles } from './flowFailures';

export function retryRules(raw: unknown): RetryRule[] {
  return Array.isArray(raw) ? raw.map((r) => retryRuleOf(r as Record<string, unknown>)) : [];
}

/** Runs `attempt` until it succeeds or no rule retries its error; `retryCount` is 0 on the first attempt ($Context.Task.RetryCount). */
export async function withRetry<T>(rules: RetryRule[], attempt: (retryCount: number) => Promise<T>): Promise<T> {
  const used = rules.map(() => 0);
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await attempt(retryCount);
    } catch (err) {
      const i = rules.findIndex((r) => handles(r.errors, err));
      if (i < 0 || used[i] >= rules[i].maxAttempts) throw err;
      used[i]++;
      const seconds = retryDelaySeconds(rules[i], used[i]);
      if (seconds > 0) await sleep(seconds * 1000);
    }
  }
}
