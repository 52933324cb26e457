// The functions map (SHARDFLOW_FLOW_FUNCTIONS_MAP or --functions): which
// implementation serves each deployed function name or ARN a definition
// calls. Read by the worker and by `flow run` / `flow validate`.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { BUILTIN_FUNCTIONS, parseFunctionResource, type FunctionResource } from '../../core/flow/functionContract';

export const FUNCTIONS_MAP_ENV = 'SHARDFLOW_FLOW_FUNCTIONS_MAP';

export type BuiltinName = (typeof BUILTIN_FUNCTIONS)[number];

export type FunctionImpl =
  | { kind: 'builtin'; name: BuiltinName }
  /** An FC Node.js handler: `file` (absolute) exports `handler`. */
  | { kind: 'node'; file: string; handler: string }
  /** An FC Python 3 handler: `module.handler` found in `dir` (absolute). */
  | { kind: 'python'; dir: string; module: string; handler: string }
  /** A function deployed on Function Compute, called with the event as its body. */
  | { kind: 'fc'; functionName: string; qualifier?: string }
  /** A service speaking the signed POST <url>/invoke contract. */
  | { kind: 'http'; url: string };

export interface MappedFunction {
  /** The key as the map file wrote it. */
  key: string;
  impl: FunctionImpl;
  /** Extra environment for node: and python: functions (FC's function environment variables). */
  env: Record<string, string>;
  /** What context.function.memory reports, in MB (FC's memorySize). */
  memoryMB: number;
  /** The handler string context.function.handler reports. */
  handler: string;
}

export interface FunctionsMap {
  file: string;
  /** By `<service>/<function>` for keys that name a service, else by function name. */
  entries: Map<string, MappedFunction>;
}

const DEFAULT_MEMORY_MB = 512;

/** `<service>/<name>` or `<name>`: what a key or a Task's resource resolves to. */
function lookupKey(fn: FunctionResource): string {
  return fn.service ? `${fn.service}/${fn.functionName}` : fn.functionName;
}

function isBuiltin(name: string): name is BuiltinName {
  return (BUILTIN_FUNCTIONS as readonly string[]).includes(name);
}

