// Server-side check of OSS request signatures, written from OSS's published
// algorithms (V4 "OSS4-HMAC-SHA256" and V1 "OSS AccessKeyId:Signature"),
// independent of the client library it checks.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface OssCredential {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, requests must carry it as x-oss-security-token (STS). */
  securityToken?: string;
}

export interface SignedRequest {
  method: string;
  bucket: string;
  /** Decoded object key; empty for bucket requests. */
  key: string;
  /** Decoded query parameters in request order. */
  query: [string, string][];
  headers: IncomingHttpHeaders;
}

export type Verdict =
  | { ok: true; version: 1 | 4; accessKeyId: string }
  | { ok: false; status: 400 | 403; code: string; message: string; accessKeyId?: string; stringToSign?: string };

const MAX_SKEW_MS = 15 * 60 * 1000;

/** Sub-resources that V1 signs; every other query parameter (prefix, max-keys, list-type) is left out. */
const V1_SUBRESOURCES = new Set([
  'acl', 'append', 'bucketInfo', 'callback', 'callback-var', 'cname', 'comp', 'continuation-token', 'cors', 'delete',
  'encryption', 'endTime', 'img', 'inventory', 'inventoryId', 'lifecycle', 'live', 'location', 'logging', 'objectMeta',
  'partNumber', 'policy', 'position', 'qos', 'referer', 'replication', 'replicationLocation', 'replicationProgress',
  'requestPayment', 'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires', 'restore', 'security-token', 'sequential',
  'startTime', 'stat', 'status', 'style', 'styleName', 'symlink', 'tagging', 'uploadId', 'uploads', 'versionId',
  'versioning', 'versions', 'website', 'worm', 'wormExtend', 'wormId', 'x-oss-process',
]);

export function verifySignature(req: SignedRequest, credentials: OssCredential[], region: string, now = Date.now()): Verdict {
  const auth = header(req.headers, 'authorization');
  if (!auth) return { ok: false, status: 403, code: 'AccessDenied', message: 'You have no right to access this object because of bucket acl.' };
  if (auth.startsWith('OSS4-HMAC-SHA256 ')) return verifyV4(req, auth, credentials, region, now);
  if (auth.startsWith('OSS ')) return verifyV1(req, auth, credentials, now);
  return { ok: false, status: 400, code: 'InvalidArgument', message: 'Authorization header is invalid.' };
}

