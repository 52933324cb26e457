// A chunk (or a group of chunks) of a distributed Map run, as a child
// workflow: its own history holds one chunk's items, never the whole run's.
import { isCancellation, setHandler } from '@temporalio/workflow';
import { describeFlowQuery } from '../core/flow/flowNames';
import { runCloudStates } from './interpreter/cloudFlow';
import { runMapRunPart, type MapRunPartInput, type MapRunPartResult } from './interpreter/distributedMap';
import { flowErrorOf, flowFailure } from './interpreter/flowFailures';
import { FlowRuntime } from './interpreter/runtime';
import { asCancelledIfCancellation } from './cancellation';

export type { MapRunPartInput, MapRunPartResult } from './interpreter/distributedMap';

export async function runFlowMapRun(input: MapRunPartInput): Promise<MapRunPartResult> {
  const { spec } = input;
  const rt = new FlowRuntime(spec.kind, spec.execution, spec.stepLimit);
  setHandler(describeFlowQuery, () => rt.describe());
  try {
    return await runMapRunPart(rt, input, (item, where) => runCloudStates(rt, spec.processor, item, where));
  } catch (err) {
    if (isCancellation(err)) throw asCancelledIfCancellation(err);
    // The parent's Retry/Catch match the item's own error name, not a wrapped child failure.
    const failure = flowErrorOf(err);
    throw flowFailure(failure.error, failure.cause);
  }
}
