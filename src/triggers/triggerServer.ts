// The HTTP endpoint behind `shardflow trigger serve`. Order of checks: route,
// signature and fresh timestamp headers present, size, signature over
// timestamp and raw bytes, not seen before, then parsing, so nothing
// unauthenticated or replayed reaches the JSON parser. It answers once the jobs
// have started and never waits for them.
import type { Client } from '@temporalio/client';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import { planJobs, type SkippedEvent } from './jobPlan';
import { parseSignatureHeader, ReplayCache, SIGNATURE_HEADER, signatureMatches, TIMESTAMP_HEADER, timestampProblem } from './signature';
import { startOnce, type StartOnceResult } from './startOnce';
import type { TriggerConfig } from './triggerConfig';
import { BadEventError, parseTriggerBody } from './triggerEvents';

export interface TriggerServerOptions {
  client: Client;
  config: Config;
  trigger: TriggerConfig;
  secret: string;
  /** One entry per request; never holds headers or the body. */
  log?: (entry: RequestLogEntry) => void;
  /** The clock timestamps are checked against; Date.now by default. */
  now?: () => number;
}

export interface StartedJobEntry extends StartOnceResult {
  source: string;
  output: string;
}

export interface RequestLogEntry {
  status: number;
  jobs?: StartedJobEntry[];
  skipped?: SkippedEvent[];
  error?: string;
}

export interface TriggerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads at most `limit` bytes; past that, stops keeping data and reports the body as too large. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) settle(() => reject(tooLarge(limit)));
      else chunks.push(chunk);
    });
    req.on('end', () => settle(() => resolve(Buffer.concat(chunks))));
    req.on('error', (err) => settle(() => reject(err)));
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `the body is larger than ${limit} bytes; send fewer events per request`);
}

/** Temporal refusing or unreachable: the sender should retry, and starting again is safe. */
function unavailable(err: unknown): HttpError {
  return new HttpError(503, `could not start the job in Temporal, retry later: ${(err as Error).message}`);
}

async function handle(opts: TriggerServerOptions, replays: ReplayCache, req: http.IncomingMessage, res: http.ServerResponse): Promise<{ status: number; body: Record<string, unknown> }> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return { status: 200, body: { ok: true } };
  if (path !== '/') throw new HttpError(404, 'not found; POST events to /');
  if (req.method !== 'POST') throw new HttpError(405, 'use POST');

  const claimed = parseSignatureHeader(req.headers[SIGNATURE_HEADER]);
  if (!claimed) throw new HttpError(401, 'missing or malformed X-Shardflow-Signature header; expected "sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>"');
  const now = (opts.now ?? Date.now)();
  const stale = timestampProblem(req.headers[TIMESTAMP_HEADER], now);
  if (stale) throw new HttpError(401, stale);
  const timestamp = String(req.headers[TIMESTAMP_HEADER]).trim();
  const limit = opts.trigger.maxBodyBytes;
  if (Number(req.headers['content-length']) > limit) throw tooLarge(limit);
  // A sender that asked first ("Expect: 100-continue") uploads only now that the headers passed.
  if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();
  const body = await readBody(req, limit);
  if (!signatureMatches(opts.secret, timestamp, body, claimed)) throw new HttpError(401, 'the signature does not match the timestamp and body');
  if (!replays.firstUse(timestamp, claimed.toString('hex'), now)) {
    throw new HttpError(401, 'this signed request was already received; send each delivery with a new timestamp and signature');
  }

  let plan;
  try {
    plan = planJobs(opts.trigger, parseTriggerBody(body, req.headers));
  } catch (err) {
    if (err instanceof BadEventError) throw new HttpError(400, err.message);
    throw err;
  }
  const settled = await Promise.allSettled(plan.jobs.map((job) => startOnce(opts.client, opts.config, { ...job, reusePolicy: opts.trigger.reusePolicy })));
  const jobs: StartedJobEntry[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') jobs.push({ ...s.value, source: plan.jobs[i].input.source, output: plan.jobs[i].input.output });
  });
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    // The sender will retry, possibly within the same second (the same signature); starting again is safe.
    replays.forget(timestamp, claimed.toString('hex'));
    const err = unavailable(failed.reason);
    return { status: err.status, body: { error: err.message, jobs, skipped: plan.skipped } };
  }
  return { status: jobs.length > 0 ? 202 : 200, body: { jobs, skipped: plan.skipped } };
}

function send(res: http.ServerResponse, status: number, body: Record<string, unknown>, close: boolean): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // After a refused body the rest of it is not worth reading.
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

export async function startTriggerServer(opts: TriggerServerOptions, port: number, host = '127.0.0.1'): Promise<TriggerServer> {
  const replays = new ReplayCache();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(opts, replays, req, res).then(
      ({ status, body }) => {
        if (req.url !== '/healthz') opts.log?.({ status, ...(body as Omit<RequestLogEntry, 'status'>) });
        send(res, status, body, false);
      },
      (err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        const error = err instanceof HttpError ? err.message : `internal error: ${(err as Error).message}`;
        opts.log?.({ status, error });
        send(res, status, { error }, !req.complete);
      },
    );
  };
  const server = http.createServer(listener);
  server.on('checkContinue', listener);
  // Slow or stalled senders must not hold connections open.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
