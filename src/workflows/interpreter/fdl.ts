// FDL (version v1 / v1beta1, type: flow): runs a steps list in order. A step's
// input is its parent's input merged with the parent's local (or its
// inputMappings); its output (outputMappings, or its local except for
// parallel and foreach) merges into the parent's local.
import { sleep } from '@temporalio/workflow';
import type { FdlStep } from '../../core/flow/definition';
import { evaluateCondition, evaluatePath, type Scope } from '../../core/flow/expressions';
import { applyMappings, mergeObjects } from '../../core/flow/mappings';
import { parseFlowResource } from '../../core/flow/subflows';
import { evaluating, flowFailure, handles } from './flowFailures';
import { runPool } from './pool';
import { retryRules, withRetry } from './retry';
import type { FlowRuntime } from './runtime';

export interface StepsResult {
  local: Record<string, unknown>;
  /** A succeed step ended the list; enclosing choice arms end too. */
  succeeded: boolean;
}

interface StepResult {
  local: unknown;
  goto?: string;
  succeeded?: boolean;
}

/** Runs a steps list with the given input; resolves with its local. */
export async function runFdlSteps(rt: FlowRuntime, steps: FdlStep[], input: unknown, where = '', top = false): Promise<StepsResult> {
  const tick = rt.stepCounter(where);
  const index = new Map(steps.map((s, i) => [s.name, i]));
  let local: Record<string, unknown> = {};
  let i = 0;
  while (i < steps.length) {
    const step = steps[i];
    tick(step.name);
    if (top) rt.description.transitions++;
    const context: Record<string, unknown> = { execution: { name: rt.execution.name, input: rt.execution.input }, step: { name: step.name } };
    const inputFor = (ctx: Record<string, unknown>): Record<string, unknown> =>
      step.inputMappings ? applyMappings(step.inputMappings, { input, local, context: ctx, '': input }) : mergeObjects(input, local);
    const stepInput = inputFor(context);
    const scope: Scope = { input: stepInput, context, '': stepInput };
    let result: StepResult;
    try {
      result = await rt.inState(step.name, () =>
        withRetry(retryRules(step.retry), () =>
          isCallbackTask(step)
            ? // Each attempt's function gets a new token through $context.task.token; the callback's output is the step's local.
              rt.callbacks
                .complete(step.name, step.timeoutSeconds, (token) => {
                  const withToken = { ...context, task: { token } };
                  return runStep(rt, step, { input: inputFor(withToken), context: withToken, '': stepInput }, where);
                })
                .then((local) => ({ local }))
            : runStep(rt, step, scope, where),
        ),
      );
    } catch (err) {
      const rule = (step.catch ?? []).find((c) => handles(c.errors, err));
      if (!rule) throw err;
      i = index.get(rule.goto)!;
      continue;
    }
    const output = step.outputMappings
      ? applyMappings(step.outputMappings, { input: stepInput, local: result.local, context, '': stepInput })
      : step.type === 'parallel' || step.type === 'foreach'
        ? {}
        : result.local;
    rt.checkPayload(step.name, output);
    local = mergeObjects(local, output);
    if (top) rt.description.output = local;
    if (result.succeeded) return { local, succeeded: true };
    if (result.goto !== undefined) i = index.get(result.goto)!;
    else if (step.end) break;
    else i++;
  }
  return { local, succeeded: false };
}

async function runStep(rt: FlowRuntime, step: FdlStep, scope: Scope, where: string): Promise<StepResult> {
  const inner = `${where ? `${where} > ` : ''}${step.name}`;
  switch (step.type) {
    case 'pass':
      return { local: {} };
    case 'succeed':
      return { local: {}, succeeded: true };
    case 'fail':
      throw flowFailure(step.error ?? 'FnF.Fail', step.cause ?? `step "${step.name}" failed`);
    case 'wait': {
      const ms = step.duration !== undefined ? step.duration * 1000 : Date.parse(step.timestamp!) - Date.now();
      if (ms > 0) await sleep(ms);
      return { local: {} };
    }
    case 'task': {
      const flowName = parseFlowResource(step.resourceArn);
      if (flowName !== undefined) return { local: await runSubflowStep(rt, step, flowName, scope) };
      return { local: await rt.callFunction(step.name, step.resourceArn!, scope.input, step.timeoutSeconds) };
    }
    case 'choice': {
      const arm = (step.choices ?? []).find((c) => evaluating(`step "${step.name}": condition ${JSON.stringify(c.condition)}: `, () => evaluateCondition(c.condition, scope))) ?? step.default;
      if (!arm) throw flowFailure('FnF.NoChoiceMatched', `step "${step.name}": no choice matched and there is no default`);
      if (arm.goto !== undefined) return { local: {}, goto: arm.goto };
      const run = await runFdlSteps(rt, arm.steps ?? [], scope.input, inner);
      return { local: run.local, succeeded: run.succeeded };
    }
    case 'parallel': {
      const branches = step.branches ?? [];
      const locals = await runPool(branches.length, branches.length, (b) => runFdlSteps(rt, branches[b].steps, scope.input, `${inner} branch ${b + 1}`));
      return { local: locals.map((r) => r.local) };
    }
    case 'foreach': {
      const mapping = step.iterationMapping!;
      const collection = evaluatePath(mapping.collection, scope);
      if (!Array.isArray(collection)) throw flowFailure('FnF.InvalidItems', `step "${step.name}": ${mapping.collection} is not a list`);
      const inputs = collection.map((item, i) => mergeObjects(scope.input, { [mapping.item]: item, ...(mapping.index ? { [mapping.index]: i } : {}) }));
      const locals = await rt.runItems(step.name, inputs, step.maxConcurrency, step.steps, async (itemInput, i) => (await runFdlSteps(rt, step.steps ?? [], itemInput, `${inner} item ${i + 1}`)).local);
      return { local: locals };
    }
    default:
      throw flowFailure('FnF.InvalidDefinition', `step "${step.name}": unknown step type ${step.type}`);
  }
}

function isCallbackTask(step: FdlStep): boolean {
  return step.type === 'task' && step.pattern === 'waitForCallback';
}

/** A sync subflow step: serviceParams `Input` (default `$`, the step's input) and `ExecutionName`, paths over the step's input. */
function runSubflowStep(rt: FlowRuntime, step: FdlStep, flowName: string, scope: Scope): Promise<unknown> {
  const params = step.serviceParams ?? {};
  const childInput = typeof params.Input === 'string' ? evaluatePath(params.Input, scope) : scope.input;
  const name = typeof params.ExecutionName === 'string' ? evaluatePath(params.ExecutionName, scope) : undefined;
  if (name !== undefined && (typeof name !== 'string' || !name)) throw flowFailure('States.Runtime', `step "${step.name}": serviceParams.ExecutionName ${params.ExecutionName as string} gave ${JSON.stringify(name)}, not a name`);
  return rt.runSubflow(step.name, flowName, childInput ?? {}, name as string | undefined, step.timeoutSeconds);
}
