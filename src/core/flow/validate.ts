// Checks a definition before anything runs. Every message names the state (or
// step) and the reason, the way `flow validate` prints them.
import { flowKind } from './definition';
import { distributedMapProblems } from './distributedMap';
import { checkCondition, checkPath, checkValue, type ExpressionError } from './expressions';
import { parseFunctionResource, type FunctionResource } from './functionContract';
import { isFlowResource, parseFlowResource } from './subflows';

const CLOUDFLOW_TYPES = ['Pass', 'Task', 'Choice', 'Parallel', 'Map', 'Wait', 'Succeed', 'Fail'];
const CLOUDFLOW_TERMINAL = ['Choice', 'Succeed', 'Fail'];
const FDL_TYPES = ['task', 'pass', 'choice', 'parallel', 'foreach', 'wait', 'succeed', 'fail'];
const HTTP_ACTION = 'HTTP:Request';
const FC_ACTION = 'FC:InvokeFunction';
/** CloudFlow's TaskMode values this interpreter runs (WaitForSystemCallback serves cloud services it does not call). */
const TASK_MODES = ['RequestComplete', 'WaitForCustomCallback'];
const FUNCTION_PATTERNS = ['requestResponse', 'waitForCallback'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNonNegNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A Task's function resource: `Resource`, or FC:InvokeFunction's `Parameters.resourceArn`. */
export function taskResource(state: Obj): string | undefined {
  if (typeof state.Resource === 'string') return state.Resource;
  const params = state.Parameters;
  if (isObj(params) && typeof params.resourceArn === 'string') return params.resourceArn;
  return undefined;
}

export function isHttpTask(state: Obj): boolean {
  return state.Action === HTTP_ACTION;
}

/** The functions a worker serves, for `flow validate`: a test for a Task's function and the names to list. */
export interface KnownFunctions {
  serves(fn: FunctionResource): boolean;
  names: readonly string[];
}

/**
 * Errors of a definition, each naming the state and the reason; empty when it can run.
 * `knownFunctions` undefined skips the check of function names (the workflow cannot know the worker's set);
 * `knownFlows` undefined skips the check that each subflow's definition is at hand.
 */
export function validateDefinition(def: unknown, knownFunctions?: readonly string[] | KnownFunctions, knownFlows?: readonly string[]): string[] {
  const errors: string[] = [];
  const kind = flowKind(def);
  if (!kind) return ['the definition is neither CloudFlow (Type: StateMachine, States) nor FDL (type: flow, steps)'];
  const known = Array.isArray(knownFunctions) ? { serves: (fn: FunctionResource) => knownFunctions.includes(fn.functionName), names: knownFunctions } : knownFunctions;
  const ctx: Ctx = { errors, knownFunctions: known as KnownFunctions | undefined, knownFlows };
  if (kind === 'cloudflow') {
    const d = def as Obj;
    if (d.Type !== 'StateMachine') errors.push(`Type must be StateMachine, not ${JSON.stringify(d.Type)}`);
    if (d.SpecVersion !== 'v1') errors.push(`SpecVersion must be v1, not ${JSON.stringify(d.SpecVersion)}`);
    checkStates(ctx, d, '');
  } else {
    const d = def as Obj;
    if (d.version !== 'v1' && d.version !== 'v1beta1') errors.push(`version must be v1 or v1beta1, not ${JSON.stringify(d.version)}`);
    if (d.type !== 'flow') errors.push(`type must be flow, not ${JSON.stringify(d.type)}`);
    checkFdlMappings(ctx, 'the flow', 'inputMappings', d.inputMappings);
    checkFdlMappings(ctx, 'the flow', 'outputMappings', d.outputMappings);
    checkSteps(ctx, d.steps, '');
  }
  return errors;
}

interface Ctx {
  errors: string[];
  knownFunctions?: KnownFunctions;
  knownFlows?: readonly string[];
}

function at(kind: 'state' | 'step', name: unknown, where: string): string {
  return `${kind} "${String(name)}"${where ? ` (in ${where})` : ''}`;
}

function checkResource(ctx: Ctx, label: string, resource: unknown): void {
  if (typeof resource !== 'string') {
    ctx.errors.push(`${label}: a task needs a function resource (acs:fc:::functions/<name>)`);
    return;
  }
  const fn = parseFunctionResource(resource);
  if (!fn) ctx.errors.push(`${label}: unknown resource ${resource}`);
  else if (ctx.knownFunctions && !ctx.knownFunctions.serves(fn)) {
    const service = fn.service ? ` in service "${fn.service}"` : '';
    ctx.errors.push(`${label}: unknown resource ${resource}: no function named "${fn.functionName}"${service} (known: ${ctx.knownFunctions.names.join(', ')})`);
  }
}

/** A subflow task: a flow resource run synchronously, its definition at hand, serviceParams as paths. */
function checkSubflow(ctx: Ctx, label: string, s: Obj): void {
  const name = parseFlowResource(s.resourceArn);
  if (!name) return void ctx.errors.push(`${label}: unknown resource ${String(s.resourceArn)} (a flow is acs:fnf:::flow/<name>)`);
  if (s.pattern !== 'sync') ctx.errors.push(`${label}: a subflow task needs pattern: sync (requestResponse and waitForCallback subflows are not supported), not ${JSON.stringify(s.pattern ?? 'requestResponse')}`);
  if (ctx.knownFlows && !ctx.knownFlows.includes(name)) ctx.errors.push(`${label}: no definition of flow "${name}" (${ctx.knownFlows.length ? `known: ${ctx.knownFlows.join(', ')}` : 'none given'})`);
  const params = s.serviceParams;
  if (params === undefined) return;
  if (!isObj(params)) return void ctx.errors.push(`${label}: serviceParams must be an object`);
  for (const [key, value] of Object.entries(params)) {
    if (key !== 'Input' && key !== 'ExecutionName') ctx.errors.push(`${label}: serviceParams.${key} is not supported (Input, ExecutionName)`);
    else if (typeof value !== 'string' || !value.startsWith('$')) ctx.errors.push(`${label}: serviceParams.${key} must be a path such as $ or $.name`);
    else pathError(ctx, `${label}: serviceParams.${key}`, value);
  }
}

function checkRetry(ctx: Ctx, label: string, retry: unknown, cloud: boolean): void {
  if (retry === undefined) return;
  if (!Array.isArray(retry)) {
    ctx.errors.push(`${label}: ${cloud ? 'Retry' : 'retry'} must be a list`);
    return;
  }
  const [errorsKey, fields] = cloud
    ? ['Errors', { IntervalSeconds: 0, MaxAttempts: 0, BackoffRate: 1, MaxBackoffSeconds: 0 }]
    : ['errors', { intervalSeconds: 0, maxAttempts: 0, multiplier: 1, maxIntervalSeconds: 0 }];
  retry.forEach((rule, i) => {
    if (!isObj(rule)) return void ctx.errors.push(`${label}: retry rule ${i + 1} is not an object`);
    const errs = rule[errorsKey];
    if (!Array.isArray(errs) || errs.length === 0 || errs.some((e) => typeof e !== 'string')) {
      ctx.errors.push(`${label}: retry rule ${i + 1} needs ${errorsKey}, a non-empty list of error names`);
    }
    for (const [field, min] of Object.entries(fields)) {
      const v = rule[field];
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= min)) {
        ctx.errors.push(`${label}: retry rule ${i + 1} has bad ${field} ${JSON.stringify(v)} (a number ≥ ${min})`);
      }
    }
    const attempts = rule[cloud ? 'MaxAttempts' : 'maxAttempts'];
    if (typeof attempts === 'number' && !Number.isInteger(attempts)) ctx.errors.push(`${label}: retry rule ${i + 1} MaxAttempts must be a whole number`);
  });
}

