// The two definition formats, as they arrive (YAML or JSON parsed to plain
// objects). Types are loose on purpose: validateDefinition checks the shape.
export type Json = unknown;

export interface CloudFlowState {
  Name: string;
  Type: string;
  Next?: string;
  End?: boolean;
  InputConstructor?: Record<string, Json>;
  OutputConstructor?: Record<string, Json>;
  // Task
  Resource?: string;
  Action?: string;
  Parameters?: Record<string, Json>;
  /** RequestComplete (default) or WaitForCustomCallback: the task then waits for its task token's callback. */
  TaskMode?: string;
  TimeoutSeconds?: number;
  Retry?: CloudFlowRetry[];
  Catch?: CloudFlowCatch[];
  // Choice
  Branches?: (CloudFlowChoiceBranch | CloudFlowStates)[];
  Default?: string;
  // Map
  ItemsPath?: string;
  Processor?: CloudFlowStates;
  MaxConcurrency?: number;
  // Wait: a constant, or read at run time (`Seconds.$` / `Timestamp.$` expressions, Step Functions' SecondsPath / TimestampPath)
  Seconds?: number;
  Timestamp?: string;
  'Seconds.$'?: string;
  'Timestamp.$'?: string;
  SecondsPath?: string;
  TimestampPath?: string;
  // Fail
  Error?: string;
  Cause?: string;
}

export interface CloudFlowStates {
  StartAt: string;
  States: CloudFlowState[];
}

export interface CloudFlowDefinition extends CloudFlowStates {
  Type: 'StateMachine';
  SpecVersion: string;
  Name?: string;
}

export interface CloudFlowChoiceBranch {
  Condition: string;
  Next: string;
}

export interface CloudFlowRetry {
  Errors: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxBackoffSeconds?: number;
}

export interface CloudFlowCatch {
  Errors: string[];
  Next: string;
  OutputConstructor?: Record<string, Json>;
}

export interface FdlMapping {
  target: string;
  source: Json;
}

export interface FdlStep {
  name: string;
  type: string;
  end?: boolean;
  inputMappings?: FdlMapping[];
  outputMappings?: FdlMapping[];
  resourceArn?: string;
  /** requestResponse (default), waitForCallback (a function task waits for its token), or sync (a subflow task). */
  pattern?: string;
  /** A subflow task's StartExecution parameters: `Input` and `ExecutionName`, paths over the step's input. */
  serviceParams?: Record<string, Json>;
  timeoutSeconds?: number;
  retry?: FdlRetry[];
  catch?: FdlCatch[];
  choices?: { condition: string; steps?: FdlStep[]; goto?: string }[];
  default?: { steps?: FdlStep[]; goto?: string };
  branches?: { steps: FdlStep[] }[];
  iterationMapping?: { collection: string; item: string; index?: string };
  maxConcurrency?: number;
  steps?: FdlStep[];
  duration?: number;
  timestamp?: string;
  error?: string;
  cause?: string;
}

export interface FdlDefinition {
  version: string;
  type: 'flow';
  steps: FdlStep[];
  /** The execution input → the flow's input. */
  inputMappings?: FdlMapping[];
  /** The flow's input and local → the execution's output. */
  outputMappings?: FdlMapping[];
}

export interface FdlRetry {
  errors: string[];
  intervalSeconds?: number;
  maxIntervalSeconds?: number;
  maxAttempts?: number;
  multiplier?: number;
}

export interface FdlCatch {
  errors: string[];
  goto: string;
}

export type FlowDefinition = CloudFlowDefinition | FdlDefinition;
export type FlowKind = 'cloudflow' | 'fdl';

/** Which spec a definition follows, or undefined when it follows neither. */
export function flowKind(def: unknown): FlowKind | undefined {
  if (def === null || typeof def !== 'object') return undefined;
  const d = def as Record<string, unknown>;
  if (d.Type === 'StateMachine' || 'States' in d || 'SpecVersion' in d) return 'cloudflow';
  if (d.type === 'flow' || 'steps' in d) return 'fdl';
  return undefined;
}
