// Data shaping between states: CloudFlow's Input/OutputConstructor (keys
// ending `.$` hold paths) and FDL's inputMappings/outputMappings.
import { evaluatePath, evaluateValue, type Scope } from './expressions';
import { IntrinsicError, type IntrinsicEnv } from './intrinsics';
import type { FdlMapping } from './definition';

/**
 * Builds an object from a constructor template; `key.$: expression` sets `key` to the expression's value
 * (a path, or intrinsic function calls). A failed call raises an IntrinsicError naming the key and the expression.
 */
export function construct(template: unknown, scope: Scope, env?: IntrinsicEnv): unknown {
  if (Array.isArray(template)) return template.map((t) => construct(t, scope, env));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template as Record<string, unknown>)) {
    if (key.endsWith('.$') && typeof value === 'string') out[key.slice(0, -2)] = constructValue(key, value, scope, env);
    else out[key] = construct(value, scope, env);
  }
  return out;
}

function constructValue(key: string, expression: string, scope: Scope, env?: IntrinsicEnv): unknown {
  try {
    return evaluateValue(expression, scope, env);
  } catch (err) {
    if (err instanceof IntrinsicError) throw new IntrinsicError(`${key} ${JSON.stringify(expression)}: ${err.message}`);
    throw err;
  }
}

/** FDL mappings: a source starting with `$` is a path, anything else a constant. */
export function applyMappings(mappings: FdlMapping[], scope: Scope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of mappings) {
    out[m.target] = typeof m.source === 'string' && m.source.startsWith('$') ? evaluatePath(m.source, scope) : m.source;
  }
  return out;
}

/** Shallow merge of two JSON objects; non-objects count as empty. */
export function mergeObjects(a: unknown, b: unknown): Record<string, unknown> {
  const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  return { ...obj(a), ...obj(b) };
}
