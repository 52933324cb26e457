// A Wait state whose time comes from the data: CloudFlow's `Seconds.$`
// expression (documented: `Seconds.$: $Input.timeout`), and Step Functions'
// SecondsPath / TimestampPath with `Timestamp.$` to match. The result is a
// Temporal timer's length; Date.now() is the workflow's own clock.
import type { CloudFlowState } from '../../core/flow/definition';
import { evaluatePath, evaluateValue, type Scope } from '../../core/flow/expressions';
import { IntrinsicError, type IntrinsicEnv } from '../../core/flow/intrinsics';
import { flowFailure } from './flowFailures';

/**
 * Alibaba's documentation names no error for a wait time that is not a number; this is the
 * one Step Functions raises for a SecondsPath/TimestampPath that does not resolve to a usable value.
 */
export const WAIT_VALUE_ERROR = 'States.Runtime';

/** Milliseconds to wait; 0 or less means no timer. */
export function waitMillis(state: CloudFlowState, scope: Scope, env: IntrinsicEnv): number {
  const dynamic: [string, string | undefined, 'seconds' | 'timestamp', boolean][] = [
    ['Seconds.$', state['Seconds.$'], 'seconds', true],
    ['SecondsPath', state.SecondsPath, 'seconds', false],
    ['Timestamp.$', state['Timestamp.$'], 'timestamp', true],
    ['TimestampPath', state.TimestampPath, 'timestamp', false],
  ];
  const found = dynamic.find(([, src]) => typeof src === 'string');
  if (!found) throw flowFailure(WAIT_VALUE_ERROR, `state "${state.Name}": a Wait needs Seconds, Timestamp, Seconds.$, Timestamp.$, SecondsPath or TimestampPath`);
  const [field, src, kind, expression] = found as [string, string, 'seconds' | 'timestamp', boolean];
  let value: unknown;
  try {
    value = expression ? evaluateValue(src, scope, env) : evaluatePath(src, scope);
  } catch (err) {
    if (err instanceof IntrinsicError) throw new IntrinsicError(`${field} ${JSON.stringify(src)}: ${err.message}`);
    throw err;
  }
  const bad = (what: string): never => {
    throw flowFailure(WAIT_VALUE_ERROR, `state "${state.Name}": ${field} ${JSON.stringify(src)} gave ${value === undefined ? 'nothing' : JSON.stringify(value)}, not ${what}`);
  };
  if (kind === 'seconds') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return bad('a number of seconds ≥ 0');
    return value * 1000;
  }
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) return bad('an ISO 8601 timestamp');
  return at - Date.now();
}
