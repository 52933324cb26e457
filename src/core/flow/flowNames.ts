// Names the flow interpreter shares with clients and tests.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CallbackAccepted, CallbackReport } from './taskTokens';

export const RUN_FLOW_WORKFLOW = 'runFlow';
/** Child workflow that runs a batch of Map/foreach items. */
export const RUN_FLOW_BATCH_WORKFLOW = 'runFlowBatch';
/** Child workflow that runs one chunk (or a group of chunks) of a distributed Map run. */
export const MAP_RUN_WORKFLOW = 'runFlowMapRun';

export type FlowStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** What `describe` answers, as CloudFlow's DescribeExecution does. */
export interface FlowDescription {
  kind: 'cloudflow' | 'fdl';
  status: FlowStatus;
  /** States (steps) running now, innermost names included. */
  currentStates: string[];
  /** State transitions so far on the main path. */
  transitions: number;
  /** Output of the last finished top-level state, or the flow's output once succeeded. */
  output?: unknown;
  error?: { error: string; cause: string };
}

export const describeFlowQuery = defineQuery<FlowDescription>('describe');

/** `flow callback <token>`: completes a callback task (ReportTaskSucceeded / ReportTaskFailed). */
export const taskCallbackUpdate = defineUpdate<CallbackAccepted, [CallbackReport]>('taskCallback');

export interface RunFlowInput {
  definition: unknown;
  input?: unknown;
  /** State transitions allowed per state list before the run fails; default 1000. */
  stepLimit?: number;
  /** Definitions of the flows its subflow tasks (`acs:fnf:::flow/<name>`) run, by name, nested ones included. */
  subflows?: Record<string, unknown>;
}

export const DEFAULT_STEP_LIMIT = 1000;
/** Temporal refuses payloads past 2 MB. */
export const PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;
