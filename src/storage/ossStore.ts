// oss://bucket/key through ali-oss. ali-oss retries only network errors, so
// every call goes through withRetry, and its errors become our failures
// (403 → AccessDenied, 404 → MissingObject) with credentials stripped.
import OSS from 'ali-oss';
import { promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import { invalidJob } from '../core/errors';
import type { ObjectInfo, ObjectStore, RangedObject } from './objectStore';
import { parseObjectUrl } from '../core/objectUrl';
import { deleteBatches, folderPrefix, unquoteEtag } from './remoteKeys';
import { existsByHead, notConfigured, remoteFailure, type RemoteBackend, type RemoteFault, isTransientFault } from './remoteErrors';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry';
import { uploadResumably } from './ossResumableUpload';
import { downloadToScratch, openRanged, type RangeSource } from './scratchDownload';

export interface OssSettings {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** Host or URL; when absent ali-oss derives it from the region (and `internal`). */
  endpoint?: string;
  /** ali-oss style, "oss-cn-hangzhou"; V4 signing uses it without the "oss-" prefix. */
  region: string;
  internal: boolean;
  /** Path-style (second-level domain) addressing, for IP, localhost and private endpoints. */
  pathStyle: boolean;
  /** The endpoint is a custom domain bound to one bucket (OSS requires these in some regions). */
  cname: boolean;
  signatureVersion: 1 | 4;
  tuning: OssTuning;
}

export interface OssTuning {
  /** Files at least this big upload in parts, resumable from a checkpoint. */
  multipartThreshold: number;
  partSize: number;
  /** Parts in flight at once, per upload. */
  parallel: number;
  /** Bytes per ranged GET when downloading. */
  readChunkBytes: number;
  /** Objects at least this big are copied part by part (OSS CopyObject stops at 1 GB). */
  copyPartThreshold: number;
  /** Keys per ListObjectsV2 page (OSS allows up to 1000). */
  listPageSize: number;
  retry: RetryOptions;
}

export const DEFAULT_OSS_TUNING: OssTuning = {
  multipartThreshold: 64 * 1024 * 1024,
  partSize: 16 * 1024 * 1024,
  parallel: 4,
  readChunkBytes: 16 * 1024 * 1024,
  copyPartThreshold: 1024 * 1024 * 1024,
  listPageSize: 1000,
  retry: DEFAULT_RETRY,
};

const CREDENTIAL_VARS = ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'] as const;

/** Reads OSS settings from the worker's environment; job input never carries any of them. */
export function ossSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OssSettings {
  const missing = CREDENTIAL_VARS.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw notConfigured(
      `oss:// storage needs credentials in the worker's environment: set ${missing.join(' and ')}` +
        ' (and ALIBABA_CLOUD_SECURITY_TOKEN when they are STS credentials)',
    );
  }
  const endpoint = env.OSS_ENDPOINT || undefined;
  const region = ossRegion(env.OSS_REGION, endpoint);
  if (!region) {
    throw notConfigured('oss:// storage needs a region: set OSS_REGION (for example cn-hangzhou), or OSS_ENDPOINT to an oss-<region>.aliyuncs.com host');
  }
  const version = env.OSS_SIGNATURE_VERSION ?? '4';
  if (version !== '1' && version !== '4') throw notConfigured(`OSS_SIGNATURE_VERSION must be 1 or 4, got ${JSON.stringify(version)}`);
  return {
    accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID as string,
    accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET as string,
    securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN || undefined,
    endpoint,
    region,
    internal: env.OSS_INTERNAL === '1',
    pathStyle: env.OSS_PATH_STYLE === '1',
    cname: env.OSS_CNAME === '1',
    signatureVersion: version === '1' ? 1 : 4,
    tuning: DEFAULT_OSS_TUNING,
  };
}

