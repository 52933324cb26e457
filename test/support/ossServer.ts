// An in-process stand-in for OSS: the REST subset shardflow uses, over real
// HTTP, with signature checks and OSS's XML errors, driven by the real
// ali-oss client. Path-style only: ali-oss sends Host: <bucket>.<region>.
// aliyuncs.com even to 127.0.0.1, so the bucket comes from the path.
// Objects live in a temporary folder; faults can be injected per operation.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { verifySignature, type OssCredential } from './ossSignature';

export type OssOp =
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'DeleteMultipleObjects'
  | 'CopyObject'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListObjectsV2';

export interface RecordedRequest {
  op: OssOp | 'Unsupported';
  bucket: string;
  key: string;
  partNumber?: number;
  range?: string;
  status: number;
  signature?: 1 | 4;
}

export interface Fault {
  op: OssOp;
  /** Only this part of a multipart upload. */
  partNumber?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** error: answer `status` (default 500) with an OSS error body. drop: cut the connection mid-transfer. */
  kind: 'error' | 'drop';
  status?: number;
  code?: string;
}

export interface OssServerOptions {
  credentials: OssCredential[];
  /** Region in V4 credential scopes, without the "oss-" prefix. */
  region?: string;
  buckets?: string[];
}

interface StoredObject {
  file: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
}

interface Upload {
  bucket: string;
  key: string;
  contentType: string;
  parts: Map<number, { file: string; size: number; etag: string }>;
}

class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class OssServer {
  readonly requests: RecordedRequest[] = [];
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private readonly uploads = new Map<string, Upload>();
  private faults: (Fault & { left: number })[] = [];
  private readonly region: string;
  private server!: http.Server;
  private dir!: string;
  endpoint = '';

  private constructor(private readonly options: OssServerOptions) {
    this.region = options.region ?? 'cn-hangzhou';
    for (const b of options.buckets ?? []) this.addBucket(b);
  }

