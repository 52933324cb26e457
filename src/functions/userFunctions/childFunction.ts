// Runs a node: or python: function in a child process of its own, so a crash,
// a hang or a leak ends with that process and never with the worker. The
// task's timeout and cancellation kill the whole process group.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { FcErrorType } from '../../dispatch/dispatchFailures';

/** The FC context a handler receives (Node.js names; the Python runner renames them). */
export interface FcContext {
  requestId: string;
  region: string;
  accountId: string;
  credentials: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { name: string };
}

export interface ChildCall {
  /** What the error messages call it: `function "x" (node:./f.js#handler)`. */
  label: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The answer's file descriptor: 3 for Node.js, 1 (stdout) for Python. */
  answerFd: 1 | 3;
  event: Buffer;
  context: FcContext;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Each line the function logs. */
  log: (line: string) => void;
}

/** FC's limit on a synchronous invocation's response (the state's output is held to 2 MB later). */
const MAX_ANSWER_BYTES = 6 * 1024 * 1024;

/** Kept of a function's output for an error message when it dies without answering. */
const LOG_TAIL_CHARS = 2000;

export const NODE_RUNNER = path.join(__dirname, 'nodeHandlerRunner.js');
/** Outside dist/ so the image ships it as written (Dockerfile copies runners/). */
export const PYTHON_RUNNER = path.resolve(__dirname, '../../../../runners/fc_python_runner.py');

function lineLogger(log: (line: string) => void, tail: { text: string }): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    const text = chunk.toString('utf8');
    tail.text = (tail.text + text).slice(-LOG_TAIL_CHARS);
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) log(line);
  };
}

/** Resolves with the function's result (JSON); rejects with the function's own error type, a timeout, or a crash. */
export function runChildFunction(call: ChildCall): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (call.signal?.aborted) return reject(new CancelledFailure(`${call.label} cancelled before it started`));
    const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'pipe', call.answerFd === 3 ? 'pipe' : 'ignore'];
    const child = spawn(call.command, call.args, {
      cwd: call.cwd,
      env: { ...call.env, SHARDFLOW_FC_CONTEXT: JSON.stringify(call.context) },
      stdio,
      // Its own process group: the kill reaches anything the function started.
      detached: true,
    });
    const tail = { text: '' };
    const answer: Buffer[] = [];
    const answerStream = call.answerFd === 3 ? child.stdio[3] : child.stdout;
    let answerBytes = 0;
    answerStream?.on('data', (c: Buffer) => {
      answerBytes += c.length;
      if (answerBytes <= MAX_ANSWER_BYTES) return void answer.push(c);
      kill(ApplicationFailure.create({ type: 'FunctionResultTooLarge', nonRetryable: true, message: `${call.label} answered more than ${MAX_ANSWER_BYTES} bytes, FC's limit for a synchronous call's response` }));
    });
    if (call.answerFd === 3) child.stdout?.on('data', lineLogger(call.log, tail));
    child.stderr?.on('data', lineLogger(call.log, tail));
    let ended: Error | undefined;
    const kill = (reason: Error): void => {
      if (ended) return;
      ended = reason;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(
      () => kill(ApplicationFailure.create({ type: FcErrorType.Timeout, message: `${call.label} did not finish within its ${Math.round(call.timeoutMs / 1000)} s timeout; killed` })),
      call.timeoutMs,
    );
    const onAbort = (): void => kill(new CancelledFailure(`${call.label} cancelled; killed`));
    call.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdin?.on('error', () => undefined); // a function that exits without reading its event
    child.stdin?.end(call.event);
    child.on('error', (err) => kill(ApplicationFailure.create({ type: 'FunctionStartFailed', nonRetryable: true, message: `${call.label} could not start ${call.command}: ${err.message}` })));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      if (ended) return reject(ended);
      try {
        resolve(answerOf(call.label, Buffer.concat(answer).toString('utf8'), code, sig, tail.text));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** The runner's one JSON answer as a result or an error keeping the function's errorType. */
function answerOf(label: string, text: string, code: number | null, sig: NodeJS.Signals | null, logTail: string): unknown {
  let body: { result?: unknown; text?: string; errorType?: unknown; errorMessage?: unknown } | undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object') {
    const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
    const log = logTail.trim() ? `; its last output: ${logTail.trim().slice(-500)}` : '';
    // FC's name for a function that died without answering; retryable, as a crash may be transient.
    throw ApplicationFailure.create({ type: 'UnhandledInvocationError', message: `${label} ${how} without an answer${log}` });
  }
  if (typeof body.errorType === 'string') {
    throw ApplicationFailure.create({ type: body.errorType, message: `${label}: ${typeof body.errorMessage === 'string' ? body.errorMessage : body.errorType}` });
  }
  if (typeof body.text === 'string') return jsonResult(label, body.text);
  return body.result;
}

/** A handler that returns text must return JSON text: a flow's state output is JSON. */
export function jsonResult(label: string, text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw ApplicationFailure.create({
      type: 'InvalidFunctionResult',
      nonRetryable: true,
      message: `${label} returned text that is not JSON (${JSON.stringify(text.slice(0, 80))}); a flow state's output must be JSON`,
    });
  }
}
