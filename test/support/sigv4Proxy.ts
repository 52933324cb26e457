// A reverse proxy that checks AWS Signature V4 the way S3 does and forwards
// only requests that pass. s3rver parses the Authorization header for its key
// id but never computes a V4 signature, so a signer bug or a wrong secret would
// go unnoticed behind it alone. The canonical request and signing key come from
// @smithy/signature-v4 (the AWS SDK's own signer); what this file adds is the
// server side: parsing what arrived, the scope, the clock, expiry and the body
// hash, and S3's error replies.
import { getCanonicalHeaders, getSigningKey, SignatureV4Base, ALGORITHM_IDENTIFIER, UNSIGNED_PAYLOAD } from '@smithy/signature-v4';
import type { HttpRequest, QueryParameterBag, SourceData } from '@smithy/types';
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the proxy decided about one request; tests read these to count attempts. */
export interface SigV4Decision {
  method: string;
  path: string;
  /** "ok", or the S3 error code sent back (SignatureDoesNotMatch, InvalidAccessKeyId, ...). */
  outcome: string;
  auth: 'header' | 'query' | 'none';
}

export interface SigV4Proxy {
  endpoint: string;
  decisions: SigV4Decision[];
  close(): Promise<void>;
}

const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

function bytes(data: SourceData): string | Uint8Array {
  return typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** The node:crypto hash in the shape the signer takes: a keyed constructor gives an HMAC. Tests presign with it too. */
export class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** The library's canonical request and string to sign, opened up for the server side. */
class S3SignatureCheck extends SignatureV4Base {
  constructor(region: string) {
    // S3 signs the path as sent (no second round of escaping).
    super({ service: 's3', region, credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: Sha256, uriEscapePath: false });
  }

  async expected(request: HttpRequest, signed: Set<string>, payloadHash: string, longDate: string, scope: string[], secret: string): Promise<{ signature: string; headerList: string }> {
    const [accessKeyId, shortDate, region, service] = scope;
    const canonicalHeaders = getCanonicalHeaders(request, undefined, signed);
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    const stringToSign = await this.createStringToSign(longDate, scope.slice(1).join('/'), canonicalRequest, ALGORITHM_IDENTIFIER);
    const key = await getSigningKey(Sha256, { accessKeyId, secretAccessKey: secret }, shortDate, region, service);
    return { signature: createHmac('sha256', key).update(stringToSign).digest('hex'), headerList: this.getCanonicalHeaderList(canonicalHeaders) };
  }
}

class S3Refusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

interface Parsed {
  auth: 'header' | 'query';
  scope: string[];
  signedHeaders: string[];
  signature: string;
  longDate: string;
  payloadHash: string;
  /** Seconds a presigned URL stays valid. */
  expires?: number;
}

/** Decoded query parameters; repeated names become arrays, as the signer expects. */
function parseQuery(raw: string): QueryParameterBag {
  const query: QueryParameterBag = {};
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new S3Refusal(400, 'InvalidArgument', 'The query string has a malformed percent escape.');
    }
  };
  for (const part of raw.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const before = query[name];
    query[name] = before === undefined || before === null ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return query;
}

function single(query: QueryParameterBag, name: string): string | undefined {
  const v = query[name];
  return typeof v === 'string' ? v : undefined;
}

