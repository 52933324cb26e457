// Interprets a Serverless Workflow definition (CloudFlow or FDL). The
// definition travels in the input, so each history describes itself and
// replays after the file changes. Only expressions and activity/child calls
// happen here.
import { isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CloudFlowDefinition, CloudFlowStates, FdlDefinition, FdlStep } from '../core/flow/definition';
import { flowKind } from '../core/flow/definition';
import { FlowErrorName } from '../core/flow/flowErrors';
import { describeFlowQuery, type RunFlowInput } from '../core/flow/flowNames';
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
  const rt = new FlowRuntime(kind, { name: workflowInfo().workflowId, input }, args.stepLimit);
  setHandler(describeFlowQuery, () => rt.describe());
  try {
    // Function names are the worker's business; the shape is checked here so a bad definition fails at once.
    const problems = validateDefinition(definition);
    if (problems.length > 0) throw flowFailure(FlowErrorName.InvalidDefinition, `invalid flow definition: ${problems.join('; ')}`);
    const output =
      kind === 'cloudflow'
        ? await runCloudStates(rt, definition as CloudFlowDefinition, input, '', true)
        : (await runFdlSteps(rt, (definition as FdlDefinition).steps, input, '', true)).local;
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

/** A batch of Map (foreach) items in a child workflow, so a Map over any number of items stays within history limits. */
export async function runFlowBatch(args: RunFlowBatchInput): Promise<unknown[]> {
  const rt = new FlowRuntime(args.kind, args.execution, args.stepLimit);
  setHandler(describeFlowQuery, () => rt.describe());
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
