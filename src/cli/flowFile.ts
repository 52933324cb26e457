// Reads a definition file (YAML or JSON; YAML parses both) and the function
// names `flow validate` accepts. Node-side only: workflows never parse text.
import { readFileSync } from 'node:fs';
import { parse, type ScalarTag } from 'yaml';
import { BUILTIN_FUNCTIONS } from '../core/flow/functionContract';
import type { KnownFunctions } from '../core/flow/validate';
import { functionsMapFromEnv, isServed } from '../functions/userFunctions/functionsMap';

/**
 * Funcraft's `!Ref Service/Function` (or `!Ref Function`) in an FDL definition names a function the
 * template deploys; it stands for that function's resource, `acs:fc:::services/Service/functions/Function`.
 */
const REF_TAG: ScalarTag = {
  tag: '!Ref',
  resolve(value, onError) {
    const parts = value.trim().split('/');
    const ok = parts.length <= 2 && parts.every((p) => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(p));
    if (!ok) onError(`!Ref ${JSON.stringify(value)} does not name a function as Service/Function or Function`);
    return parts.length === 2 ? `acs:fc:::services/${parts[0]}/functions/${parts[1]}` : `acs:fc:::functions/${parts[0]}`;
  },
};

export function parseDefinitionText(text: string, source = 'definition'): unknown {
  try {
    return parse(text, { customTags: [REF_TAG] });
  } catch (err) {
    throw new Error(`${source} is neither YAML nor JSON: ${(err as Error).message}`);
  }
}

export function loadDefinitionFile(file: string): unknown {
  return parseDefinitionText(readFileSync(file, 'utf8'), file);
}

/** Built-in functions plus SHARDFLOW_FLOW_FUNCTIONS (comma-separated), names served without a functions map. */
export function knownFunctionNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.SHARDFLOW_FLOW_FUNCTIONS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [...BUILTIN_FUNCTIONS, ...extra];
}

/** What `flow validate` and `flow run` accept: built-ins, SHARDFLOW_FLOW_FUNCTIONS, and the functions map's names and ARNs. */
export function knownFunctions(env: NodeJS.ProcessEnv = process.env): KnownFunctions {
  const named = knownFunctionNames(env);
  const map = functionsMapFromEnv(env);
  const mapped = map ? [...map.entries.values()].map((e) => e.key) : [];
  return { serves: (fn) => named.includes(fn.functionName) || isServed(map, fn), names: [...named, ...mapped] };
}
