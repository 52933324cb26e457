// An in-process stand-in for the FC 3.0 API: POST /2023-03-30/functions/{name}/invocations
// over real HTTP, with ACS3-HMAC-SHA256 signature checks and FC's error JSON,
// driven by the real @alicloud/fc20230330 client. Each call runs in one of N
// real `shardflow fc-handler` processes (one call per instance at a time, as
// FC's default instance concurrency), with the x-fc-* headers FC sends.
// Faults: answer 429/5xx instead of calling, or kill the handler mid-call.
// The handlers hold TEST_FC_SECRET (SHARDFLOW_FC_SECRET) unless told otherwise,
// as deployed functions do; dispatching workers need the same secret.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface FcCredential {
  accessKeyId: string;
  accessKeySecret: string;
}

export type FcFault =
  | { kind: 'status'; status: number; code: string; times?: number }
  /** Kill the handler process `afterMs` into the call, as an instance crash. */
  | { kind: 'crash'; afterMs?: number; times?: number };

export interface FcCall {
  requestId: string;
  status: number;
  errorType?: string;
  fault?: FcFault['kind'];
  /** The caller hung up before the answer. */
  aborted: boolean;
  activity?: string;
}

export interface FcApiServerOptions {
  credentials: FcCredential[];
  functionName: string;
  /** Handler processes (function instances). */
  instances: number;
  /** Environment of the function (storage settings, data dir, SHARDFLOW_WORK_URL, SHARDFLOW_FC_ALLOWED_URLS). */
  functionEnv?: NodeJS.ProcessEnv;
  /** Temporary credentials passed to the function as x-fc-access-key-* headers, as FC does with the function's role. */
  roleCredentials?: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  functionTimeoutSeconds?: number;
}

const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'bin', 'shardflow.js');
const PATH_RE = /^\/2023-03-30\/functions\/([^/?]+)\/invocations$/;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** The secret test handlers share with the workers that dispatch to them. */
export const TEST_FC_SECRET = 'test-fc-secret-7f3e9a1c5b';

interface Instance {
  child: ChildProcess;
  port: number;
  busy: boolean;
  /** Killed or exited: takes no more calls until its replacement is up. */
  dead: boolean;
}

/** RFC 3986 encoding as the V3 signature spec asks for query strings. */
function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Checks an ACS3-HMAC-SHA256 request (Alibaba Cloud V3 signature). Returns a reason when it is bad.
 * CanonicalRequest = method \n URI \n sorted query \n signed headers "name:value\n" \n SignedHeaders \n hex(sha256(body));
 * StringToSign = "ACS3-HMAC-SHA256\n" + hex(sha256(CanonicalRequest)); Signature = hex(HMAC-SHA256(secret, StringToSign)).
 */