function verifyV4(req: SignedRequest, auth: string, credentials: OssCredential[], region: string, now: number): Verdict {
  const fields = new Map(
    auth
      .slice('OSS4-HMAC-SHA256 '.length)
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as [string, string]),
  );
  const scope = (fields.get('Credential') ?? '').split('/');
  const signature = fields.get('Signature') ?? '';
  if (scope.length !== 5 || scope[3] !== 'oss' || scope[4] !== 'aliyun_v4_request' || !/^[0-9a-f]{64}$/.test(signature)) {
    return { ok: false, status: 400, code: 'InvalidArgument', message: 'Authorization header is malformed: Credential or Signature.' };
  }
  const [accessKeyId, scopeDate, scopeRegion] = scope;
  const found = findCredential(req, credentials, accessKeyId);
  if (!found.ok) return found.verdict;

  const date = header(req.headers, 'x-oss-date') ?? '';
  const when = parseIsoBasic(date);
  if (when === undefined) return { ok: false, status: 403, code: 'AccessDenied', message: 'x-oss-date is missing or not yyyymmddTHHMMSSZ.', accessKeyId };
  if (Math.abs(now - when) > MAX_SKEW_MS) {
    return { ok: false, status: 403, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.', accessKeyId };
  }
  if (scopeDate !== date.slice(0, 8)) {
    return { ok: false, status: 403, code: 'SignatureDoesNotMatch', message: 'The date in the credential scope does not match x-oss-date.', accessKeyId };
  }
  if (scopeRegion !== region) {
    return { ok: false, status: 403, code: 'SignatureDoesNotMatch', message: `The region in the credential scope must be ${region}.`, accessKeyId };
  }
  const payloadHash = header(req.headers, 'x-oss-content-sha256');
  if (!payloadHash) return { ok: false, status: 403, code: 'AccessDenied', message: 'Missing x-oss-content-sha256 header.', accessKeyId };

  const additional = (fields.get('AdditionalHeaders') ?? '').split(';').filter(Boolean);
  const signedNames = new Set(additional);
  for (const name of Object.keys(req.headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) signedNames.add(name);
  }
  const canonicalHeaders = [...signedNames]
    .sort()
    .map((name) => `${name}:${(header(req.headers, name) ?? '').trim()}\n`)
    .join('');
  const canonicalQuery = req.query
    .map(([k, v]) => [uriEncode(k), v === '' ? '' : uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join('&');
  const canonicalUri = uriEncode(`/${req.bucket}/${req.key}`).replace(/%2F/g, '/');
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, additional.join(';'), payloadHash].join('\n');
  const stringToSign = ['OSS4-HMAC-SHA256', date, `${scopeDate}/${scopeRegion}/oss/aliyun_v4_request`, sha256Hex(canonicalRequest)].join('\n');

  let key = hmac(`aliyun_v4${found.credential.accessKeySecret}`, scopeDate);
  for (const part of [scopeRegion, 'oss', 'aliyun_v4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign).toString('hex');
  if (!sameText(expected, signature)) return mismatch(accessKeyId, stringToSign);
  return { ok: true, version: 4, accessKeyId };
}

function verifyV1(req: SignedRequest, auth: string, credentials: OssCredential[], now: number): Verdict {
  const match = /^OSS ([^:]+):(.+)$/.exec(auth);
  if (!match) return { ok: false, status: 400, code: 'InvalidArgument', message: 'Authorization header is malformed.' };
  const [, accessKeyId, signature] = match;
  const found = findCredential(req, credentials, accessKeyId);
  if (!found.ok) return found.verdict;

  // The Date line is x-oss-date when the request has one, else the Date header.
  const date = header(req.headers, 'x-oss-date') ?? header(req.headers, 'date') ?? '';
  const when = Date.parse(date);
  if (Number.isNaN(when)) return { ok: false, status: 403, code: 'AccessDenied', message: 'The request carries no valid Date.', accessKeyId };
  if (Math.abs(now - when) > MAX_SKEW_MS) {
    return { ok: false, status: 403, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.', accessKeyId };
  }
  const ossHeaders = Object.keys(req.headers)
    .filter((name) => name.startsWith('x-oss-'))
    .sort()
    .map((name) => `${name}:${(header(req.headers, name) ?? '').trim()}\n`)
    .join('');
  const subresources = req.query
    .filter(([k]) => V1_SUBRESOURCES.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
  const resource = `/${req.bucket}/${req.key}${subresources.length ? `?${subresources.join('&')}` : ''}`;
  const stringToSign = [req.method, header(req.headers, 'content-md5') ?? '', header(req.headers, 'content-type') ?? '', date, ''].join('\n') + ossHeaders + resource;
  const expected = createHmac('sha1', found.credential.accessKeySecret).update(stringToSign, 'utf8').digest('base64');
  if (!sameText(expected, signature)) return mismatch(accessKeyId, stringToSign);
  return { ok: true, version: 1, accessKeyId };
}

function findCredential(
  req: SignedRequest,
  credentials: OssCredential[],
  accessKeyId: string,
): { ok: true; credential: OssCredential } | { ok: false; verdict: Verdict } {
  const credential = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!credential) {
    return { ok: false, verdict: { ok: false, status: 403, code: 'InvalidAccessKeyId', message: 'The OSS Access Key Id you provided does not exist in our records.', accessKeyId } };
  }
  if (credential.securityToken !== undefined && header(req.headers, 'x-oss-security-token') !== credential.securityToken) {
    return { ok: false, verdict: { ok: false, status: 403, code: 'InvalidSecurityToken', message: 'The security token you provided is invalid.', accessKeyId } };
  }
  return { ok: true, credential };
}

function mismatch(accessKeyId: string, stringToSign: string): Verdict {
  return {
    ok: false,
    status: 403,
    code: 'SignatureDoesNotMatch',
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    accessKeyId,
    stringToSign,
  };
}

/** RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** yyyymmddTHHMMSSZ → epoch ms */
function parseIsoBasic(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
