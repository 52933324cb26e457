// Error names as Serverless Workflow sees them, and the Retry arithmetic.
// Pure: the interpreter maps Temporal failures onto these names, so a
// definition's Retry/Catch lists catch what they caught on Alibaba Cloud.

export const FlowErrorName = {
  TaskTimeout: 'FnF.TaskTimeout',
  FcUnknown: 'FC.Unknown',
  /** Not catchable: the run ends. */
  StepLimit: 'FnF.StepLimitExceeded',
  PayloadTooLarge: 'FnF.PayloadTooLarge',
  InvalidDefinition: 'InvalidJob',
} as const;

/** Errors a Retry or Catch never sees: they end the run. */
export const FATAL_FLOW_ERRORS: readonly string[] = [FlowErrorName.StepLimit, FlowErrorName.PayloadTooLarge, FlowErrorName.InvalidDefinition];

const WILDCARDS = ['FnF.ALL', 'States.ALL'];
const FC_DISPATCH_ERRORS = ['FC.ResourceThrottled', 'FC.ResourceExhausted', 'FC.InternalServerError'];

/** The name an activity failure type has in a flow: the dispatch adapter's FC codes fold into the documented four. */
export function flowErrorNameOfType(type: string | undefined | null): string {
  if (!type) return 'FnF.Unknown';
  if (type === 'FC.Timeout') return FlowErrorName.TaskTimeout;
  if (type.startsWith('FC.') && !FC_DISPATCH_ERRORS.includes(type)) return FlowErrorName.FcUnknown;
  return type;
}

export function errorMatches(patterns: readonly string[], name: string): boolean {
  if (FATAL_FLOW_ERRORS.includes(name)) return false;
  return patterns.some((p) => WILDCARDS.includes(p) || p === name);
}

export interface RetryRule {
  errors: string[];
  intervalSeconds: number;
  /** Retries after the first attempt. */
  maxAttempts: number;
  backoffRate: number;
  maxBackoffSeconds?: number;
}

/** Seconds to wait before retry number `retry` (1-based). */
export function retryDelaySeconds(rule: RetryRule, retry: number): number {
  const raw = rule.intervalSeconds * Math.pow(rule.backoffRate, retry - 1);
  return rule.maxBackoffSeconds !== undefined ? Math.min(raw, rule.maxBackoffSeconds) : raw;
}

/** CloudFlow and FDL spell the same rule differently; both default like the originals (1 s, 3 retries, ×2). */
export function retryRuleOf(raw: Record<string, unknown>): RetryRule {
  const num = (...keys: string[]): number | undefined => {
    for (const k of keys) if (typeof raw[k] === 'number') return raw[k] as number;
    return undefined;
  };
  return {
    errors: ((raw.Errors ?? raw.errors) as string[] | undefined) ?? [],
    intervalSeconds: num('IntervalSeconds', 'intervalSeconds') ?? 1,
    maxAttempts: num('MaxAttempts', 'maxAttempts') ?? 3,
    backoffRate: num('BackoffRate', 'multiplier') ?? 2,
    maxBackoffSeconds: num('MaxBackoffSeconds', 'maxIntervalSeconds'),
  };
}

/** UTF-8 size of a value's JSON, without TextEncoder (not every workflow sandbox has it). */
export function jsonSize(value: unknown): number {
  const text = JSON.stringify(value) ?? '';
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