export function verifyAcs3(req: http.IncomingMessage, body: Buffer, credentials: FcCredential[], now = Date.now()): string | undefined {
  const auth = req.headers.authorization ?? '';
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'missing or malformed ACS3-HMAC-SHA256 Authorization header';
  const [, keyId, signedList, signature] = m;
  const cred = credentials.find((c) => c.accessKeyId === keyId);
  if (!cred) return `unknown AccessKeyId ${keyId}`;
  const signed = signedList.split(';');
  const missing = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'].filter((h) => !signed.includes(h));
  if (missing.length) return `headers not signed: ${missing.join(', ')}`;
  // Every x-acs-* header sent must be signed, or it could be altered in transit.
  const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-acs-') && !signed.includes(h));
  if (unsigned.length) return `headers not signed: ${unsigned.join(', ')}`;
  const payloadHash = createHash('sha256').update(body).digest('hex');
  if (req.headers['x-acs-content-sha256'] !== payloadHash) return 'x-acs-content-sha256 does not match the body';
  const date = Date.parse(String(req.headers['x-acs-date']));
  if (!Number.isFinite(date) || Math.abs(now - date) > MAX_CLOCK_SKEW_MS) return 'x-acs-date is missing or more than 15 minutes off';
  const url = new URL(req.url ?? '/', 'http://x');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [percentEncode(k), percentEncode(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerLines = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('');
  const canonical = [req.method, url.pathname, query, headerLines, signed.join(';'), payloadHash].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
  const expected = createHmac('sha256', cred.accessKeySecret).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'the request signature does not match';
  return undefined;
}

export class FcApiServer {
  readonly calls: FcCall[] = [];
  private readonly faults: FcFault[] = [];
  private readonly instances: Instance[] = [];
  private readonly queue: Array<(i: Instance) => void> = [];
  private readonly nonces = new Set<string>();
  private server!: http.Server;
  private closing = false;
  port = 0;

  constructor(readonly options: FcApiServerOptions) {}

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Handler process ids, to look for their ffmpeg children. */
  get handlerPids(): number[] {
    return this.instances.map((i) => i.child.pid!).filter(Boolean);
  }

  inject(fault: FcFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  async start(): Promise<this> {
    await Promise.all(Array.from({ length: this.options.instances }, () => this.spawnInstance()));
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await Promise.all(
      this.instances.map(
        (i) =>
          new Promise<void>((resolve) => {
            if (i.child.exitCode !== null || i.child.signalCode !== null) return resolve();
            i.child.once('exit', () => resolve());
            i.child.kill('SIGTERM');
          }),
      ),
    );
  }

  private async spawnInstance(replacing?: Instance): Promise<void> {
    const { child, port } = await spawnHandler(this.options.functionEnv);
    const instance: Instance = { child, port, busy: false, dead: false };
    if (replacing) this.instances.splice(this.instances.indexOf(replacing), 1, instance);
    else this.instances.push(instance);
    child.once('exit', () => {
      instance.dead = true;
      // A crashed instance is replaced, as FC starts a new one.
      if (!this.closing) void this.spawnInstance(instance);
    });
    this.dispatchQueued();
  }

  private acquire(): Promise<Instance> {
    const idle = this.instances.find((i) => !i.busy && !i.dead);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(instance: Instance): void {
    instance.busy = false;
    this.dispatchQueued();
  }

  private dispatchQueued(): void {
    while (this.queue.length) {
      const idle = this.instances.find((i) => !i.busy && !i.dead);
      if (!idle) return;
      idle.busy = true;
      this.queue.shift()!(idle);
    }
  }

  private takeFault(): FcFault | undefined {
    const f = this.faults[0];
    if (!f) return undefined;
    if (--f.times! <= 0) this.faults.shift();
    return f;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const call: FcCall = { requestId, status: 0, aborted: false };
    this.calls.push(call);
    const fail = (status: number, code: string, message: string) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': requestId });
      res.end(JSON.stringify({ Code: code, Message: message, RequestId: requestId }));
    };
    const m = PATH_RE.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'POST' || !m) return fail(404, 'NotFound', `no route ${req.method} ${req.url}`);
    const bad = verifyAcs3(req, body, this.options.credentials);
    if (bad) return fail(403, 'InvalidSignature', bad);
    const nonce = String(req.headers['x-acs-signature-nonce']);
    if (this.nonces.has(nonce)) return fail(403, 'InvalidSignature', 'x-acs-signature-nonce was used before');
    this.nonces.add(nonce);
    if (decodeURIComponent(m[1]) !== this.options.functionName) return fail(404, 'FunctionNotFound', `function ${decodeURIComponent(m[1])} does not exist`);
    try {
      // A signed call carries the request in an envelope (see src/fc/invokeAuth.ts).
      const doc = JSON.parse(body.toString());
      call.activity = (typeof doc.body === 'string' && typeof doc.signature === 'string' ? JSON.parse(doc.body) : doc).activity;
    } catch {
      // The handler reports a bad body itself.
    }

    const fault = this.takeFault();
    if (fault?.kind === 'status') {
      call.fault = 'status';
      return fail(fault.status, fault.code, `injected ${fault.code}`);
    }

    const instance = await this.acquire();
    const upstream = http.request({
      host: '127.0.0.1',
      port: instance.port,
      method: 'POST',
      path: '/invoke',
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-fc-request-id': requestId,
        'x-fc-function-name': this.options.functionName,
        'x-fc-function-timeout': String(this.options.functionTimeoutSeconds ?? 900),
        ...(this.options.roleCredentials
          ? {
              'x-fc-access-key-id': this.options.roleCredentials.accessKeyId,
              'x-fc-access-key-secret': this.options.roleCredentials.accessKeySecret,
              'x-fc-security-token': this.options.roleCredentials.securityToken,
            }
          : {}),
      },
    });
    let crashTimer: NodeJS.Timeout | undefined;
    if (fault?.kind === 'crash') {
      call.fault = 'crash';
      crashTimer = setTimeout(() => {
        instance.dead = true;
        instance.child.kill('SIGKILL');
      }, fault.afterMs ?? 200);
    }
    // The caller hanging up ends the instance's request too, as FC stops a cancelled sync call.
    res.on('close', () => {
      if (!res.writableEnded) {
        call.aborted = true;
        upstream.destroy();
      }
    });
    const finish = () => {
      clearTimeout(crashTimer);
      if (!instance.dead) this.release(instance);
    };
    upstream.on('response', async (up) => {
      const out: Buffer[] = [];
      try {
        for await (const c of up) out.push(c as Buffer);
      } catch {
        return; // the instance died mid-answer; 'error' below answers
      }
      finish();
      const errorType = up.headers['x-fc-error-type'] as string | undefined;
      call.errorType = errorType;
      // FC answers a function error with 200 and x-fc-error-type; the status is the platform's.
      call.status = errorType ? 200 : (up.statusCode ?? 502);
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(call.status, {
        'content-type': String(up.headers['content-type'] ?? 'application/json'),
        'x-fc-request-id': requestId,
        ...(errorType ? { 'x-fc-error-type': errorType } : {}),
      });
      res.end(Buffer.concat(out));
    });
    upstream.on('error', () => {
      finish();
      if (res.writableEnded || res.destroyed) return;
      call.status = 200;
      call.errorType = 'UnhandledInvocationError';
      res.writeHead(200, { 'content-type': 'application/json', 'x-fc-request-id': requestId, 'x-fc-error-type': 'UnhandledInvocationError' });
      res.end(JSON.stringify({ errorMessage: 'Process exited unexpectedly before completing request', errorType: 'UnhandledInvocationError' }));
    });
    upstream.end(body);
  }
}

/** One `shardflow fc-handler` process on a free port of 127.0.0.1 (also a self-hosted /invoke service for http mode). */
export async function spawnHandler(env?: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number; url: string }> {
  const child = spawn(process.execPath, [CLI, 'fc-handler', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, SHARDFLOW_FC_SECRET: TEST_FC_SECRET, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on [^:]+:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`fc-handler exited (${code}) before listening: ${err}`)));
  });
  child.stderr!.resume();
  return { child, port, url: `http://127.0.0.1:${port}` };
}

export async function startFcApiServer(options: FcApiServerOptions): Promise<FcApiServer> {
  return new FcApiServer(options).start();
}
