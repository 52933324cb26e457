// What both interpreters share within one execution: the describe state,
// step limits, payload checks, function and HTTP calls, and item fan-out
// (in this workflow, or in child workflows past a few thousand items).
import { ActivityCancellationType, executeChild, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { FlowKind } from '../../core/flow/definition';
import { FlowErrorName, jsonSize } from '../../core/flow/flowErrors';
import { DEFAULT_STEP_LIMIT, PAYLOAD_LIMIT_BYTES, RUN_FLOW_BATCH_WORKFLOW, RUN_FLOW_WORKFLOW, type FlowDescription, type RunFlowInput } from '../../core/flow/flowNames';
import { HTTP_REQUEST_ACTIVITY, INVOKE_FUNCTION_ACTIVITY, parseFunctionResource, type InvokeFunctionInput } from '../../core/flow/functionContract';
import { flowFailure } from './flowFailures';
import { runPool } from './pool';
import { TaskCallbacks } from './taskCallbacks';

/** Items a Map runs in this workflow; more go to child workflows. */
export const ITEMS_IN_WORKFLOW = 2000;
/** Items per child workflow: with a few events per item, far below 51,200 events. */
export const ITEMS_PER_BATCH = 1000;
/** Concurrency when a Map sets none; below Temporal's 2,000 pending activities. */
const DEFAULT_ITEM_CONCURRENCY = 500;
const DEFAULT_TASK_TIMEOUT_SECONDS = 15 * 60;

export interface RunFlowBatchInput {
  kind: FlowKind;
  /** CloudFlow Processor ({StartAt, States}) or FDL steps. */
  body: unknown;
  inputs: unknown[];
  concurrency: number;
  stepLimit: number;
  stateName: string;
  execution: { name: string; input: unknown };
  /** The run's subflow definitions, for subflow tasks inside the items. */
  subflows?: Record<string, unknown>;
}

type AnyActivity = (arg: unknown) => Promise<unknown>;

export class FlowRuntime {
  readonly description: FlowDescription;
  readonly stepLimit: number;
  /** Callback tasks waiting for their tokens in this workflow. */
  readonly callbacks = new TaskCallbacks();
  private readonly active = new Map<string, number>();
  private children = 0;
  private subflowRuns = 0;

  constructor(
    readonly kind: FlowKind,
    readonly execution: { name: string; input: unknown },
    stepLimit: number | undefined,
    readonly subflows: Record<string, unknown> = {},
  ) {
    this.stepLimit = stepLimit ?? DEFAULT_STEP_LIMIT;
    this.description = { kind, status: 'RUNNING', currentStates: [], transitions: 0 };
  }

  describe(): FlowDescription {
    return { ...this.description, currentStates: [...this.active.keys()] };
  }

  /** Runs a state's body while `describe` lists it as current. */
  async inState<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.active.set(name, (this.active.get(name) ?? 0) + 1);
    try {
      return await body();
    } finally {
      const n = (this.active.get(name) ?? 1) - 1;
      if (n <= 0) this.active.delete(name);
      else this.active.set(name, n);
    }
  }

  /** A counter per state list: a Choice loop ends with a clear error instead of growing history forever. */
  stepCounter(where: string): (stateName: string) => void {
    let steps = 0;
    return (stateName) => {
      if (++steps > this.stepLimit) {
        throw flowFailure(
          FlowErrorName.StepLimit,
          `step limit exceeded: ${this.stepLimit} state transitions${where ? ` in ${where}` : ''} (at state "${stateName}"); a Choice loop that never ends? Raise stepLimit if the flow needs more`,
        );
      }
    };
  }

  checkPayload(stateName: string, value: unknown): void {
    const size = jsonSize(value);
    if (size > PAYLOAD_LIMIT_BYTES) {
      throw flowFailure(
        FlowErrorName.PayloadTooLarge,
        `the output of state "${stateName}" is ${size} bytes, over Temporal's ${PAYLOAD_LIMIT_BYTES}-byte payload limit; keep large data in storage and pass its key`,
      );
    }
  }

  private activity(name: string, stateName: string, timeoutSeconds: number | undefined): { run: AnyActivity } {
    const options: ActivityOptions = {
      taskQueue: workflowInfo().taskQueue,
      startToCloseTimeout: `${timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS}s`,
      // Retry is the definition's, done in the workflow; one attempt per call keeps its semantics exact.
      retry: { maximumAttempts: 1 },
      // A cancelled call (a failed Parallel branch or Map item) is over before the flow moves on, so a
      // Catch that cleans up never races a function still writing.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    };
    const act = proxyActivities<Record<string, AnyActivity>>(options)[name];
    return { run: (arg) => act.executeWithOptions({ ...options, summary: stateName }, [arg]) };
  }

  callFunction(stateName: string, resource: string, event: unknown, timeoutSeconds?: number, flowSpec?: InvokeFunctionInput['flowSpec']): Promise<unknown> {
    const fn = parseFunctionResource(resource);
    if (!fn) throw flowFailure('FnF.InvalidResource', `state "${stateName}": unknown resource ${resource}`);
    const input: InvokeFunctionInput = { functionName: fn.functionName, event, stateName, ...(fn.service ? { service: fn.service } : {}), ...(flowSpec ? { flowSpec } : {}) };
    return this.activity(INVOKE_FUNCTION_ACTIVITY, stateName, timeoutSeconds).run(input);
  }

  /** `Action: HTTP:Request`: the evaluated Parameters (method, url, headers, body) plus the state's name. */
  callHttp(stateName: string, parameters: unknown, timeoutSeconds?: number): Promise<unknown> {
    const params = parameters !== null && typeof parameters === 'object' ? parameters : {};
    return this.activity(HTTP_REQUEST_ACTIVITY, stateName, timeoutSeconds).run({ ...params, stateName });
  }

  /** Only a run with subflows passes them on, so other runs' child inputs stay as they were. */
  private subflowsArg(): { subflows?: Record<string, unknown> } {
    return Object.keys(this.subflows).length > 0 ? { subflows: this.subflows } : {};
  }

  /**
   * A sync subflow: the named flow runs as a child execution (id `executionName`, or one made from
   * this execution's); its output is the task's, its failure the task's under the child's error name,
   * `timeoutSeconds` its execution timeout (FnF.TaskTimeout).
   */
  runSubflow(stateName: string, flowName: string, input: unknown, executionName: string | undefined, timeoutSeconds: number | undefined): Promise<unknown> {
    const definition = this.subflows[flowName];
    if (definition === undefined) throw flowFailure(FlowErrorName.InvalidDefinition, `state "${stateName}": no definition of flow "${flowName}"`);
    const args: RunFlowInput = { definition, input, stepLimit: this.stepLimit, ...this.subflowsArg() };
    const run = ++this.subflowRuns;
    return executeChild(RUN_FLOW_WORKFLOW, {
      args: [args],
      workflowId: executionName ?? `${workflowInfo().workflowId}.flow-${run}`,
      taskQueue: workflowInfo().taskQueue,
      ...(timeoutSeconds !== undefined ? { workflowExecutionTimeout: `${timeoutSeconds}s` } : {}),
      staticSummary: `${stateName} · flow ${flowName}`,
    });
  }

  /**
   * Runs every item, at most `maxConcurrency` at a time (0 or undefined: no limit but Temporal's).
   * Past ITEMS_IN_WORKFLOW items, child workflows of ITEMS_PER_BATCH items carry them, with the
   * concurrency split so the total in flight still respects the limit.
   */
  async runItems(
    stateName: string,
    inputs: unknown[],
    maxConcurrency: number | undefined,
    body: unknown,
    runOne: (input: unknown, index: number) => Promise<unknown>,
  ): Promise<unknown[]> {
    const limit = maxConcurrency && maxConcurrency > 0 ? maxConcurrency : DEFAULT_ITEM_CONCURRENCY;
    if (inputs.length <= ITEMS_IN_WORKFLOW) return runPool(inputs.length, limit, (i) => runOne(inputs[i], i));
    const perBatch = Math.min(limit, DEFAULT_ITEM_CONCURRENCY);
    const batches = Math.ceil(inputs.length / ITEMS_PER_BATCH);
    const parallelBatches = maxConcurrency && maxConcurrency > 0 ? Math.max(1, Math.floor(limit / perBatch)) : 2;
    const run = ++this.children;
    const info = workflowInfo();
    const outputs = await runPool(batches, parallelBatches, (b) => {
      const start = b * ITEMS_PER_BATCH;
      const slice = inputs.slice(start, start + ITEMS_PER_BATCH);
      const args: RunFlowBatchInput = { kind: this.kind, body, inputs: slice, concurrency: perBatch, stepLimit: this.stepLimit, stateName, execution: this.execution, ...this.subflowsArg() };
      return executeChild(RUN_FLOW_BATCH_WORKFLOW, {
        args: [args],
        workflowId: `${info.workflowId}.map-${run}.${b}`,
        taskQueue: info.taskQueue,
        staticSummary: `${stateName} · items ${start + 1}-${start + slice.length} of ${inputs.length}`,
      }) as Promise<unknown[]>;
    });
    return outputs.flat(1);
  }
}
