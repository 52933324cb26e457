// The function side of dispatch: an FC 3.0 custom-runtime HTTP server that
// runs our activities. POST /invoke takes an InvokeRequest and answers FC's way
// (see the status notes in contract.ts); the same server runs unchanged behind
// any platform that forwards POST /invoke (Knative, a plain container).
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MEDIA_ACTIVITIES } from '../core/contracts';
import { createActivities } from '../workerActivities';
import { runWithActivityContext } from '../activities/activityContext';
import { storageMetrics } from '../activities/metrics';
import type { Config } from '../config';
import { INVOKE_FUNCTION_ACTIVITY } from '../core/flow/functionContract';
import { Stores } from '../storage/stores';
import {
  FC_ERROR_TYPE_HEADER,
  FC_STATUS_HEADER,
  FUNCTION_FAILED_STATUS,
  type InvokeRequest,
} from './contract';
import { credentialsFrom, redactor, type FcCredentials } from './credentials';
import { handledError, InvokeRequestError, unhandledError, type InvokeError } from './invokeErrors';

/** What a function may run: the media work and publishing/cleaning, which need no Temporal client. */
export const FC_ACTIVITIES: readonly string[] = [...MEDIA_ACTIVITIES, 'publishOutputs', 'cleanWorkArea', INVOKE_FUNCTION_ACTIVITY];

/** FC's limit on a synchronous invocation's payload; ours are URLs and small metadata. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface HandlerOptions {
  config: Config;
  /** Settings for the OSS/S3 stores; per-request credential headers override the OSS keys. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Activities this function runs; default FC_ACTIVITIES. */
  activities?: readonly string[];
  /** One line of log; default stdout, which FC collects. */
  log?: (line: string) => void;
  maxBodyBytes?: number;
}

type ActivityFn = (input: unknown) => Promise<unknown>;

export class FcHandler {
  private readonly env: NodeJS.ProcessEnv;
  private readonly allowed: Set<string>;
  private readonly log: (line: string) => void;
  private readonly maxBodyBytes: number;
  /** Built once for requests without credential headers, so the OSS/S3 clients are reused. */
  private readonly shared: Record<string, ActivityFn>;

  constructor(private readonly options: HandlerOptions) {
    this.env = options.env ?? process.env;
    this.allowed = new Set(options.activities ?? FC_ACTIVITIES);
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.shared = this.activitiesWith(this.env);
  }