  static async start(options: OssServerOptions): Promise<OssServer> {
    const s = new OssServer(options);
    s.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oss-server-'));
    s.server = http.createServer((req, res) => {
      s.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) s.sendError(res, req.method, new OssError(500, 'InternalError', String(err)));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.endpoint = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  addBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  count(op: OssOp): number {
    return this.requests.filter((r) => r.op === op).length;
  }

  keys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  async read(bucket: string, key: string): Promise<Buffer> {
    const o = this.buckets.get(bucket)?.get(key);
    if (!o) throw new Error(`no object ${bucket}/${key}`);
    return fs.readFile(o.file);
  }

  /** Multipart uploads begun and neither completed nor aborted. */
  openUploads(): number {
    return this.uploads.size;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const slash = url.pathname.indexOf('/', 1);
    const bucket = decodeURIComponent(slash < 0 ? url.pathname.slice(1) : url.pathname.slice(1, slash));
    const key = slash < 0 ? '' : decodeURIComponent(url.pathname.slice(slash + 1));
    const query = [...url.searchParams.entries()];
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const op = operation(method, key, q, req.headers);
    const partNumber = q.has('partNumber') ? Number(q.get('partNumber')) : undefined;
    const record: RecordedRequest = { op, bucket, key, partNumber, range: req.headers.range, status: 0 };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));

    const verdict = verifySignature({ method, bucket, key, query, headers: req.headers }, this.options.credentials, this.region);
    if (!verdict.ok) {
      const extra: Record<string, string> = {};
      if (verdict.accessKeyId) extra.OSSAccessKeyId = verdict.accessKeyId;
      if (verdict.stringToSign) extra.StringToSign = verdict.stringToSign;
      await drain(req);
      return this.sendError(res, method, new OssError(verdict.status, verdict.code, verdict.message, extra));
    }
    record.signature = verdict.version;

    const fault = this.faults.find((f) => f.left > 0 && f.op === op && (f.partNumber === undefined || f.partNumber === partNumber));
    if (fault) {
      fault.left--;
      if (fault.kind === 'drop') return this.drop(req, res, op, bucket, key);
      await drain(req);
      const status = fault.status ?? 500;
      const code = fault.code ?? (status === 503 ? 'ServiceUnavailable' : status === 429 ? 'Throttling' : 'InternalError');
      return this.sendError(res, method, new OssError(status, code, `injected ${code}`));
    }

    try {
      if (op === 'Unsupported') throw new OssError(501, 'NotImplemented', `${method} ${url.pathname}${url.search} is not supported here`);
      const served: OssOp = op;
      const objects = this.buckets.get(bucket);
      if (!objects) throw new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket });
      await this.serve(served, req, res, bucket, key, q, objects);
    } catch (err) {
      if (!(err instanceof OssError)) throw err;
      await drain(req);
      this.sendError(res, method, err);
    }
  }

  private async serve(
    op: OssOp,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    bucket: string,
    key: string,
    q: URLSearchParams,
    objects: Map<string, StoredObject>,
  ): Promise<void> {
    switch (op) {
      case 'PutObject': {
        const o = await this.receive(req);
        objects.set(key, o);
        return send(res, 200, '', { ETag: `"${o.etag}"` });
      }
      case 'HeadObject':
      case 'GetObject': {
        const o = this.object(objects, key);
        const ifMatch = req.headers['if-match'];
        if (ifMatch && ifMatch.replace(/"/g, '') !== o.etag) throw new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.');
        const headers: Record<string, string> = {
          ETag: `"${o.etag}"`,
          'Content-Type': o.contentType,
          'Last-Modified': o.lastModified.toUTCString(),
          'Accept-Ranges': 'bytes',
        };
        const range = op === 'GetObject' ? parseRange(req.headers.range, o.size) : undefined;
        if (op === 'HeadObject') {
          res.writeHead(200, { ...headers, 'Content-Length': String(o.size), 'x-oss-request-id': requestId() });
          return void res.end();
        }
        const [start, end] = range ?? [0, o.size - 1];
        if (range) headers['Content-Range'] = `bytes ${start}-${end}/${o.size}`;
        res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': String(Math.max(0, end - start + 1)), 'x-oss-request-id': requestId() });
        if (o.size === 0) return void res.end();
        return pipeline(createReadStream(o.file, { start, end }), res);
      }
      case 'DeleteObject':
        objects.delete(key);
        return send(res, 204, '');
      case 'DeleteMultipleObjects': {
        const body = (await readBody(req)).toString('utf8');
        checkMd5(req, body);
        const keys = [...body.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescapeXml(m[1]));
        for (const k of keys) objects.delete(k);
        const quiet = /<Quiet>true<\/Quiet>/.test(body);
        const deleted = quiet ? '' : keys.map((k) => `<Deleted><Key>${escapeXml(k)}</Key></Deleted>`).join('');
        return sendXml(res, 200, `<DeleteResult>${deleted}</DeleteResult>`);
      }
      case 'CopyObject': {
        await drain(req);
        const source = this.copySource(req);
        const target = path.join(this.dir, randomUUID());
        await fs.copyFile(source.file, target);
        const o = { ...source, file: target, lastModified: new Date() };
        objects.set(key, o);
        return sendXml(res, 200, `<CopyObjectResult><ETag>"${o.etag}"</ETag><LastModified>${o.lastModified.toISOString()}</LastModified></CopyObjectResult>`);
      }
      case 'InitiateMultipartUpload': {
        await drain(req);
        const uploadId = randomUUID().replace(/-/g, '').toUpperCase();
        this.uploads.set(uploadId, { bucket, key, contentType: contentTypeOf(req), parts: new Map() });
        return sendXml(
          res,
          200,
          `<InitiateMultipartUploadResult><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      case 'UploadPart':
      case 'UploadPartCopy': {
        const upload = this.upload(q, bucket, key);
        const number = Number(q.get('partNumber'));
        if (!Number.isInteger(number) || number < 1 || number > 10000) throw new OssError(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000.');
        let part;
        if (op === 'UploadPart') {
          part = await this.receive(req);
        } else {
          await drain(req);
          const source = this.copySource(req);
          const range = parseRange(req.headers['x-oss-copy-source-range'] as string | undefined, source.size) ?? [0, source.size - 1];
          const file = path.join(this.dir, randomUUID());
          const hash = createHash('md5');
          await pipeline(createReadStream(source.file, { start: range[0], end: range[1] }), hashing(hash), createWriteStream(file));
          part = { file, size: range[1] - range[0] + 1, etag: hash.digest('hex').toUpperCase() };
        }
        upload.parts.set(number, { file: part.file, size: part.size, etag: part.etag });
        if (op === 'UploadPartCopy') return sendXml(res, 200, `<CopyPartResult><ETag>"${part.etag}"</ETag></CopyPartResult>`, { ETag: `"${part.etag}"` });
        return send(res, 200, '', { ETag: `"${part.etag}"` });
      }
      case 'CompleteMultipartUpload': {
        const upload = this.upload(q, bucket, key);
        const body = (await readBody(req)).toString('utf8');
        const listed = [...body.matchAll(/<Part>\s*<PartNumber>(\d+)<\/PartNumber>\s*<ETag>([\s\S]*?)<\/ETag>\s*<\/Part>/g)].map((m) => ({
          number: Number(m[1]),
          etag: m[2].replace(/"|&quot;/g, ''),
        }));
        if (listed.length === 0) throw new OssError(400, 'MalformedXML', 'The XML you provided was not well-formed.');
        const target = path.join(this.dir, randomUUID());
        const out = createWriteStream(target);
        const md5s = createHash('md5');
        let size = 0;
        let previous = 0;
        for (const p of listed) {
          const part = upload.parts.get(p.number);
          if (p.number <= previous) throw new OssError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
          if (!part || part.etag !== p.etag) throw new OssError(400, 'InvalidPart', `Part ${p.number} was not uploaded or its ETag does not match.`);
          previous = p.number;
          md5s.update(Buffer.from(part.etag, 'hex'));
          size += part.size;
          for await (const chunk of createReadStream(part.file)) {
            if (!out.write(chunk)) await once(out, 'drain');
          }
        }
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        const etag = `${md5s.digest('hex').toUpperCase()}-${listed.length}`;
        objects.set(key, { file: target, size, etag, contentType: upload.contentType, lastModified: new Date() });
        this.uploads.delete(q.get('uploadId') ?? '');
        return sendXml(
          res,
          200,
          `<CompleteMultipartUploadResult><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`,
          { ETag: `"${etag}"` },
        );
      }
      case 'AbortMultipartUpload':
        this.upload(q, bucket, key);
        this.uploads.delete(q.get('uploadId') ?? '');
        return send(res, 204, '');
      case 'ListObjectsV2': {
        const prefix = q.get('prefix') ?? '';
        const maxKeys = Math.min(1000, Number(q.get('max-keys') ?? 100));
        const after = q.get('continuation-token') ? Buffer.from(q.get('continuation-token') as string, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
        const all = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = all.slice(0, maxKeys);
        const truncated = all.length > page.length;
        const contents = page
          .map((k) => {
            const o = objects.get(k) as StoredObject;
            return `<Contents><Key>${escapeXml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>"${o.etag}"</ETag><Type>Normal</Type><Size>${o.size}</Size><StorageClass>Standard</StorageClass></Contents>`;
          })
          .join('');
        const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64url')}</NextContinuationToken>` : '';
        return sendXml(
          res,
          200,
          `<ListBucketResult><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated><KeyCount>${page.length}</KeyCount>${next}${contents}</ListBucketResult>`,
        );
      }
    }
  }

  /** Streams a request body to a new file, hashing it on the way; checks Content-MD5 when sent. */
  private async receive(req: http.IncomingMessage): Promise<StoredObject> {
    const file = path.join(this.dir, randomUUID());
    const hash = createHash('md5');
    await pipeline(req, hashing(hash), createWriteStream(file));
    const digest = hash.digest();
    const md5 = req.headers['content-md5'];
    if (md5 && md5 !== digest.toString('base64')) {
      await fs.rm(file, { force: true });
      throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
    }
    const { size } = await fs.stat(file);
    return { file, size, etag: digest.toString('hex').toUpperCase(), contentType: contentTypeOf(req), lastModified: new Date() };
  }

  private object(objects: Map<string, StoredObject>, key: string): StoredObject {
    const o = objects.get(key);
    if (!o) throw new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    return o;
  }

  private copySource(req: http.IncomingMessage): StoredObject {
    const raw = String(req.headers['x-oss-copy-source'] ?? '');
    const m = /^\/([^/]+)\/(.+)$/.exec(raw);
    if (!m) throw new OssError(400, 'InvalidArgument', 'x-oss-copy-source must be /bucket/key.');
    const objects = this.buckets.get(decodeURIComponent(m[1]));
    if (!objects) throw new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
    return this.object(objects, decodeURIComponent(m[2]));
  }

  private upload(q: URLSearchParams, bucket: string, key: string): Upload {
    const upload = this.uploads.get(q.get('uploadId') ?? '');
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      throw new OssError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
    }
    return upload;
  }

  /** Cuts the connection partway: GETs send headers and half the body, uploads read a little first. */
  private async drop(req: http.IncomingMessage, res: http.ServerResponse, op: OssOp | 'Unsupported', bucket: string, key: string): Promise<void> {
    const o = this.buckets.get(bucket)?.get(key);
    if (op === 'GetObject' && o && o.size > 1) {
      const [start, end] = parseRange(req.headers.range, o.size) ?? [0, o.size - 1];
      res.writeHead(206, { 'Content-Length': String(end - start + 1), 'Content-Range': `bytes ${start}-${end}/${o.size}`, ETag: `"${o.etag}"` });
      res.write(Buffer.alloc(Math.floor((end - start + 1) / 2)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    } else {
      await new Promise<void>((resolve) => {
        req.once('data', () => resolve());
        req.once('end', () => resolve());
        setTimeout(resolve, 50);
      });
    }
    req.socket.destroy();
  }

  private sendError(res: http.ServerResponse, method: string | undefined, err: OssError): void {
    const id = requestId();
    const extra = Object.entries(err.extra)
      .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
      .join('');
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n<Code>${err.code}</Code>\n<Message>${escapeXml(err.message)}</Message>\n<RequestId>${id}</RequestId>\n<HostId>oss-${this.region}.aliyuncs.com</HostId>\n${extra}\n</Error>\n`;
    // HEAD responses have no body, so OSS sends the error document base64-encoded in x-oss-err.
    const headers: Record<string, string> = { 'Content-Type': 'application/xml', 'x-oss-request-id': id };
    if (method === 'HEAD') {
      headers['x-oss-err'] = Buffer.from(xml).toString('base64');
      res.writeHead(err.status, headers);
      return void res.end();
    }
    res.writeHead(err.status, { ...headers, 'Content-Length': String(Buffer.byteLength(xml)) });
    res.end(xml);
  }
}

function operation(method: string, key: string, q: URLSearchParams, headers: http.IncomingHttpHeaders): OssOp | 'Unsupported' {
  const copy = headers['x-oss-copy-source'] !== undefined;
  if (key === '') {
    if (method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'POST' && q.has('delete')) return 'DeleteMultipleObjects';
    return 'Unsupported';
  }
  switch (method) {
    case 'PUT':
      if (q.has('uploadId') && q.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      return copy ? 'CopyObject' : 'PutObject';
    case 'GET':
      return q.has('uploadId') ? 'Unsupported' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (q.has('uploads')) return 'InitiateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Unsupported';
    default:
      return 'Unsupported';
  }
}

/** "bytes=a-b" or "bytes=a-"; OSS ignores a range it cannot satisfy and sends the whole object. */
function parseRange(header: string | undefined, size: number): [number, number] | undefined {
  const m = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start <= end ? [start, end] : undefined;
}

function checkMd5(req: http.IncomingMessage, body: string): void {
  const md5 = req.headers['content-md5'];
  if (!md5) throw new OssError(400, 'MissingArgument', 'Missing Content-MD5.');
  if (md5 !== createHash('md5').update(body).digest('base64')) throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.');
}

function hashing(hash: ReturnType<typeof createHash>) {
  return async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function drain(req: http.IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
  });
}

function contentTypeOf(req: http.IncomingMessage): string {
  return req.headers['content-type'] ?? 'application/octet-stream';
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)), 'x-oss-request-id': requestId() });
  res.end(body);
}

function sendXml(res: http.ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  send(res, status, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, { ...headers, 'Content-Type': 'application/xml' });
}

function requestId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|apos|quot|#39);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"', '#39': "'" })[e] as string);
}
