// Interprets a Serverless Workflow definition (CloudFlow or FDL). The
// definition travels in the input, so each history describes itself and
// replays after the file changes. Only expressions and activity/child calls
// happen here.
import { isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CloudFlowDefinition, CloudFlowStates, FdlDefinition, FdlStep } from '../core/flow/definition';
import { flowKind } from '../core/flow/definition';
import { FlowErrorName } from '../core/flow/flowErrors';
import { describeFlowQuery, type RunFlowInput } from '../core/flow/flowNames';
import { applyMappings } from '../core/flow/mappings';
import { validateDefinition } from '../core/flow/validate';
import { runCloudStates } from './interpreter/cloudFlow';
import { flowErrorOf, flowFailure } from './interpreter/flowFailures';
import { runFdlSteps } from './interpreter/fdl';
import { FlowRuntime, type RunFlowBatchInput } from './interpreter/runtime';
import { asCancelledIfCancellation } from './cancellation';

export type { RunFlowInput } from '../core/flow/flowNames';
export type { RunFlowBatchInput } from './interpreter/runtime';

export async function runFlow(args: RunFlowInput): Promise<unknown> {
  const definition = args.definition;
  const kind = flowKind(definition) ?? 'cloudflow';
  const input = args.input ?? {};
  const subflows = args.subflows ?? {};
  const rt = new FlowRuntime(kind, { name: workflowInfo().workflowId, input }, args.stepLimit, subflows);
  setHandler(describeFlowQuery, () => rt.describe());
  rt.callbacks.install();
  try {
    // Function names are the worker's business; the shape is checked here so a bad definition fails at once.
    const problems = definitionProblems(definition, subflows);
    if (problems.length > 0) throw flowFailure(FlowErrorName.InvalidDefinition, `invalid flow definition: ${problems.join('; ')}`);
    const output = kind === 'cloudflow' ? await runCloudStates(rt, definition as CloudFlowDefinition, input, '', true) : await runFdlFlow(rt, definition as FdlDefinition, input);
    rt.description.status = 'SUCCEEDED';
    rt.description.output = output;
    return output;
  } catch (err) {
    rt.description.status = 'FAILED';
    if (isCancellation(err)) throw asCancelledIfCancellation(err);
    const failure = flowErrorOf(err);
    rt.description.error = { error: failure.error, cause: failure.cause };
    throw flowFailure(failure.error, failure.cause);
  }
}

/** The definition's problems and its subflows', each subflow's named, so a bad one fails before anything runs. */
function definitionProblems(definition: unknown, subflows: Record<string, unknown>): string[] {
  const known = Object.keys(subflows);
  const own = validateDefinition(definition, undefined, known);
  const nested = Object.entries(subflows).flatMap(([name, def]) => validateDefinition(def, undefined, known).map((p) => `flow "${name}": ${p}`));
  return [...own, ...nested];
}

/** An FDL flow: its inputMappings shape the execution input, its outputMappings the output (default: its local). */
async function runFdlFlow(rt: FlowRuntime, definition: FdlDefinition, input: unknown): Promise<unknown> {
  const context = { execution: { name: rt.execution.name, input } };
  const flowInput = definition.inputMappings ? applyMappings(definition.inputMappings, { input, context, '': input }) : input;
  const local = (await runFdlSteps(rt, definition.steps, flowInput, '', true)).local;
  return definition.outputMappings ? applyMappings(definition.outputMappings, { input: flowInput, local, context, '': flowInput }) : local;
}

/** A batch of Map (foreach) items in a child workflow, so a Map over any number of items stays within history limits. */
export async function runFlowBatch(args: RunFlowBatchInput): Promise<unknown[]> {
  const rt = new FlowRuntime(args.kind, args.execution, args.stepLimit, args.subflows);
  setHandler(describeFlowQuery, () => rt.describe());
  rt.callbacks.install();
  const runOne = (item: unknown, i: number): Promise<unknown> =>
    args.kind === 'cloudflow'
      ? runCloudStates(rt, args.body as CloudFlowStates, item, `${args.stateName} item ${i + 1}`)
      : runFdlSteps(rt, args.body as FdlStep[], item, `${args.stateName} item ${i + 1}`).then((r) => r.local);
  try {
    return await rt.runItems(args.stateName, args.inputs, args.concurrency, args.body, runOne);
  } catch (err) {
    if (isCancellation(err)) throw asCancelledIfCancellation(err);
    // The parent's Retry/Catch match the item's own error name, not a wrapped activity failure.
    const failure = flowErrorOf(err);
    throw flowFailure(failure.error, failure.cause);
  }
}