/** Catch rules of either spec: each needs error names; `target` checks where it goes. */
function checkCatch(ctx: Ctx, label: string, rules: unknown, field: string, errorsKey: string, target: (ruleLabel: string, rule: Obj, index: number) => void): void {
  if (rules === undefined) return;
  if (!Array.isArray(rules)) return void ctx.errors.push(`${label}: ${field} must be a list`);
  rules.forEach((c, j) => {
    const ruleLabel = `${label} catch rule ${j + 1}`;
    if (!isObj(c)) return void ctx.errors.push(`${ruleLabel}: not an object`);
    if (!Array.isArray(c[errorsKey]) || (c[errorsKey] as unknown[]).length === 0) ctx.errors.push(`${label}: catch rule ${j + 1} needs ${errorsKey}`);
    target(ruleLabel, c, j);
  });
}

function checkConstructor(ctx: Ctx, label: string, field: string, template: unknown): void {
  if (template === undefined) return;
  if (!isObj(template)) return void ctx.errors.push(`${label}: ${field} must be an object`);
  const walk = (t: unknown): void => {
    if (Array.isArray(t)) return t.forEach(walk);
    if (!isObj(t)) return;
    for (const [key, value] of Object.entries(t)) {
      if (key.endsWith('.$')) {
        if (typeof value !== 'string') ctx.errors.push(`${label}: ${field}.${key} must be a path string`);
        else valueError(ctx, `${label}: ${field}.${key}`, value);
      } else walk(value);
    }
  };
  walk(template);
}

