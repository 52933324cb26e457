// CloudFlow (Type: StateMachine, SpecVersion: v1): runs a States list from
// StartAt until a state ends it. Each state: InputConstructor → body (with
// Retry, then Catch) → OutputConstructor → Next.
import { patched, sleep } from '@temporalio/workflow';
import type { CloudFlowCatch, CloudFlowState, CloudFlowStates } from '../../core/flow/definition';
import { evaluateCondition, evaluatePath, type Scope } from '../../core/flow/expressions';
import { FC_INVOKE_OUTPUT_PATCH, fcInvokeOutput } from '../../core/flow/invokeOutput';
import type { IntrinsicEnv } from '../../core/flow/intrinsics';
import { construct } from '../../core/flow/mappings';
import { isHttpTask, taskResource } from '../../core/flow/validate';
import { evaluating, flowErrorOf, flowFailure, handles } from './flowFailures';
import { runPool } from './pool';
import { retryRules, withRetry } from './retry';
import type { FlowRuntime } from './runtime';
import { isDistributedMap } from '../../core/flow/distributedMap';
import { runDistributedMap } from './distributedMap';
import { waitMillis } from './waitTime';

/** The TaskMode whose task waits for `flow callback <token>`. */
const WAIT_FOR_CUSTOM_CALLBACK = 'WaitForCustomCallback';

/** uuid and random intrinsics draw from the workflow's Math.random, which Temporal seeds per execution and replays exactly. */
const WORKFLOW_ENV: IntrinsicEnv = { random: () => Math.random() };

/** A constructor's IntrinsicError already names its key and expression. */
function build(state: CloudFlowState, field: string, template: unknown, scope: Scope): unknown {
  return evaluating(`state "${state.Name}": ${field}.`, () => construct(template, scope, WORKFLOW_ENV));
}

interface StateResult {
  output: unknown;
  next?: string;
}

/** Runs a state list; resolves with the output of the state that ended it. `top` marks the execution's own list. */
export async function runCloudStates(rt: FlowRuntime, states: CloudFlowStates, input: unknown, where = '', top = false): Promise<unknown> {
  const byName = new Map(states.States.map((s) => [s.Name, s]));
  const tick = rt.stepCounter(where);
  let name: string | undefined = states.StartAt;
  let data = input;
  while (name !== undefined) {
    tick(name);
    if (top) rt.description.transitions++;
    const state: CloudFlowState = byName.get(name)!;
    const result: StateResult = await rt.inState(name, () => runState(rt, state, data, where));
    rt.checkPayload(state.Name, result.output);
    if (top) rt.description.output = result.output;
    data = result.output;
    name = result.next;
  }
  return data;
}

/** What $Context shows of one attempt of a Task, Parallel or Map state. */
interface TaskContext {
  /** 0 on the first attempt, then the retries so far. */
  RetryCount: number;
  /** A callback task's token for this attempt. */
  Token?: string;
}

function contextOf(rt: FlowRuntime, state: CloudFlowState, input: unknown, extra: Record<string, unknown> = {}, task?: TaskContext): Record<string, unknown> {
  // `$Context.Task.*` as the integration pages write it; `$Context.Current.RetryCount`/`TaskToken` as the context reference lists it.
  const current = task ? { RetryCount: task.RetryCount, ...(task.Token !== undefined ? { TaskToken: task.Token } : {}) } : {};
  return { Execution: { Name: rt.execution.name, Input: rt.execution.input }, Current: { Name: state.Name, Input: input, ...extra, ...current }, ...(task ? { Task: task } : {}) };
}

function attemptScope(rt: FlowRuntime, state: CloudFlowState, input: unknown, task: TaskContext): Scope {
  return { Input: input, Context: contextOf(rt, state, input, {}, task), '': input };
}

