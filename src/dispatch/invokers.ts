// The two ways a dispatched call leaves the worker: FC 3.0 InvokeFunction
// through the official SDK, or POST <endpoint>/invoke for self-hosted function
// platforms. Both send the contract's InvokeRequest and map errors alike.
import type FcClient from '@alicloud/fc20230330';
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { Readable } from 'node:stream';
import { FC_ERROR_TYPE_HEADER, type InvokeRequest } from '../fc/contract';
import { functionFailure, platformFailure, timeoutFailure } from './dispatchFailures';
import { signedInvokeEnvelope, signedInvokeHeaders } from '../fc/invokeAuth';
import type { DispatchSettings, FcTarget } from './settings';

/** Sends one call and resolves with the activity's result; rejects with an ApplicationFailure, or the abort reason. */
export type Invoker = (request: InvokeRequest, signal: AbortSignal) => Promise<unknown>;

/** Extra seconds past the function's timeout before the worker stops waiting (FC reports its own timeout first). */
const TIMEOUT_MARGIN_SECONDS = 30;

function parseResult(text: string): unknown {
  return text === '' ? undefined : JSON.parse(text);
}

// The FC SDK takes no AbortSignal. Its HTTP request is created inside our
// async context, so Node's request-start channel lets us find and destroy it.
const callSignal = new AsyncLocalStorage<AbortSignal>();
diagnostics.subscribe('http.client.request.start', (message) => {
  const signal = callSignal.getStore();
  if (!signal) return;
  const request = (message as { request: ClientRequest }).request;
  if (signal.aborted) return void request.destroy(signal.reason as Error);
  const onAbort = () => request.destroy(new Error('cancelled'));
  signal.addEventListener('abort', onAbort, { once: true });
  request.once('close', () => signal.removeEventListener('abort', onAbort));
});

interface SdkError {
  code?: string;
  message?: string;
  name?: string;
  statusCode?: number;
  data?: { statusCode?: number; errorType?: string };
}

/**
 * The FC SDK, loaded on first use: its modules take about 30 MB of a worker's memory, and most workers never
 * call Function Compute.
 */
function fcSdk() {
  /* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-imports */
  const fc = require('@alicloud/fc20230330') as typeof import('@alicloud/fc20230330');
  const { $OpenApiUtil } = require('@alicloud/openapi-core') as typeof import('@alicloud/openapi-core');
  const { RuntimeOptions } = require('@darabonba/typescript') as typeof import('@darabonba/typescript');
  /* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/consistent-type-imports */
  return { FcClient: fc.default, InvokeFunctionRequest: fc.InvokeFunctionRequest, InvokeFunctionHeaders: fc.InvokeFunctionHeaders, Config: $OpenApiUtil.Config, RuntimeOptions };
}

function fcClient(sdk: ReturnType<typeof fcSdk>, target: FcTarget): FcClient {
  return new sdk.FcClient(
    new sdk.Config({
      endpoint: target.endpoint,
      protocol: target.protocol,
      regionId: target.regionId,
      accessKeyId: target.accessKeyId,
      accessKeySecret: target.accessKeySecret,
      securityToken: target.securityToken,
    }),
  );
}

/** Sends one body to a function (FC InvokeFunction, synchronous) and resolves with its JSON answer. */
export type FcBodySender = (payload: Buffer, signal: AbortSignal) => Promise<unknown>;

/** FC's InvokeFunction through the SDK: function errors keep their errorType, platform errors are FC.* and retryable. */
export function fcBodySender(target: FcTarget, functionTimeoutSeconds: number): FcBodySender {
  const sdk = fcSdk();
  const client = fcClient(sdk, target);
  const waitSeconds = functionTimeoutSeconds + TIMEOUT_MARGIN_SECONDS;
  return async (payload, signal) => {
    const request = new sdk.InvokeFunctionRequest({ body: Readable.from([payload]), qualifier: target.qualifier });
    const headers = new sdk.InvokeFunctionHeaders({ xFcInvocationType: 'Sync' });
    // No SDK retries: Temporal's retry policy owns backoff and attempt counts. The SDK times "connect"
    // until the answer starts, and FC holds a call while it starts an instance, so both timeouts are the wait.
    const runtime = new sdk.RuntimeOptions({ readTimeout: waitSeconds * 1000, connectTimeout: waitSeconds * 1000, autoretry: false, maxAttempts: 0 });
    let response;
    try {
      response = await callSignal.run(signal, () => client.invokeFunctionWithOptions(target.functionName, request, headers, runtime));
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const e = err as SdkError;
      // A function error relayed with an error status still carries the function's error body.
      if (e.data?.errorType) throw functionFailure('HandledInvocationError', JSON.stringify(e.data));
      const status = e.statusCode ?? e.data?.statusCode;
      if (status === undefined && /timeout/i.test(`${e.name} ${e.code} ${e.message}`)) throw timeoutFailure(waitSeconds);
      throw platformFailure(status, e.code, e.message ?? String(err));
    }
    const text = response.body ? await readAll(response.body) : '';
    const errorType = response.headers?.[FC_ERROR_TYPE_HEADER];
    if (errorType) throw functionFailure(errorType, text);
    return parseResult(text);
  };
}

/** FC's InvokeFunction is itself signed (ACS3, RAM keys); the body envelope adds our secret, as FC forwards only the body. */
export function fcInvoker(target: FcTarget, functionTimeoutSeconds: number, secret?: string): Invoker {
  const send = fcBodySender(target, functionTimeoutSeconds);
  return (call, signal) => {
    const json = JSON.stringify(call);
    return send(Buffer.from(secret ? signedInvokeEnvelope(secret, json) : json), signal);
  };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export function httpInvoker(endpoint: string, functionTimeoutSeconds: number, secret?: string): Invoker {
  const url = `${endpoint}/invoke`;
  const waitSeconds = functionTimeoutSeconds + TIMEOUT_MARGIN_SECONDS;
  return async (call, signal) => {
    const timeout = AbortSignal.timeout(waitSeconds * 1000);
    let response: Response;
    let text: string;
    try {
      const body = JSON.stringify(call);
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret ? signedInvokeHeaders(secret, body) : {}) },
        body,
        signal: AbortSignal.any([signal, timeout]),
      });
      text = await response.text();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (timeout.aborted) throw timeoutFailure(waitSeconds);
      throw platformFailure(undefined, undefined, (err as Error).cause ? String((err as Error).cause) : (err as Error).message);
    }
    const errorType = response.headers.get(FC_ERROR_TYPE_HEADER);
    if (errorType) throw functionFailure(errorType, text);
    if (!response.ok) {
      let body: { Code?: string; code?: string; Message?: string; message?: string } = {};
      try {
        body = JSON.parse(text);
      } catch {
        // Proxies answer HTML or plain text; the status decides.
      }
      throw platformFailure(response.status, body.Code ?? body.code, body.Message ?? body.message ?? (text.slice(0, 200) || response.statusText));
    }
    return parseResult(text);
  };
}

export function createInvoker(settings: DispatchSettings): Invoker {
  if (settings.mode === 'fc') return fcInvoker(settings.fc!, settings.functionTimeoutSeconds, settings.secret);
  return httpInvoker(settings.httpEndpoint!, settings.functionTimeoutSeconds, settings.secret);
}