function parseAuth(headers: http.IncomingHttpHeaders, query: QueryParameterBag): Parsed | undefined {
  const header = headers.authorization;
  if (header !== undefined) {
    const match = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(header);
    if (!match) throw new S3Refusal(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    const payloadHash = headers['x-amz-content-sha256'];
    if (typeof payloadHash !== 'string') throw new S3Refusal(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    return {
      auth: 'header',
      scope: match[1].split('/'),
      signedHeaders: match[2].split(';'),
      signature: match[3],
      longDate: String(headers['x-amz-date'] ?? ''),
      payloadHash,
    };
  }
  if (single(query, 'X-Amz-Algorithm') === undefined) return undefined;
  const signature = single(query, 'X-Amz-Signature') ?? '';
  const expires = Number(single(query, 'X-Amz-Expires'));
  if (single(query, 'X-Amz-Algorithm') !== ALGORITHM_IDENTIFIER || !/^[0-9a-f]{64}$/.test(signature) || !Number.isInteger(expires)) {
    throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'Query-string authentication version 4 requires X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Expires.');
  }
  if (expires < 1 || expires > MAX_PRESIGNED_SECONDS) {
    throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds.');
  }
  return {
    auth: 'query',
    scope: (single(query, 'X-Amz-Credential') ?? '').split('/'),
    signedHeaders: (single(query, 'X-Amz-SignedHeaders') ?? '').split(';'),
    signature,
    longDate: single(query, 'X-Amz-Date') ?? '',
    // A presigned URL cannot know the body it will carry.
    payloadHash: UNSIGNED_PAYLOAD,
    expires,
  };
}

function parseLongDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

async function verify(
  check: S3SignatureCheck,
  region: string,
  keys: Map<string, string>,
  req: http.IncomingMessage,
  body: Buffer,
  now: number,
): Promise<'header' | 'query'> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
  const parsed = parseAuth(req.headers, query);
  if (!parsed) throw new S3Refusal(403, 'AccessDenied', 'Access Denied');

  const [accessKeyId, shortDate, scopeRegion, service, terminator] = parsed.scope;
  if (parsed.scope.length !== 5 || service !== 's3' || terminator !== 'aws4_request') {
    throw new S3Refusal(400, 'AuthorizationHeaderMalformed', 'The credential scope must be <key>/<date>/<region>/s3/aws4_request.');
  }
  const secret = keys.get(accessKeyId);
  if (secret === undefined) throw new S3Refusal(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (scopeRegion !== region) throw new S3Refusal(400, 'AuthorizationHeaderMalformed', `The region in the credential scope is wrong; expecting '${region}'.`);
  const signedAt = parseLongDate(parsed.longDate);
  if (signedAt === undefined || parsed.longDate.slice(0, 8) !== shortDate) {
    throw new S3Refusal(403, 'AccessDenied', 'X-Amz-Date is missing, malformed or outside the credential scope.');
  }
  if (parsed.auth === 'header' && Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw new S3Refusal(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
  if (parsed.auth === 'query' && now > signedAt + parsed.expires! * 1000) throw new S3Refusal(403, 'AccessDenied', 'Request has expired');
  if (!parsed.signedHeaders.includes('host') || parsed.signedHeaders.some((h) => req.headers[h] === undefined)) {
    throw new S3Refusal(403, 'AccessDenied', 'SignedHeaders must include host and name only headers the request carries.');
  }

  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    const v = req.headers[name];
    headers[name] = Array.isArray(v) ? v.join(',') : String(v);
  }
  const request: HttpRequest = { method: req.method ?? 'GET', protocol: 'http:', hostname: String(req.headers.host ?? ''), path, query, headers };
  const { signature, headerList } = await check.expected(request, new Set(parsed.signedHeaders), parsed.payloadHash, parsed.longDate, parsed.scope, secret);
  const sent = Buffer.from(parsed.signature, 'hex');
  if (headerList !== parsed.signedHeaders.join(';') || !timingSafeEqual(Buffer.from(signature, 'hex'), sent)) {
    throw new S3Refusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }

  if (parsed.payloadHash.startsWith('STREAMING-')) {
    // The store turns aws-chunked off (requestChecksumCalculation WHEN_REQUIRED); seeing it means that changed.
    throw new S3Refusal(501, 'NotImplemented', 'aws-chunked payloads are not accepted by this test server.');
  }
  if (parsed.payloadHash !== UNSIGNED_PAYLOAD && createHash('sha256').update(body).digest('hex') !== parsed.payloadHash) {
    throw new S3Refusal(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return parsed.auth;
}

function refuse(res: http.ServerResponse, method: string | undefined, refusal: S3Refusal): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message><RequestId>sigv4-proxy</RequestId></Error>`;
  res.writeHead(refusal.status, { 'content-type': 'application/xml', 'content-length': method === 'HEAD' ? 0 : Buffer.byteLength(xml) });
  res.end(method === 'HEAD' ? undefined : xml);
}

/** Listens on 127.0.0.1 and forwards verified requests to `upstream` (host:port) unchanged. */
export async function startSigV4Proxy(upstream: { host: string; port: number }, credentials: S3Credential[], region: string): Promise<SigV4Proxy> {
  const keys = new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  const check = new S3SignatureCheck(region);
  const decisions: SigV4Decision[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = (req.url ?? '/').split('?')[0];
    let auth: SigV4Decision['auth'] = 'none';
    try {
      auth = await verify(check, region, keys, req, body, Date.now());
    } catch (err) {
      const refusal = err instanceof S3Refusal ? err : new S3Refusal(500, 'InternalError', (err as Error).message);
      decisions.push({ method: req.method ?? '', path, outcome: refusal.code, auth: req.headers.authorization ? 'header' : path === req.url ? 'none' : 'query' });
      refuse(res, req.method, refusal);
      return;
    }
    decisions.push({ method: req.method ?? '', path, outcome: 'ok', auth });
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const forward = http.request({ host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (err) => {
      res.destroy(err);
    });
    forward.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    decisions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
