// The wire contract between a dispatching worker and a function that runs our
// activities: the same for FC InvokeFunction and for any self-hosted HTTP
// function platform serving POST /invoke.
import { INVOKE_FUNCTION_ACTIVITY } from '../core/flow/functionContract';

/** Request body: which activity, with the input the workflow gave it. */
export interface InvokeRequest {
  activity: string;
  input: unknown;
  /** Temporal's attempt number, so failures report it as they do in-process. */
  attempt?: number;
}

/** Error body, in FC's own shape, sent with the `x-fc-error-type` header. */
export interface InvokeErrorBody {
  errorMessage: string;
  /** Our error type (InvalidMedia, MissingObject, FfmpegFailed, ...) or the JS error name. */
  errorType: string;
  /** Whether Temporal must not retry it; the dispatcher keeps the original retryability. */
  nonRetryable?: boolean;
  /** The failure's details, when it has any: withAttempt puts `{attempt}` here. */
  details?: unknown[];
}

/** FC's header naming an error: HandledInvocationError (ours, thrown by an activity) or UnhandledInvocationError (a crash). */
export const FC_ERROR_TYPE_HEADER = 'x-fc-error-type';
export const HANDLED_ERROR = 'HandledInvocationError';
export const UNHANDLED_ERROR = 'UnhandledInvocationError';

/**
 * What a function may run: shard-level media work and the flow functions, nothing that publishes, cleans or
 * prepares a job. Those act on a job as a whole and stay with the workers that own it.
 */
export const FC_ACTIVITIES: readonly string[] = ['encodeShard', 'encodeAudio', INVOKE_FUNCTION_ACTIVITY];

/** Activities dispatched by default: the per-shard and per-rendition encodes. */
export const DEFAULT_DISPATCHED = ['encodeShard', 'encodeAudio'];

// What the function answers (src/fcHandler/handlerServer.ts), per FC's custom-runtime
// contract: 200 with `x-fc-status: 200` and the activity's JSON result, or a
// failure as 404 with `x-fc-status: 404` (FC's "function failed" code),
// `x-fc-error-type` and an InvokeErrorBody. Only responses that carry
// `x-fc-error-type` are function errors; any other non-200 answer (a wrong
// path, a proxy in between) is a platform error.
export const FC_STATUS_HEADER = 'x-fc-status';
export const FUNCTION_FAILED_STATUS = 404;
