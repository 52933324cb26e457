// How a flow's Task state reaches a function: the resource names Serverless
// Workflow uses, and the activities that run them. Pure: the interpreter and
// `flow validate` use it without touching the worker.

/** Activity that runs a named function with an event and returns its result. */
export const INVOKE_FUNCTION_ACTIVITY = 'invokeFunction';
/** Activity behind `Action: HTTP:Request`. */
export const HTTP_REQUEST_ACTIVITY = 'httpRequest';

export interface InvokeFunctionInput {
  /** The function name from the resource. */
  functionName: string;
  /** FC 2.0 service, when the resource named one. */
  service?: string;
  /** The event the state passes (its input after mappings). */
  event: unknown;
  /** The state's name, for messages and summaries. */
  stateName: string;
  /**
   * The calling definition's spec, when it is CloudFlow: the built-in `split` then answers the CloudFlow
   * video-flow sample's contract (its event is the same as the FDL sample's, so only the caller tells them apart).
   */
  flowSpec?: 'cloudflow';
}

/** The functions every worker serves: the video-processing samples' (FDL and CloudFlow video-flow). */
export const BUILTIN_FUNCTIONS = ['split', 'transcode', 'merge', 'after-process', 'extract-audio'] as const;

export interface FunctionResource {
  functionName: string;
  service?: string;
}

/** `acs:fc:::functions/<name>` (FC 3.0) or `acs:fc:::services/<svc>/functions/<name>` (FC 2.0), with an optional region/account and qualifier. */
export function parseFunctionResource(resource: string): FunctionResource | undefined {
  const m = /^acs:fc:[^:]*:[^:]*:(?:services\/([^/]+)\/)?functions\/([^/.:]+)(?:[.:/][^/]*)?$/.exec(resource);
  if (!m) return undefined;
  return { functionName: m[2], service: m[1] };
}

/** The `httpRequest` activity's input: an `Action: HTTP:Request` state's Parameters. */
export interface HttpRequestInput {
  Method?: string;
  URL: string;
  /** Values may name worker secrets as {{secret:NAME}} (from SHARDFLOW_HTTP_SECRET_NAME), so they stay out of history. */
  Headers?: Record<string, string>;
  Query?: Record<string, string | number | boolean>;
  /** An object or array is sent as JSON; a string as it is. */
  Body?: unknown;
  /** Seconds before the call is abandoned (and retried). */
  Timeout?: number | string;
  /** The state's name, for messages. */
  stateName?: string;
}

export interface HttpResponse {
  StatusCode: number;
  /** Credential headers (Set-Cookie, Authorization ...) read "[redacted]". */
  Headers: Record<string, string>;
  /** Parsed when the response is JSON, else text; credential fields read "[redacted]". */
  Body: unknown;
}