/** Parses one implementation, e.g. `node:./fn/index.js#handler`; paths are relative to `baseDir`. */
export function parseImplementation(spec: string, baseDir: string): { impl: FunctionImpl; handler: string } {
  if (isBuiltin(spec)) return { impl: { kind: 'builtin', name: spec }, handler: spec };
  const m = /^(node|python|fc|http):(.+)$/.exec(spec);
  if (!m) throw new Error(`${JSON.stringify(spec)} is not an implementation: use a built-in (${BUILTIN_FUNCTIONS.join(', ')}), node:FILE#handler, python:DIR/module.handler, fc:FUNCTION[:QUALIFIER] or http:URL`);
  const [, kind, rest] = m;
  switch (kind) {
    case 'node': {
      const hash = rest.lastIndexOf('#');
      const file = hash < 0 ? rest : rest.slice(0, hash);
      const handler = hash < 0 ? 'handler' : rest.slice(hash + 1);
      if (!file || !/^[A-Za-z_$][\w$]*$/.test(handler)) throw new Error(`${JSON.stringify(spec)}: node: needs FILE#handler, e.g. node:./fn/index.js#handler`);
      return { impl: { kind: 'node', file: path.resolve(baseDir, file), handler }, handler: `${path.basename(file).replace(/\.[cm]?js$/, '')}.${handler}` };
    }
    case 'python': {
      const base = path.basename(rest);
      const dot = base.lastIndexOf('.');
      const module = base.slice(0, dot);
      const handler = base.slice(dot + 1);
      if (dot <= 0 || !/^[A-Za-z_]\w*$/.test(handler) || !/^[A-Za-z_][\w.]*$/.test(module)) {
        throw new Error(`${JSON.stringify(spec)}: python: needs DIR/module.handler, e.g. python:./fn/index.handler`);
      }
      return { impl: { kind: 'python', dir: path.resolve(baseDir, path.dirname(rest)), module, handler }, handler: base };
    }
    case 'fc': {
      const [functionName, qualifier, extra] = rest.split(':');
      if (!/^[A-Za-z_][\w-]{0,127}$/.test(functionName) || extra !== undefined || qualifier === '') {
        throw new Error(`${JSON.stringify(spec)}: fc: needs a function name and an optional qualifier, e.g. fc:my-func or fc:my-func:prod`);
      }
      return { impl: { kind: 'fc', functionName, ...(qualifier ? { qualifier } : {}) }, handler: functionName };
    }
    default: {
      let url: URL;
      try {
        url = new URL(rest);
      } catch {
        throw new Error(`${JSON.stringify(spec)}: http: needs an http(s) URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${JSON.stringify(spec)}: http: needs an http(s) URL`);
      return { impl: { kind: 'http', url: rest.replace(/\/+$/, '') }, handler: rest };
    }
  }
}

/** A key is a function name (`video-flow_split`) or a full ARN (`acs:fc:...:services/s/functions/f`). */
function parseKey(key: string): FunctionResource {
  if (key.startsWith('acs:')) {
    const fn = parseFunctionResource(key);
    if (!fn) throw new Error(`${JSON.stringify(key)} is not a function ARN (acs:fc:<region>:<account>:functions/<name> or .../services/<svc>/functions/<name>)`);
    return fn;
  }
  if (!/^[^\s/:]+$/.test(key)) throw new Error(`${JSON.stringify(key)} is not a function name or ARN`);
  return { functionName: key };
}

function stringRecord(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: env must be a map of names to values`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

/**
 * A map from its parsed text: `functions:` maps each name or ARN to an implementation string, or to
 * `{use, env, memory}`. Every mistake names the file and the key.
 */
export function parseFunctionsMap(doc: unknown, file: string): FunctionsMap {
  const baseDir = path.dirname(path.resolve(file));
  const root = doc as { functions?: unknown } | null;
  const functions = root && typeof root === 'object' ? root.functions : undefined;
  if (!functions || typeof functions !== 'object' || Array.isArray(functions)) throw new Error(`functions map ${file}: needs a "functions" map of function names or ARNs to implementations`);
  const entries = new Map<string, MappedFunction>();
  for (const [key, value] of Object.entries(functions as Record<string, unknown>)) {
    const where = `functions map ${file}: ${JSON.stringify(key)}`;
    try {
      const spec = typeof value === 'string' ? { use: value } : (value as { use?: unknown; env?: unknown; memory?: unknown } | null);
      if (!spec || typeof spec !== 'object' || typeof spec.use !== 'string') throw new Error('needs an implementation string, or {use, env, memory}');
      const memory = spec.memory ?? DEFAULT_MEMORY_MB;
      if (typeof memory !== 'number' || !Number.isInteger(memory) || memory < 64) throw new Error('memory must be a whole number of MB (64 or more)');
      const { impl, handler } = parseImplementation(spec.use, baseDir);
      const id = lookupKey(parseKey(key));
      if (entries.has(id)) throw new Error(`names the same function as ${JSON.stringify(entries.get(id)!.key)}`);
      entries.set(id, { key, impl, env: stringRecord(spec.env, where), memoryMB: memory, handler });
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }
  return { file, entries };
}

export function loadFunctionsMap(file: string): FunctionsMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read functions map ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`functions map ${file} is neither YAML nor JSON: ${(err as Error).message}`);
  }
  return parseFunctionsMap(doc, file);
}

/** The map the environment names, if any (`--functions` sets the variable for the commands that take it). */
export function functionsMapFromEnv(env: NodeJS.ProcessEnv = process.env): FunctionsMap | undefined {
  const file = env[FUNCTIONS_MAP_ENV];
  return file ? loadFunctionsMap(file) : undefined;
}

/** The map's entry for a Task's function: `<service>/<name>` first (an ARN key), then the name alone. */
export function resolveMapped(map: FunctionsMap | undefined, fn: FunctionResource): MappedFunction | undefined {
  if (!map) return undefined;
  return (fn.service ? map.entries.get(lookupKey(fn)) : undefined) ?? map.entries.get(fn.functionName);
}

/** Whether a Task's function is served: in the map, or a built-in. */
export function isServed(map: FunctionsMap | undefined, fn: FunctionResource): boolean {
  return resolveMapped(map, fn) !== undefined || isBuiltin(fn.functionName);
}