async function runState(rt: FlowRuntime, state: CloudFlowState, raw: unknown, where: string): Promise<StateResult> {
  const context = contextOf(rt, state, raw);
  const input = state.InputConstructor ? build(state, 'InputConstructor', state.InputConstructor, { Input: raw, Context: context, '': raw }) : raw;
  const current = contextOf(rt, state, input);
  const scope: Scope = { Input: input, Context: current, '': input };
  const next = state.End ? undefined : state.Next;
  const shapeIn = (from: Scope, output: unknown): unknown => (state.OutputConstructor ? build(state, 'OutputConstructor', state.OutputConstructor, { ...from, Output: output }) : output);
  const shape = (output: unknown): unknown => shapeIn(scope, output);

  switch (state.Type) {
    case 'Pass':
      return { output: shape(input), next };
    case 'Succeed':
      return { output: shape(input) };
    case 'Fail':
      throw flowFailure(state.Error ?? 'FnF.Fail', state.Cause ?? `state "${state.Name}" failed`);
    case 'Wait': {
      const ms = state.Seconds !== undefined || state.Timestamp !== undefined ? constantWaitMillis(state) : evaluating(`state "${state.Name}": `, () => waitMillis(state, scope, WORKFLOW_ENV));
      if (ms > 0) await sleep(ms);
      return { output: shape(input), next };
    }
    case 'Choice': {
      const branches = (state.Branches ?? []) as { Condition: string; Next: string }[];
      const hit = branches.find((b, i) => evaluating(`state "${state.Name}": Branches[${i}].Condition ${JSON.stringify(b.Condition)}: `, () => evaluateCondition(b.Condition, scope, WORKFLOW_ENV)));
      const target = hit?.Next ?? state.Default;
      if (target === undefined) throw flowFailure('FnF.NoChoiceMatched', `state "${state.Name}": no branch matched and there is no Default`);
      return { output: shape(input), next: target };
    }
    case 'Task':
    case 'Parallel':
    case 'Map':
      try {
        // Each attempt sees its own $Context.Task.RetryCount; the OutputConstructor sees the attempt that succeeded.
        let attempt = scope;
        const output = await withRetry(retryRules(state.Retry), (retryCount) => {
          attempt = attemptScope(rt, state, input, { RetryCount: retryCount });
          return runBody(rt, state, attempt, where);
        });
        return { output: shapeIn(attempt, output), next };
      } catch (err) {
        const rule = (state.Catch ?? []).find((c: CloudFlowCatch) => handles(c.Errors, err));
        if (!rule) throw err;
        const { error, cause } = flowErrorOf(err);
        const caught = { Error: error, Cause: cause };
        const errScope: Scope = { Input: input, Context: contextOf(rt, state, input, { Error: { Code: error, Detail: cause } }), Output: caught, '': input };
        return { output: rule.OutputConstructor ? build(state, 'Catch.OutputConstructor', rule.OutputConstructor, errScope) : caught, next: rule.Next };
      }
    default:
      throw flowFailure('FnF.InvalidDefinition', `state "${state.Name}": unknown state type ${state.Type}`);
  }
}

/** A Task's call: its function (FC:InvokeFunction or a Resource) or HTTP:Request, with its Parameters. */
function invokeTask(rt: FlowRuntime, state: CloudFlowState, scope: Scope): Promise<unknown> {
  const params = state.Parameters ? build(state, 'Parameters', state.Parameters, scope) : undefined;
  if (isHttpTask(state as unknown as Record<string, unknown>)) return rt.callHttp(state.Name, params, state.TimeoutSeconds);
  const resource = taskResource(state as unknown as Record<string, unknown>)!;
  // FC:InvokeFunction passes Parameters.body when given; a bare Resource passes the state's input.
  const event = params && typeof params === 'object' && 'body' in params ? (params as { body: unknown }).body : scope.Input;
  // Executions started before the Body wrapper replay with the bare answer their history holds.
  if (!patched(FC_INVOKE_OUTPUT_PATCH)) return rt.callFunction(state.Name, resource, event, state.TimeoutSeconds);
  return rt.callFunction(state.Name, resource, event, state.TimeoutSeconds, 'cloudflow').then(fcInvokeOutput);
}

/** A constant Seconds or Timestamp, exactly as before dynamic waits existed. */
function constantWaitMillis(state: CloudFlowState): number {
  return state.Seconds !== undefined ? state.Seconds * 1000 : Date.parse(state.Timestamp!) - Date.now();
}

async function runBody(rt: FlowRuntime, state: CloudFlowState, scope: Scope, where: string): Promise<unknown> {
  const inner = `${where ? `${where} > ` : ''}${state.Name}`;
  if (state.Type === 'Task' && state.TaskMode === WAIT_FOR_CUSTOM_CALLBACK) {
    // The function gets the token through $Context.Task.Token; the state's output is the callback's, not the function's answer.
    const retryCount = (scope.Context as { Task: TaskContext }).Task.RetryCount;
    return rt.callbacks.complete(state.Name, state.TimeoutSeconds, (token) => invokeTask(rt, state, attemptScope(rt, state, scope.Input, { RetryCount: retryCount, Token: token })));
  }
  if (state.Type === 'Task') return invokeTask(rt, state, scope);
  if (state.Type === 'Parallel') {
    const branches = (state.Branches ?? []) as CloudFlowStates[];
    const outputs = await runPool(branches.length, branches.length, (i) => runCloudStates(rt, branches[i], scope.Input, `${inner} branch ${i + 1}`));
    // CloudFlow keys each branch's output Branch<Index>, from 0.
    return Object.fromEntries(outputs.map((o, i) => [`Branch${i}`, o]));
  }
  if (isDistributedMap(state as unknown as Record<string, unknown>)) return runDistributedMap(rt, state, scope, inner);
  const items = state.ItemsPath ? evaluatePath(state.ItemsPath, scope) : scope.Input;
  if (!Array.isArray(items)) throw flowFailure('FnF.InvalidItems', `state "${state.Name}": ItemsPath ${state.ItemsPath ?? '$Input'} is not a list`);
  const processor = state.Processor!;
  const outputs = await rt.runItems(state.Name, items, state.MaxConcurrency, processor, (item, i) =>
    runCloudStates(rt, processor, item, `${inner} item ${i + 1}`),
  );
  return { Items: outputs };
}
