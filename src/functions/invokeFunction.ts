// A flow Task state's call of a function: runs the function the functions map
// names for it (a user's FC handler, an FC function, an /invoke service) or the
// built-in of that name, with the state's event. Errors keep the type the
// function gave them (InvalidMedia, MissingObject ...), so a definition's Retry
// and Catch lists match them as they did on Alibaba Cloud.
import { asyncLocalStorage as temporalActivityStorage } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { ErrorType } from '../core/errors';
import { createFunctions, flowStoreFromEnv, type FlowStore } from './index';
import type { InvokeFunctionInput } from '../core/flow/functionContract';
import { Gate } from '../activities/gate';
import { currentActivityContext } from '../activities/activityContext';
import type { ActivityDeps } from '../activities/deps';
import { functionsMapFromEnv, resolveMapped, type FunctionsMap, type MappedFunction } from './userFunctions/functionsMap';
import { mappedFunction, type MappedInvoke } from './userFunctions/mappedFunction';

/**
 * A function this worker does not serve is a deployment mistake no retry mends: InvalidJob, which a flow's
 * Retry and Catch never see (as FC.Unknown, a published sample retried it for two days).
 */
export const UNKNOWN_FUNCTION_ERROR = ErrorType.InvalidJob;

/** Functions that run ffmpeg. */
const MEDIA_FUNCTIONS = new Set(['split', 'transcode', 'merge', 'extract-audio']);

export function invokeFunction(deps: ActivityDeps, flowStore: FlowStore = flowStoreFromEnv(), map: FunctionsMap | undefined = functionsMapFromEnv()) {
  const functions = createFunctions({ ...deps, flowStore });
  const mapped = new Map<MappedFunction, MappedInvoke>();
  for (const entry of map?.entries.values() ?? []) if (entry.impl.kind !== 'builtin') mapped.set(entry, mappedFunction(entry));
  const served = [...functions.keys(), ...[...(map?.entries.values() ?? [])].map((e) => e.key)];
  // invokeFunction runs on the main queue (up to 20 at once); ffmpeg runs stay at the media concurrency.
  const media = new Gate(deps.config.mediaConcurrency);
  return async function invokeFunction(input: InvokeFunctionInput): Promise<unknown> {
    const where = `state ${JSON.stringify(input.stateName)}`;
    const entry = resolveMapped(map, input);
    const user = entry && mapped.get(entry);
    if (user) return runMapped(user, input);
    const name = entry?.impl.kind === 'builtin' ? entry.impl.name : input.functionName;
    const fn = functions.get(name);
    if (!fn) {
      const service = input.service ? ` in service ${input.service}` : '';
      throw ApplicationFailure.create({
        type: UNKNOWN_FUNCTION_ERROR,
        nonRetryable: true,
        message:
          `${where}: function ${JSON.stringify(input.functionName)}${service} is not registered with this worker; it serves ` +
          `${served.join(', ')}. Use one of those names in the definition, or map it in the worker's functions map (${FUNCTIONS_MAP_HINT})`,
      });
    }
    const event = eventObject(input.event, where);
    const release = MEDIA_FUNCTIONS.has(name) ? await waitForSlot(media) : () => undefined;
    try {
      return await fn(event, { requestId: requestId(), stateName: input.stateName, ...(input.flowSpec ? { flowSpec: input.flowSpec } : {}) });
    } catch (err) {
      throw functionFailure(err);
    } finally {
      release();
    }
  };
}

const FUNCTIONS_MAP_HINT = 'SHARDFLOW_FLOW_FUNCTIONS_MAP, docs/flows.md';

/** Heartbeats while a user's function runs, so a cancelled call (a failed Parallel branch) reaches it and kills it. */
async function runMapped(invoke: MappedInvoke, input: InvokeFunctionInput): Promise<unknown> {
  const ctx = currentActivityContext();
  const info = temporalActivityStorage.getStore()?.info;
  const timer = setInterval(() => ctx?.heartbeat({ running: input.functionName }), 5000);
  try {
    return await invoke(input, {
      requestId: requestId(),
      timeoutMs: info?.startToCloseTimeoutMs || DEFAULT_FUNCTION_TIMEOUT_MS,
      signal: ctx?.cancellationSignal ?? new AbortController().signal,
      attempt: ctx?.attempt ?? 1,
    });
  } catch (err) {
    throw functionFailure(err);
  } finally {
    clearInterval(timer);
  }
}

/** A call outside a Temporal activity (a function handler serving /invoke): FC's default timeout. */
const DEFAULT_FUNCTION_TIMEOUT_MS = 60_000;

/** Heartbeats while queued, so a heartbeat timeout does not fire on a call that is only waiting its turn. */
async function waitForSlot(gate: Gate): Promise<() => void> {
  const ctx = currentActivityContext();
  ctx?.heartbeat({ waiting: 'media slot' });
  const timer = setInterval(() => ctx?.heartbeat({ waiting: 'media slot' }), 5000);
  try {
    return await gate.acquire(ctx?.cancellationSignal);
  } catch (err) {
    if (ctx?.cancellationSignal.aborted) throw new CancelledFailure('cancelled while waiting for a media slot');
    throw err;
  } finally {
    clearInterval(timer);
  }
}

/** FC hands functions bytes and the sample parses them as JSON; accept a JSON string or an object. */
function eventObject(event: unknown, where: string): Record<string, unknown> {
  let value = event;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw ApplicationFailure.create({ type: 'InvalidJob', nonRetryable: true, message: `${where}: the event is a string that is not JSON` });
    }
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw ApplicationFailure.create({ type: 'InvalidJob', nonRetryable: true, message: `${where}: the event must be a JSON object` });
  }
  return value as Record<string, unknown>;
}

/** Stable across retries of one call (so a retried split reuses its directory), unique across calls. */
function requestId(): string {
  const ctx = temporalActivityStorage.getStore();
  if (!ctx) return randomUUID();
  const { workflowExecution, activityId } = ctx.info;
  if (!workflowExecution) return `${activityId}.${randomUUID().slice(0, 8)}`;
  // The whole run id: a UUIDv7 begins with its timestamp, so a prefix was shared by runs of one id in the same minute.
  return `${workflowExecution.workflowId}.${workflowExecution.runId}.${activityId}`;
}

function functionFailure(err: unknown): Error {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  const e = err as Error;
  return ApplicationFailure.create({ type: e?.name || 'Error', message: e?.message ?? String(err) });
}
