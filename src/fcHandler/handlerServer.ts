// The function side of dispatch: an FC 3.0 custom-runtime HTTP server that
// runs our activities. POST /invoke takes an InvokeRequest and answers FC's way
// (see the status notes in contract.ts); the same server runs unchanged behind
// any platform that forwards POST /invoke (Knative, a plain container).
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createActivities } from '../workerActivities';
import { runWithActivityContext } from '../activities/activityContext';
import { storageMetrics } from '../activities/metrics';
import type { Config } from '../config';
import { UrlConfinement } from '../storage/confinedStore';
import { Stores } from '../storage/stores';
import {
  FC_ACTIVITIES,
  FC_ERROR_TYPE_HEADER,
  FC_STATUS_HEADER,
  FUNCTION_FAILED_STATUS,
  type InvokeRequest,
} from '../fc/contract';
import { credentialsFrom, redactor, type FcCredentials } from '../fc/credentials';
import { checkSignedCall, FC_SECRET_ENV, isLoopbackHost, parseInvokeEnvelope, ReplayCache, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../fc/invokeAuth';
import { handledError, InvokeRequestError, unhandledError, type InvokeError } from '../fc/invokeErrors';


export { FC_ACTIVITIES } from '../fc/contract';

/** Comma-separated URL prefixes, besides the work root, that invocations may read and write. */
export const FC_ALLOWED_URLS_ENV = 'SHARDFLOW_FC_ALLOWED_URLS';
/** Invocations one handler runs at once; more are answered 429 (FC.ResourceThrottled, retried by the dispatcher). */
export const FC_CONCURRENCY_ENV = 'SHARDFLOW_FC_CONCURRENCY';

/** The allowed URL prefixes from the environment. */
export function allowedUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[FC_ALLOWED_URLS_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

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
  /** Shared secret every /invoke must be signed with (see invokeAuth.ts); without one, calls are not authenticated. */
  secret?: string;
  /** URL prefixes besides config.workRoot that invocations may touch; default SHARDFLOW_FC_ALLOWED_URLS. */
  allowedUrls?: string[];
  /** Invocations at once; default SHARDFLOW_FC_CONCURRENCY, else the config's media concurrency. */
  maxConcurrent?: number;
}

type ActivityFn = (input: unknown) => Promise<unknown>;

export class FcHandler {
  private readonly env: NodeJS.ProcessEnv;
  private readonly allowed: Set<string>;
  private readonly log: (line: string) => void;
  private readonly maxBodyBytes: number;
  private readonly confinement: UrlConfinement;
  private readonly replays = new ReplayCache();
  readonly maxConcurrent: number;
  private running = 0;
  /** Built once for requests without credential headers, so the OSS/S3 clients are reused. */
  private readonly shared: Record<string, ActivityFn>;

  constructor(private readonly options: HandlerOptions) {
    this.env = options.env ?? process.env;
    const beyond = (options.activities ?? []).filter((a) => !FC_ACTIVITIES.includes(a));
    if (beyond.length) throw new Error(`a function handler cannot run ${beyond.join(', ')}; it runs only ${FC_ACTIVITIES.join(', ')}`);
    this.allowed = new Set(options.activities ?? FC_ACTIVITIES);
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
    const { config } = options;
    this.confinement = new UrlConfinement([config.workRoot, ...(options.allowedUrls ?? allowedUrlsFromEnv(this.env))], config.localStoreRoot, FC_ALLOWED_URLS_ENV);
    this.maxConcurrent = options.maxConcurrent ?? positiveIntFromEnv(this.env, FC_CONCURRENCY_ENV, config.mediaConcurrency);
    this.shared = this.activitiesWith(this.env);
  }

  /** The prefixes invocations may touch, for the start-up banner. */
  get allowedUrls(): readonly string[] {
    return this.confinement.allowed;
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
    if (this.running >= this.maxConcurrent) {
      // Not a function error: the dispatcher retries it as FC.ResourceThrottled, as it does FC's own 429.
      req.resume();
      send(res, 429, { 'content-type': 'application/json' }, JSON.stringify({ Code: 'ResourceThrottled', Message: `this function already runs ${this.maxConcurrent} invocation(s); retry later` }));
      return;
    }
    this.running++;
    try {
      await this.invokeCounted(req, res);
    } finally {
      this.running--;
    }
  }

  private async invokeCounted(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
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
      const request = parseInvokeRequest(this.authenticate(req, await readBody(req, this.maxBodyBytes)));
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
          failure.status ?? FUNCTION_FAILED_STATUS,
          { 'content-type': 'application/json', [FC_STATUS_HEADER]: String(FUNCTION_FAILED_STATUS), [FC_ERROR_TYPE_HEADER]: failure.kind },
          JSON.stringify(failure.body),
        );
      }
    } else {
      send(res, 200, { 'content-type': 'application/json', [FC_STATUS_HEADER]: '200' }, payload as string);
    }
    this.log(`FC Invoke End RequestId: ${id}`);
  }

  /** The request bytes once the call is authentic: signed in headers, or in a body envelope (FC event invocations). */
  private authenticate(req: http.IncomingMessage, raw: Buffer): Buffer {
    const { secret } = this.options;
    if (!secret) return raw;
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const path = (req.url ?? '/').split('?')[0];
    let call = { method: req.method ?? '', path, timestamp: header(TIMESTAMP_HEADER), signature: header(SIGNATURE_HEADER), body: raw as Buffer | string };
    let body = raw;
    if (!call.signature) {
      const envelope = parseInvokeEnvelope(raw);
      if (envelope) {
        call = { ...call, timestamp: envelope.timestamp, signature: envelope.signature, body: envelope.body };
        body = Buffer.from(envelope.body, 'utf8');
      }
    }
    const refused = checkSignedCall(secret, call, this.replays);
    if (refused) throw new InvokeRequestError('Unauthorized', `refused: ${refused}`, 401);
    return body;
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
    const stores = new Stores(config.localStoreRoot, { env, scratchDir: config.scratchDir, observer: storageMetrics, confinement: this.confinement });
    return createActivities({ config, stores }) as unknown as Record<string, ActivityFn>;
  }
}

export interface RunningHandlerServer {
  server: http.Server;
  handler: FcHandler;
  /** http://host:port, with 127.0.0.1 for a wildcard host. */
  url: string;
  /** Stops listening and aborts invocations in flight (their ffmpeg is killed). */
  close(): Promise<void>;
}

export async function startHandlerServer(options: HandlerOptions & { host?: string; port?: number }): Promise<RunningHandlerServer> {
  const host = options.host ?? '0.0.0.0';
  if (!options.secret && !isLoopbackHost(host)) {
    throw new Error(
      `fc-handler will not listen on ${host} without ${FC_SECRET_ENV}: anyone who reaches it could run encodes with this function's storage access. ` +
        `Set ${FC_SECRET_ENV} (at least 16 characters) here and on the dispatching workers, or listen on 127.0.0.1.`,
    );
  }
  const handler = new FcHandler(options);
  const server = http.createServer(handler.listener);
  // FC and HTTP dispatchers reuse connections between invocations. An idle socket is kept a little longer than
  // common proxies keep theirs (60 s), so the caller, not us, closes it and never sends on a socket we just closed.
  server.keepAliveTimeout = 65_000;
  // Headers and the (small) body must arrive promptly; a slow sender cannot hold a slot. The answer itself may
  // take as long as the encode does: these limits cover only receiving the request.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
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
    handler,
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function positiveIntFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return n;
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
