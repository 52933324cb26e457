// s3://bucket/key through the AWS SDK v3: AWS S3, MinIO, Ceph, or OSS's own
// S3-compatible endpoint. The SDK retries requests itself; we map what still
// fails (403 → AccessDenied, 404 → MissingObject) and retry broken downloads.
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream, promises as fs } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidJob } from '../core/errors';
import type { ObjectInfo, ObjectStore, RangedObject } from './objectStore';
import { parseObjectUrl } from '../core/objectUrl';
import { deleteBatches, folderPrefix, unquoteEtag } from './remoteKeys';
import { existsByHead, isTransientFault, notConfigured, remoteFailure, type RemoteBackend, type RemoteFault } from './remoteErrors';
import { DEFAULT_RETRY, type RetryOptions } from './retry';
import { downloadToScratch, openRanged, type RangeSource } from './scratchDownload';

export interface S3Settings {
  /** AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL); absent for AWS itself. */
  endpoint?: string;
  /** Region; the SDK's own chain (AWS_REGION, profile) when absent. */
  region?: string;
  /** Path-style URLs (endpoint/bucket/key), which MinIO, Ceph and local servers want. */
  forcePathStyle: boolean;
  /** Fixed credentials for code that embeds a store; absent, the SDK's standard chain finds them (env, profile, role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Values to strip from messages; the SDK finds the credentials itself, these are what the environment holds. */
  secrets: string[];
  tuning: S3Tuning;
}

export interface S3Tuning {
  partSize: number;
  /** Parts in flight per upload; memory use is about queueSize × partSize. */
  queueSize: number;
  readChunkBytes: number;
  /** CopyObject stops at 5 GB; larger objects stream through the worker. */
  copyLimit: number;
  /** Keys per ListObjectsV2 page (S3 allows up to 1000). */
  listPageSize: number;
  /** Tries per request, the SDK's own retry (throttling, 5xx, network). */
  maxAttempts: number;
  /** Our retries of a ranged read whose body broke off, which the SDK does not retry. */
  retry: RetryOptions;
}

export const DEFAULT_S3_TUNING: S3Tuning = {
  // lib-storage holds queueSize parts in memory: 4 × 8 MB keeps a worker's RSS low whatever the object's size.
  partSize: 8 * 1024 * 1024,
  queueSize: 4,
  readChunkBytes: 16 * 1024 * 1024,
  copyLimit: 5 * 1024 * 1024 * 1024,
  listPageSize: 1000,
  maxAttempts: 4,
  retry: DEFAULT_RETRY,
};

export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const pathStyle = env.S3_FORCE_PATH_STYLE;
  return {
    endpoint,
    // A custom endpoint rarely cares about the region, but the SDK insists on one.
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? 'us-east-1' : undefined),
    forcePathStyle: pathStyle === '1' || (endpoint !== undefined && pathStyle !== '0'),
    secrets: [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, env.AWS_ACCESS_KEY_ID].filter((s): s is string => !!s),
    tuning: DEFAULT_S3_TUNING,
  };
}