  /** The request listener for http.createServer. */
  readonly listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    this.route(req, res).catch((err: unknown) => {
      // Only reached if answering itself failed; the connection is all that is left to close.
      this.log(`[ERROR] fc-handler: ${(err as Error)?.message ?? String(err)}`);
      res.destroy();
    });
  };

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/invoke') return this.invoke(req, res);
    if (req.method === 'POST' && path === '/initialize') {
      // FC calls this once per instance when an initializer is configured; there is nothing to warm up.
      const id = requestId(req);
      this.log(`FC Initialize Start RequestId: ${id}`);
      req.resume();
      send(res, 200, { [FC_STATUS_HEADER]: '200' }, '');
      this.log(`FC Initialize End RequestId: ${id}`);
      return;
    }
    req.resume();
    // No x-fc-error-type: a wrong path or method is the caller's platform error, not a function error.
    send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ errorMessage: `no route ${req.method} ${path}; use POST /invoke`, errorType: 'NotFound' }));
  }

  private async invoke(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const id = requestId(req);
    const credentials = credentialsFrom(req.headers);
    const redact = redactor(credentials);
    // The caller going away (dispatcher cancelled, timed out, or FC stopped the invocation) kills ffmpeg.
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) aborted.abort(new Error('the invocation request was closed'));
    });

    this.log(`FC Invoke Start RequestId: ${id}`);
    let activity = '(unknown)';
    let failure: InvokeError | undefined;
    let result: unknown;
    try {
      const request = parseInvokeRequest(await readBody(req, this.maxBodyBytes));
      activity = request.activity;
      const fn = this.activityFor(request.activity, credentials);
      result = await runWithActivityContext(
        {
          heartbeat: () => {},
          cancellationSignal: aborted.signal,
          attempt: request.attempt ?? 1,
        },
        () => fn(request.input),
      );
    } catch (err) {
      failure = handledError(err);
    }

    let payload: string | undefined;
    if (!failure) {
      try {
        // An activity without a result answers an empty body, which callers read back as undefined.
        payload = result === undefined ? '' : JSON.stringify(result);
        if (Buffer.byteLength(payload) > this.maxBodyBytes) throw new Error(`the result of ${activity} is over ${this.maxBodyBytes} bytes`);
      } catch (err) {
        failure = unhandledError(err);
      }
    }

    if (failure) {
      failure.body.errorMessage = redact(failure.body.errorMessage);
      this.log(`${id} [ERROR] ${activity} failed (${failure.kind}): ${failure.body.errorType}: ${failure.body.errorMessage}`);
      if (!aborted.signal.aborted) {
        send(
          res,
          FUNCTION_FAILED_STATUS,
          { 'content-type': 'application/json', [FC_STATUS_HEADER]: String(FUNCTION_FAILED_STATUS), [FC_ERROR_TYPE_HEADER]: failure.kind },
          JSON.stringify(failure.body),
        );
      }
    } else {
      send(res, 200, { 'content-type': 'application/json', [FC_STATUS_HEADER]: '200' }, payload as string);
    }
    this.log(`FC Invoke End RequestId: ${id}`);
  }

  private activityFor(name: string, credentials: FcCredentials | undefined): ActivityFn {
    if (!this.allowed.has(name)) {
      throw new InvokeRequestError('UnknownActivity', `this function does not run activity ${JSON.stringify(name)}; it runs ${[...this.allowed].join(', ')}`);
    }
    // Temporary credentials belong to this request only: a fresh Stores, so no other request sees them.
    const set = credentials
      ? this.activitiesWith({
          ...this.env,
          ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
          ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken ?? '',
        })
      : this.shared;
    return set[name];
  }

  private activitiesWith(env: NodeJS.ProcessEnv): Record<string, ActivityFn> {
    const { config } = this.options;
    const stores = new Stores(config.localStoreRoot, { env, scratchDir: config.scratchDir, observer: storageMetrics });
    return createActivities({ config, stores }) as unknown as Record<string, ActivityFn>;
  }
}

export interface RunningHandlerServer {
  server: http.Server;
  /** http://host:port, with 127.0.0.1 for a wildcard host. */
  url: string;
  /** Stops listening and aborts invocations in flight (their ffmpeg is killed). */
  close(): Promise<void>;
}

export async function startHandlerServer(options: HandlerOptions & { host?: string; port?: number }): Promise<RunningHandlerServer> {
  const handler = new FcHandler(options);
  const server = http.createServer(handler.listener);
  // FC keeps connections to the instance open between invocations; a long idle
  // timeout avoids a reused socket being closed under a new request.
  server.keepAliveTimeout = 15 * 60_000;
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    server,
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseInvokeRequest(body: Buffer): InvokeRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvokeRequestError('InvalidInvokeRequest', `the request body is not JSON: ${(err as Error).message}`);
  }
  const r = parsed as Partial<InvokeRequest> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvokeRequestError('InvalidInvokeRequest', 'the request body must be a JSON object {activity, input, attempt?}');
  if (typeof r.activity !== 'string' || r.activity === '') throw new InvokeRequestError('InvalidInvokeRequest', 'the request body has no "activity" name');
  if (r.attempt !== undefined && !(Number.isInteger(r.attempt) && r.attempt >= 1)) {
    throw new InvokeRequestError('InvalidInvokeRequest', `"attempt" must be a whole number of at least 1, got ${JSON.stringify(r.attempt)}`);
  }
  return { activity: r.activity, input: r.input, attempt: r.attempt };
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): InvokeRequestError {
  return new InvokeRequestError('RequestTooLarge', `the request body is over ${limit} bytes; invocations carry object URLs, not media`);
}

/** FC's request id, or a fresh one off FC; reduced to safe characters since it goes into log lines. */
function requestId(req: http.IncomingMessage): string {
  const raw = req.headers['x-fc-request-id'];
  const id = (Array.isArray(raw) ? raw[0] : raw)?.replace(/[^A-Za-z0-9._:-]/g, '').slice(0, 128);
  return id || randomUUID();
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent || res.destroyed) return;
  // A refused oversized body may still be arriving: close the connection instead of reading the rest.
  const close = res.req.complete ? {} : { connection: 'close' };
  res.writeHead(status, { ...headers, ...close, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
