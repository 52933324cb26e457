// Calls the implementation a functions map names for a Task's function: a
// node: or python: FC handler in a child process, an FC function, or a
// service speaking the signed /invoke contract. Built-ins are run by
// invokeFunction itself.
import * as path from 'node:path';
import { httpInvoker, fcBodySender } from '../../dispatch/invokers';
import { fcTargetFromEnv } from '../../dispatch/settings';
import { invokeSecretFromEnv } from '../../fc/invokeAuth';
import { INVOKE_FUNCTION_ACTIVITY, type InvokeFunctionInput } from '../../core/flow/functionContract';
import { NODE_RUNNER, PYTHON_RUNNER, runChildFunction, type FcContext } from './childFunction';
import type { MappedFunction } from './functionsMap';

export interface MappedCall {
  requestId: string;
  /** The task's timeout: the child is killed when it passes, and context.function.timeout reports it. */
  timeoutMs: number;
  signal: AbortSignal;
  attempt: number;
}

export type MappedInvoke = (input: InvokeFunctionInput, call: MappedCall) => Promise<unknown>;

/** The interpreter of python: functions: one with the libraries FC's Python runtime ships (oss2 ...) when they use them. */
export const FLOW_PYTHON_ENV = 'SHARDFLOW_FLOW_PYTHON';

/** What a child process inherits from the worker: enough to run, no worker secrets (FC gives a function only its own variables). */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'PYTHONPATH', 'NODE_PATH'];

/** The worker's Alibaba Cloud keys stand for the function role's temporary credentials FC would hand over. */
function credentialsFromEnv(env: NodeJS.ProcessEnv): FcContext['credentials'] {
  return {
    accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
    accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN,
  };
}

/** The event as FC passes it: the bytes of the call's body, here the state's input as JSON (a string stays as written). */
export function eventBytes(event: unknown): Buffer {
  return Buffer.from(typeof event === 'string' ? event : JSON.stringify(event ?? {}));
}

function childEnv(entry: MappedFunction, context: FcContext, env: NodeJS.ProcessEnv): Record<string, string> {
  const base = Object.fromEntries(INHERITED_ENV.filter((k) => env[k] !== undefined).map((k) => [k, env[k] as string]));
  const fc: Record<string, string | undefined> = {
    FC_FUNCTION_NAME: context.function.name,
    FC_FUNCTION_HANDLER: context.function.handler,
    FC_FUNCTION_MEMORY_SIZE: String(context.function.memory),
    FC_REGION: context.region || undefined,
    FC_SERVICE_NAME: context.service.name || undefined,
    ALIBABA_CLOUD_ACCESS_KEY_ID: context.credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: context.credentials.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: context.credentials.securityToken,
  };
  const defined = Object.fromEntries(Object.entries(fc).filter((e): e is [string, string] => e[1] !== undefined));
  return { ...base, ...defined, ...entry.env };
}

export function mappedFunction(entry: MappedFunction, env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): MappedInvoke {
  const impl = entry.impl;
  switch (impl.kind) {
    case 'node':
    case 'python':
      return (input, call) => {
        const context: FcContext = {
          requestId: call.requestId,
          region: env.FC_REGION ?? env.ALIBABA_CLOUD_REGION ?? '',
          accountId: env.FC_ACCOUNT_ID ?? '',
          credentials: credentialsFromEnv(env),
          function: { name: input.functionName, handler: entry.handler, memory: entry.memoryMB, timeout: Math.round(call.timeoutMs / 1000) },
          service: { name: input.service ?? '' },
        };
        const label = `function ${JSON.stringify(input.functionName)} (${impl.kind}:${entry.handler}) in state ${JSON.stringify(input.stateName)}`;
        const node = impl.kind === 'node';
        return runChildFunction({
          label,
          command: node ? process.execPath : env[FLOW_PYTHON_ENV] || 'python3',
          args: node ? [NODE_RUNNER, impl.file, impl.handler] : [PYTHON_RUNNER, impl.dir, impl.module, impl.handler],
          cwd: node ? path.dirname(impl.file) : impl.dir,
          env: childEnv(entry, context, env),
          answerFd: node ? 3 : 1,
          event: eventBytes(input.event),
          context,
          timeoutMs: call.timeoutMs,
          signal: call.signal,
          log: (line) => log(`[${input.functionName} ${call.requestId}] ${line}`),
        });
      };
    case 'fc':
      // Settings read per call, so a worker without FC keys still serves the map's other functions.
      return (input, call) =>
        fcBodySender(fcTargetFromEnv(env, impl.functionName, impl.qualifier), Math.ceil(call.timeoutMs / 1000))(eventBytes(input.event), call.signal);
    case 'http':
      return (input, call) =>
        httpInvoker(impl.url, Math.ceil(call.timeoutMs / 1000), invokeSecretFromEnv(env))({ activity: INVOKE_FUNCTION_ACTIVITY, input, attempt: call.attempt }, call.signal);
    case 'builtin':
      throw new Error(`built-in ${impl.name} is run by invokeFunction`);
  }
}