/** "cn-hangzhou" or "oss-cn-hangzhou" as given, else taken from an oss-<region>[-internal].aliyuncs.com endpoint. */
function ossRegion(given: string | undefined, endpoint: string | undefined): string | undefined {
  const raw = given || /(?:^|\/\/)(oss-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com/.exec(endpoint ?? '')?.[1];
  if (!raw) return undefined;
  return raw.startsWith('oss-') ? raw : `oss-${raw}`;
}

export class OssStore implements ObjectStore {
  private readonly clients = new Map<string, OSS>();
  private readonly backend: RemoteBackend;

  constructor(private readonly settings: OssSettings) {
    this.backend = {
      name: 'OSS',
      credentialHint: 'the worker\'s ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET',
      secrets: [settings.accessKeySecret, settings.securityToken ?? '', settings.accessKeyId],
    };
  }

  async head(url: string): Promise<ObjectInfo> {
    const { bucket, key } = this.locate(url);
    const result = await this.call('reading', url, () => this.client(bucket).head(key));
    const headers = result.res.headers as Record<string, string>;
    return { url, size: Number(headers['content-length']), etag: unquoteEtag(headers.etag) };
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
    const { bucket, key } = this.locate(url);
    const stat = await fs.stat(localFile);
    if (stat.size < this.settings.tuning.multipartThreshold) {
      const result = await this.call('writing', url, () => this.client(bucket).put(key, localFile));
      return { url, size: stat.size, etag: unquoteEtag((result.res.headers as Record<string, string>).etag) };
    }
    const etag = await uploadResumably({
      url,
      bucket,
      key,
      file: localFile,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      partSize: this.settings.tuning.partSize,
      parallel: this.settings.tuning.parallel,
      // A fresh client per try: ali-oss keeps its cancel flag per client, not per upload.
      client: () => this.newClient(bucket),
      call: (op) => this.call('writing', url, op),
    });
    return { url, size: stat.size, etag };
  }

  async putText(url: string, text: string): Promise<ObjectInfo> {
    const { bucket, key } = this.locate(url);
    const body = Buffer.from(text);
    const result = await this.call('writing', url, () => this.client(bucket).put(key, body));
    return { url, size: body.length, etag: unquoteEtag((result.res.headers as Record<string, string>).etag) };
  }

  async copy(fromUrl: string, toUrl: string): Promise<void> {
    const from = this.locate(fromUrl);
    const to = this.locate(toUrl);
    const { size } = await this.head(fromUrl);
    if (size < this.settings.tuning.copyPartThreshold) {
      await this.call(`copying ${fromUrl} to`, toUrl, () => this.client(to.bucket).copy(to.key, from.key, from.bucket), fromUrl);
      return;
    }
    // A fresh client per multipart job: ali-oss keeps its cancel flag per client, not per upload.
    await this.call(
      `copying ${fromUrl} to`,
      toUrl,
      () =>
        this.newClient(to.bucket).multipartUploadCopy(
          to.key,
          { sourceKey: from.key, sourceBucketName: from.bucket, startOffset: 0, endOffset: size },
          { partSize: this.settings.tuning.partSize, parallel: this.settings.tuning.parallel },
        ),
      fromUrl,
    );
  }

  async delete(url: string): Promise<void> {
    const { bucket, key } = this.locate(url);
    await this.call('deleting', url, () => this.client(bucket).delete(key));
  }

  async list(prefixUrl: string): Promise<ObjectInfo[]> {
    const { bucket, key } = this.locate(prefixUrl);
    const prefix = folderPrefix(key);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string | number> = { 'max-keys': this.settings.tuning.listPageSize };
      if (prefix) query.prefix = prefix;
      if (token) query['continuation-token'] = token;
      const page = await this.call('listing', prefixUrl, () => this.client(bucket).listV2(query as OSS.ListV2ObjectsQuery, {}));
      for (const o of page.objects ?? []) out.push({ url: `oss://${bucket}/${o.name}`, size: o.size, etag: unquoteEtag(o.etag), lastModified: dateOf(o.lastModified) });
      token = page.isTruncated ? (page.nextContinuationToken ?? undefined) : undefined;
    } while (token);
    return out;
  }

  async deletePrefix(prefixUrl: string): Promise<number> {
    const { bucket } = this.locate(prefixUrl);
    const keys = (await this.list(prefixUrl)).map((o) => this.locate(o.url).key);
    for (const batch of deleteBatches(keys)) {
      await this.call('deleting below', prefixUrl, () => this.client(bucket).deleteMulti(batch, { quiet: true }));
    }
    return keys.length;
  }

  private readonly rangeSource: RangeSource = {
    head: (url) => this.head(url),
    readRange: async (url: string, etag: string | undefined, start: number, end: number, sink: Writable) => {
      const { bucket, key } = this.locate(url);
      const headers: Record<string, string> = { Range: `bytes=${start}-${end}` };
      if (etag) headers['If-Match'] = `"${etag}"`;
      await this.client(bucket).get(key, sink, { headers });
    },
    isTransient: (err) => isTransientOss(err),
    failure: (url, err) => this.failure('reading', url, err),
  };

  /** Runs one ali-oss call with our retries, and maps what still fails. */
  /** Runs one request with retries; `missing` is the object a 404 means (a copy's source). */
  private async call<T>(action: string, url: string, op: () => Promise<T>, missing = url): Promise<T> {
    try {
      return await withRetry(op, isTransientOss, this.settings.tuning.retry);
    } catch (err) {
      throw this.failure(action, url, err, missing);
    }
  }

  private failure(action: string, url: string, err: unknown, missing = url): Error {
    const fault = ossFault(err);
    if (!fault) return err as Error;
    return remoteFailure(this.backend, action, url, fault, missing);
  }

  private locate(url: string): { bucket: string; key: string } {
    const u = parseObjectUrl(url);
    if (u.scheme !== 'oss') throw new Error(`OssStore cannot serve ${u.scheme}:// URLs`);
    // ali-oss throws a plain Error for these, which would be retried; a bad name is bad job input.
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(u.bucket)) {
      throw invalidJob(`${url}: "${u.bucket}" is not a valid OSS bucket name (3-63 characters: a-z, 0-9 and "-")`);
    }
    return { bucket: u.bucket, key: u.key };
  }

  private client(bucket: string): OSS {
    let client = this.clients.get(bucket);
    if (!client) {
      client = this.newClient(bucket);
      this.clients.set(bucket, client);
    }
    return client;
  }

  private newClient(bucket: string): OSS {
    const s = this.settings;
    const options = {
      accessKeyId: s.accessKeyId,
      accessKeySecret: s.accessKeySecret,
      stsToken: s.securityToken,
      // ali-oss warns on every client built with an STS token unless refresh is configured; tokens come from the
      // environment and are not refreshed (restart the worker with new ones), so only the warning is silenced.
      refreshSTSTokenInterval: s.securityToken ? 24 * 3600 * 1000 : undefined,
      bucket,
      region: s.region,
      endpoint: s.endpoint,
      internal: s.internal,
      secure: s.endpoint ? !s.endpoint.startsWith('http://') : true,
      sldEnable: s.pathStyle,
      cname: s.cname,
      authorizationV4: s.signatureVersion === 4,
    };
    return new OSS(options as OSS.Options);
  }
}

/** ali-oss marks every request error with a numeric status: HTTP, or -1 (network) / -2 (timeout). */
function ossFault(err: unknown): RemoteFault | undefined {
  const e = err as { status?: unknown; code?: unknown; name?: unknown; message?: unknown } | null;
  if (!e || typeof e.status !== 'number') return undefined;
  // A success status on an error means the body broke off mid-transfer: a network failure.
  const status = e.status < 0 || (e.status >= 200 && e.status < 300) ? undefined : e.status;
  const code = typeof e.code === 'string' && e.code ? e.code : typeof e.name === 'string' ? e.name.replace(/Error$/, '') : undefined;
  return { status, code, message: String(e.message ?? '') };
}

function isTransientOss(err: unknown): boolean {
  const fault = ossFault(err);
  return fault !== undefined && isTransientFault(fault);
}

/** ali-oss hands listing dates over as the XML's text. */
function dateOf(text: string | undefined): Date | undefined {
  const d = text ? new Date(text) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}