function pathError(ctx: Ctx, label: string, path: string): void {
  try {
    checkPath(path);
  } catch (err) {
    ctx.errors.push(`${label}: bad path ${JSON.stringify(path)}: ${(err as ExpressionError).message}`);
  }
}

/** A `.$` value: a path (reported as before, as is anything that calls no function) or an expression with intrinsic function calls. */
function valueError(ctx: Ctx, label: string, value: string): void {
  if (value.trim().startsWith('$') || !value.includes('(')) return pathError(ctx, label, value);
  try {
    checkValue(value);
  } catch (err) {
    ctx.errors.push(`${label}: bad expression ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}

/** A Wait's time: a constant (checked as before), or one of the fields read at run time. */
function checkWait(ctx: Ctx, label: string, s: Obj): void {
  if (s.Seconds !== undefined || s.Timestamp !== undefined) {
    if (s.Seconds !== undefined ? !isNonNegNumber(s.Seconds) : typeof s.Timestamp !== 'string' || Number.isNaN(Date.parse(s.Timestamp))) {
      ctx.errors.push(`${label}: Wait needs Seconds (a number ≥ 0) or Timestamp (ISO 8601)`);
    }
    return;
  }
  const dynamic = ['Seconds.$', 'Timestamp.$', 'SecondsPath', 'TimestampPath'].filter((f) => s[f] !== undefined);
  if (dynamic.length === 0) return void ctx.errors.push(`${label}: Wait needs Seconds (a number ≥ 0) or Timestamp (ISO 8601), or Seconds.$, Timestamp.$, SecondsPath or TimestampPath`);
  if (dynamic.length > 1) ctx.errors.push(`${label}: Wait takes one of ${dynamic.join(', ')}, not several`);
  for (const field of dynamic) {
    const src = s[field];
    if (typeof src !== 'string') ctx.errors.push(`${label}: ${field} must be a string`);
    else if (field.endsWith('Path')) pathError(ctx, `${label}: ${field}`, src);
    else valueError(ctx, `${label}: ${field}`, src);
  }
}

function conditionError(ctx: Ctx, label: string, condition: unknown): void {
  if (typeof condition !== 'string' || !condition.trim()) return void ctx.errors.push(`${label}: a condition is required`);
  try {
    checkCondition(condition);
  } catch (err) {
    ctx.errors.push(`${label}: bad condition ${JSON.stringify(condition)}: ${(err as Error).message}`);
  }
}

function checkStates(ctx: Ctx, container: Obj, where: string): void {
  const states = container.States;
  if (!Array.isArray(states) || states.length === 0) return void ctx.errors.push(`${where || 'the flow'}: States must be a non-empty list`);
  const names = new Set<string>();
  for (const s of states) {
    if (isObj(s) && typeof s.Name === 'string') {
      if (names.has(s.Name)) ctx.errors.push(`${at('state', s.Name, where)}: duplicate state name`);
      names.add(s.Name);
    }
  }
  if (typeof container.StartAt !== 'string' || !names.has(container.StartAt)) {
    ctx.errors.push(`${where || 'the flow'}: StartAt ${JSON.stringify(container.StartAt)} names no state`);
  }
  const target = (label: string, field: string, next: unknown): void => {
    if (typeof next !== 'string' || !names.has(next)) ctx.errors.push(`${label}: ${field} target ${JSON.stringify(next)} is not a state${where ? ' of this branch' : ''}`);
  };
  states.forEach((s, i) => {
    if (!isObj(s) || typeof s.Name !== 'string' || !s.Name) return void ctx.errors.push(`state ${i + 1}${where ? ` (in ${where})` : ''}: Name is required`);
    const label = at('state', s.Name, where);
    const type = s.Type;
    if (typeof type !== 'string' || !CLOUDFLOW_TYPES.includes(type)) {
      return void ctx.errors.push(`${label}: unknown state type ${JSON.stringify(type)} (one of ${CLOUDFLOW_TYPES.join(', ')})`);
    }
    if (!CLOUDFLOW_TERMINAL.includes(type)) {
      if (s.Next !== undefined) target(label, 'Next', s.Next);
      else if (s.End !== true) ctx.errors.push(`${label}: needs Next or End: true`);
    }
    checkConstructor(ctx, label, 'InputConstructor', s.InputConstructor);
    checkConstructor(ctx, label, 'OutputConstructor', s.OutputConstructor);
    checkRetry(ctx, label, s.Retry, true);
    checkCatch(ctx, label, s.Catch, 'Catch', 'Errors', (ruleLabel, c, j) => {
      target(ruleLabel, 'Next', c.Next);
      checkConstructor(ctx, label, `Catch[${j}].OutputConstructor`, c.OutputConstructor);
    });
    const inner = `${where ? `${where} > ` : ''}${s.Name}`;
    switch (type) {
      case 'Task':
        if (isHttpTask(s)) {
          // CloudFlow writes URL; the activity accepts any case, as a constant or a `.$` path.
          if (!isObj(s.Parameters) || !Object.entries(s.Parameters).some(([k, v]) => /^url(\.\$)?$/i.test(k) && typeof v === 'string')) {
            ctx.errors.push(`${label}: ${HTTP_ACTION} needs Parameters.URL`);
          }
        } else if (s.Action !== undefined && s.Action !== FC_ACTION) {
          ctx.errors.push(`${label}: unknown Action ${JSON.stringify(s.Action)} (${FC_ACTION} or ${HTTP_ACTION})`);
        } else checkResource(ctx, label, taskResource(s));
        if (s.Parameters !== undefined) checkConstructor(ctx, label, 'Parameters', s.Parameters);
        if (s.TaskMode !== undefined && !TASK_MODES.includes(s.TaskMode as string)) ctx.errors.push(`${label}: TaskMode ${JSON.stringify(s.TaskMode)} is not supported (${TASK_MODES.join(' or ')})`);
        if (s.TimeoutSeconds !== undefined && !(isNonNegNumber(s.TimeoutSeconds) && (s.TimeoutSeconds as number) > 0)) ctx.errors.push(`${label}: TimeoutSeconds must be a positive number`);
        break;
      case 'Choice': {
        const branches = s.Branches;
        if (branches !== undefined && !Array.isArray(branches)) ctx.errors.push(`${label}: Branches must be a list`);
        (Array.isArray(branches) ? branches : []).forEach((b, j) => {
          if (!isObj(b)) return void ctx.errors.push(`${label}: branch ${j + 1} is not an object`);
          conditionError(ctx, `${label} branch ${j + 1}`, b.Condition);
          target(`${label} branch ${j + 1}`, 'Next', b.Next);
        });
        if (s.Default !== undefined) target(label, 'Default', s.Default);
        if (!Array.isArray(branches) && s.Default === undefined) ctx.errors.push(`${label}: a Choice needs Branches or Default`);
        break;
      }
      case 'Parallel':
        if (!Array.isArray(s.Branches) || s.Branches.length === 0) ctx.errors.push(`${label}: Parallel needs a non-empty Branches list`);
        else s.Branches.forEach((b, j) => (isObj(b) ? checkStates(ctx, b, `${inner} branch ${j + 1}`) : ctx.errors.push(`${label}: branch ${j + 1} is not an object`)));
        break;
      case 'Map':
        if (s.ItemsPath !== undefined && typeof s.ItemsPath === 'string') pathError(ctx, `${label}: ItemsPath`, s.ItemsPath);
        else if (s.ItemsPath !== undefined) ctx.errors.push(`${label}: ItemsPath must be a path string`);
        if (s.MaxConcurrency !== undefined && !(Number.isInteger(s.MaxConcurrency) && (s.MaxConcurrency as number) >= 0)) ctx.errors.push(`${label}: MaxConcurrency must be a whole number ≥ 0`);
        // Distributed mode's own fields (ItemReader, ItemBatcher, ResultWriter, tolerated failures ...).
        for (const problem of distributedMapProblems(s)) ctx.errors.push(`${label}: ${problem}`);
        checkConstructor(ctx, label, 'ItemConstructor', s.ItemConstructor);
        if (!isObj(s.Processor)) ctx.errors.push(`${label}: Map needs a Processor with StartAt and States`);
        else checkStates(ctx, s.Processor, `${inner} processor`);
        break;
      case 'Wait':
        checkWait(ctx, label, s);
        break;
      case 'Fail':
        if (s.Error !== undefined && typeof s.Error !== 'string') ctx.errors.push(`${label}: Error must be a string`);
        break;
    }
  });
}

function checkFdlMappings(ctx: Ctx, label: string, field: string, mappings: unknown): void {
  if (mappings === undefined) return;
  if (!Array.isArray(mappings)) return void ctx.errors.push(`${label}: ${field} must be a list`);
  mappings.forEach((m, i) => {
    if (!isObj(m) || typeof m.target !== 'string' || !('source' in m)) return void ctx.errors.push(`${label}: ${field}[${i}] needs target and source`);
    if (typeof m.source === 'string' && m.source.startsWith('$')) pathError(ctx, `${label}: ${field}[${i}]`, m.source);
  });
}

function checkSteps(ctx: Ctx, steps: unknown, where: string): void {
  if (!Array.isArray(steps) || steps.length === 0) return void ctx.errors.push(`${where || 'the flow'}: steps must be a non-empty list`);
  const names = new Set<string>();
  for (const s of steps) {
    if (isObj(s) && typeof s.name === 'string') {
      if (names.has(s.name)) ctx.errors.push(`${at('step', s.name, where)}: duplicate step name`);
      names.add(s.name);
    }
  }
  const goto = (label: string, target: unknown): void => {
    if (typeof target !== 'string' || !names.has(target)) ctx.errors.push(`${label}: goto target ${JSON.stringify(target)} is not a step of the same list`);
  };
  steps.forEach((s, i) => {
    if (!isObj(s) || typeof s.name !== 'string' || !s.name) return void ctx.errors.push(`step ${i + 1}${where ? ` (in ${where})` : ''}: name is required`);
    const label = at('step', s.name, where);
    const type = s.type;
    if (typeof type !== 'string' || !FDL_TYPES.includes(type)) return void ctx.errors.push(`${label}: unknown step type ${JSON.stringify(type)} (one of ${FDL_TYPES.join(', ')})`);
    checkFdlMappings(ctx, label, 'inputMappings', s.inputMappings);
    checkFdlMappings(ctx, label, 'outputMappings', s.outputMappings);
    checkRetry(ctx, label, s.retry, false);
    checkCatch(ctx, label, s.catch, 'catch', 'errors', (ruleLabel, c) => goto(ruleLabel, c.goto));
    const inner = `${where ? `${where} > ` : ''}${s.name}`;
    switch (type) {
      case 'task':
        if (isFlowResource(s.resourceArn)) checkSubflow(ctx, label, s);
        else {
          checkResource(ctx, label, s.resourceArn);
          if (s.pattern !== undefined && !FUNCTION_PATTERNS.includes(s.pattern as string)) ctx.errors.push(`${label}: pattern ${JSON.stringify(s.pattern)} is not supported for a function (${FUNCTION_PATTERNS.join(' or ')})`);
        }
        break;
      case 'choice': {
        if (!Array.isArray(s.choices) || s.choices.length === 0) ctx.errors.push(`${label}: choice needs a non-empty choices list`);
        const arm = (armLabel: string, a: Obj, armWhere: string): void => {
          if (a.goto !== undefined) goto(armLabel, a.goto);
          else if (a.steps !== undefined) checkSteps(ctx, a.steps, armWhere);
          else ctx.errors.push(`${armLabel}: needs steps or goto`);
        };
        (Array.isArray(s.choices) ? s.choices : []).forEach((c, j) => {
          if (!isObj(c)) return void ctx.errors.push(`${label}: choice ${j + 1} is not an object`);
          conditionError(ctx, `${label} choice ${j + 1}`, c.condition);
          arm(`${label} choice ${j + 1}`, c, `${inner} choice ${j + 1}`);
        });
        if (s.default !== undefined) {
          if (!isObj(s.default)) ctx.errors.push(`${label}: default must be an object`);
          else arm(`${label} default`, s.default, `${inner} default`);
        }
        break;
      }
      case 'parallel':
        if (!Array.isArray(s.branches) || s.branches.length === 0) ctx.errors.push(`${label}: parallel needs a non-empty branches list`);
        else s.branches.forEach((b, j) => (isObj(b) ? checkSteps(ctx, b.steps, `${inner} branch ${j + 1}`) : ctx.errors.push(`${label}: branch ${j + 1} is not an object`)));
        break;
      case 'foreach': {
        const it = s.iterationMapping;
        if (!isObj(it) || typeof it.collection !== 'string' || typeof it.item !== 'string') ctx.errors.push(`${label}: foreach needs iterationMapping with collection and item`);
        else pathError(ctx, `${label}: iterationMapping.collection`, it.collection);
        if (s.maxConcurrency !== undefined && !(Number.isInteger(s.maxConcurrency) && (s.maxConcurrency as number) >= 0)) ctx.errors.push(`${label}: maxConcurrency must be a whole number ≥ 0`);
        checkSteps(ctx, s.steps, `${inner}`);
        break;
      }
      case 'wait':
        if (s.duration !== undefined ? !isNonNegNumber(s.duration) : typeof s.timestamp !== 'string' || Number.isNaN(Date.parse(s.timestamp))) {
          ctx.errors.push(`${label}: wait needs duration (seconds ≥ 0) or timestamp (ISO 8601)`);
        }
        break;
    }
  });
}