export class S3Store implements ObjectStore {
  private readonly client: S3Client;
  private readonly backend: RemoteBackend;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.credentials,
      maxAttempts: settings.tuning.maxAttempts,
      // The SDK's default aws-chunked CRC checksums are refused by OSS's S3 endpoint and some older servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.backend = {
      name: 'S3',
      credentialHint: 'the worker\'s AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role)',
      secrets: [...settings.secrets, ...Object.values(settings.credentials ?? {})],
    };
  }

  async head(url: string): Promise<ObjectInfo> {
    const { bucket, key } = locate(url);
    const out = await this.send('reading', url, () => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    return { url, size: out.ContentLength ?? 0, etag: unquoteEtag(out.ETag) };
  }

  exists(url: string): Promise<boolean> {
    return existsByHead(() => this.head(url));
  }

  localPath(url: string, scratchDir: string): Promise<string> {
    return downloadToScratch(this.rangeSource, url, scratchDir, this.settings.tuning.readChunkBytes, this.settings.tuning.retry);
  }

  openRanged(url: string): Promise<RangedObject> {
    return openRanged(this.rangeSource, url, this.settings.tuning.retry);
  }

  async putFile(url: string, localFile: string): Promise<ObjectInfo> {
    const { size } = await fs.stat(localFile);
    const etag = await this.upload(url, createReadStream(localFile));
    return { url, size, etag };
  }

  async putText(url: string, text: string): Promise<ObjectInfo> {
    const { bucket, key } = locate(url);
    const body = Buffer.from(text);
    const out = await this.send('writing', url, () =>
      this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType(key) })),
    );
    return { url, size: body.length, etag: unquoteEtag(out.ETag) };
  }

  async copy(fromUrl: string, toUrl: string): Promise<void> {
    const from = locate(fromUrl);
    const to = locate(toUrl);
    const { size } = await this.head(fromUrl);
    if (size <= this.settings.tuning.copyLimit) {
      const source = `${from.bucket}/${encodeURIComponent(from.key).replace(/%2F/g, '/')}`;
      await this.send(`copying ${fromUrl} to`, toUrl, () => this.client.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source })), fromUrl);
      return;
    }
    const out = await this.send('reading', fromUrl, () => this.client.send(new GetObjectCommand({ Bucket: from.bucket, Key: from.key })));
    await this.upload(toUrl, out.Body as Readable);
  }

  async delete(url: string): Promise<void> {
    const { bucket, key } = locate(url);
    await this.send('deleting', url, () => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }

  async list(prefixUrl: string): Promise<ObjectInfo[]> {
    const { bucket, key } = locate(prefixUrl);
    const prefix = folderPrefix(key);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.send('listing', prefixUrl, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: this.settings.tuning.listPageSize })),
      );
      for (const o of page.Contents ?? []) out.push({ url: `s3://${bucket}/${o.Key}`, size: o.Size ?? 0, etag: unquoteEtag(o.ETag), lastModified: o.LastModified });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async deletePrefix(prefixUrl: string): Promise<number> {
    const { bucket } = locate(prefixUrl);
    const keys = (await this.list(prefixUrl)).map((o) => locate(o.url).key);
    for (const batch of deleteBatches(keys)) {
      const objects = batch.map((Key) => ({ Key }));
      const out = await this.send('deleting below', prefixUrl, () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } })),
      );
      const failed = out.Errors?.[0];
      if (failed) {
        throw remoteFailure(this.backend, 'deleting', `s3://${bucket}/${failed.Key}`, {
          status: failed.Code === 'AccessDenied' ? 403 : 500,
          code: failed.Code,
          message: failed.Message ?? '',
        });
      }
    }
    return keys.length;
  }

  /** Multipart when large (lib-storage); memory stays near queueSize × partSize whatever the object's size. */
  private async upload(url: string, body: Readable): Promise<string | undefined> {
    const { bucket, key } = locate(url);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType(key) },
      partSize: this.settings.tuning.partSize,
      queueSize: this.settings.tuning.queueSize,
    });
    const out = await this.send('writing', url, () => upload.done());
    return unquoteEtag(out.ETag);
  }

  private readonly rangeSource: RangeSource = {
    head: (url) => this.head(url),
    readRange: async (url: string, etag: string | undefined, start: number, end: number, sink: Writable) => {
      const { bucket, key } = locate(url);
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}`, IfMatch: etag ? `"${etag}"` : undefined }),
      );
      await pipeline(out.Body as Readable, sink);
    },
    isTransient: (err) => {
      const fault = s3Fault(err);
      return fault !== undefined && isTransientFault(fault);
    },
    failure: (url, err) => this.failure('reading', url, err),
  };

  /** Sends one request; `missing` is the object a 404 means (a copy's source). */
  private async send<T>(action: string, url: string, op: () => Promise<T>, missing = url): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.failure(action, url, err, missing);
    }
  }

  private failure(action: string, url: string, err: unknown, missing = url): Error {
    const name = (err as { name?: string } | null)?.name;
    if (name === 'CredentialsProviderError') {
      return notConfigured(
        's3:// storage found no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the worker\'s environment',
      );
    }
    if (err instanceof Error && /^Region is missing/.test(err.message)) {
      return notConfigured('s3:// storage needs a region: set AWS_REGION, or AWS_ENDPOINT_URL_S3 for an S3-compatible store');
    }
    const fault = s3Fault(err);
    return fault ? remoteFailure(this.backend, action, url, fault, missing) : (err as Error);
  }
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Service errors carry $metadata.httpStatusCode; network errors a Node code; anything else is not the store's. */
function s3Fault(err: unknown): RemoteFault | undefined {
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string; code?: string; message?: string } | null;
  if (!e) return undefined;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return { status, code: e.name, message: e.message ?? '' };
  if ((e.code && NETWORK_CODES.has(e.code)) || e.name === 'TimeoutError') return { code: e.code ?? e.name, message: e.message ?? '' };
  return undefined;
}

function locate(url: string): { bucket: string; key: string } {
  const u = parseObjectUrl(url);
  if (u.scheme !== 's3') throw new Error(`S3Store cannot serve ${u.scheme}:// URLs`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(u.bucket)) {
    throw invalidJob(`${url}: "${u.bucket}" is not a valid S3 bucket name (3-63 characters: a-z, 0-9, "." and "-")`);
  }
  return { bucket: u.bucket, key: u.key };
}


/** Players and browsers fetching outputs straight from the bucket want a real type, not octet-stream. */
function contentType(key: string): string | undefined {
  const ext = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
  return CONTENT_TYPES[ext];
}

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  m4a: 'audio/mp4',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  json: 'application/json',
};
