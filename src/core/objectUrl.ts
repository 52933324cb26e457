// Parsing and joining object URLs. Pure (no Node APIs): workflows use it to
// validate job input.

export type Scheme = 'file' | 'local' | 'oss' | 's3';

export interface ObjectUrl {
  scheme: Scheme;
  /** Empty for file:// and for keys in the local store. */
  bucket: string;
  /** file://: absolute path. local: key relative to the local store root. oss/s3: key without a leading slash. */
  key: string;
}

const REMOTE = /^(oss|s3):\/\/([^/]+)\/?(.*)$/s;

export class ObjectUrlError extends Error {}

function checkKey(url: string, key: string): void {
  if (key.includes('\0')) throw new ObjectUrlError(`${JSON.stringify(url)} contains a NUL byte`);
  if (key.split('/').some((part) => part === '..')) {
    throw new ObjectUrlError(`${JSON.stringify(url)} contains a ".." path component`);
  }
}

/** Parses `file:///abs`, `oss://bucket/key`, `s3://bucket/key` or a bare key in the local store. */
export function parseObjectUrl(url: string): ObjectUrl {
  if (typeof url !== 'string' || url.length === 0) throw new ObjectUrlError('an object URL must be a non-empty string');
  if (url.startsWith('file://')) {
    const path = decodeFilePath(url);
    if (!path.startsWith('/')) throw new ObjectUrlError(`${JSON.stringify(url)} must be file:///absolute/path`);
    checkKey(url, path);
    return { scheme: 'file', bucket: '', key: path };
  }
  const remote = REMOTE.exec(url);
  if (remote) {
    checkKey(url, remote[3]);
    return { scheme: remote[1] as Scheme, bucket: remote[2], key: remote[3] };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new ObjectUrlError(`${JSON.stringify(url)} uses an unsupported scheme; use file://, oss://, s3:// or a key in the local store`);
  }
  if (url.startsWith('/')) throw new ObjectUrlError(`${JSON.stringify(url)} is an absolute path; write it as file://${url}`);
  checkKey(url, url);
  return { scheme: 'local', bucket: '', key: url };
}

/**
 * Percent-decodes a file:// path one component at a time, so decoding never changes the path's shape: an
 * escape may not make a "/" (a new component), nor a "." or ".." (the folder itself, or its parent). Only
 * those written plainly are seen, and checked, as what they are.
 */
function decodeFilePath(url: string): string {
  return url
    .slice('file://'.length)
    .split('/')
    .map((part) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        throw new ObjectUrlError(`${JSON.stringify(url)} has a malformed percent escape`);
      }
      if (decoded === part) return part;
      if (decoded.includes('/')) throw new ObjectUrlError(`${JSON.stringify(url)} has an encoded "/" (%2F) inside a path component`);
      if (decoded === '.' || decoded === '..') {
        throw new ObjectUrlError(`${JSON.stringify(url)} has a percent-encoded "${decoded}" path component`);
      }
      return decoded;
    })
    .join('/');
}

/** A path component as a file:// URL spells it: the parser percent-decodes, so a literal "%" is escaped. */
function escapeFileComponent(part: string): string {
  return part.replace(/%/g, '%25');
}

/** The file:// URL of an absolute path. */
export function fileUrl(absolutePath: string): string {
  return `file://${absolutePath.split('/').map(escapeFileComponent).join('/')}`;
}

export function formatObjectUrl(u: ObjectUrl): string {
  switch (u.scheme) {
    case 'file':
      return fileUrl(u.key);
    case 'local':
      return u.key;
    default:
      return `${u.scheme}://${u.bucket}/${u.key}`;
  }
}

/**
 * Appends a relative name ("video/360p/000001.mp4", "job-1/") to a prefix URL, adding the one slash between
 * them. Each component is escaped as the prefix's scheme reads it back, so a job id or file name always stays
 * one literal component: "%2e" below a file:// prefix names a folder called "%2e", never the prefix itself.
 * "." and ".." components and NUL bytes are refused, in every scheme.
 */
export function joinObjectUrl(prefix: string, name: string): string {
  const parts = name.replace(/^\/+/, '').split('/');
  for (const part of parts) {
    if (part === '.' || part === '..' || part.includes('\0')) {
      throw new ObjectUrlError(`cannot put ${JSON.stringify(name)} below ${prefix}: "." and ".." components and NUL bytes name no object`);
    }
  }
  const escaped = prefix.startsWith('file://') ? parts.map(escapeFileComponent) : parts;
  const joined = escaped.join('/');
  return prefix.endsWith('/') ? prefix + joined : `${prefix}/${joined}`;
}

/**
 * The key as the file system sees it: on file:// and local keys "." and empty components ("a/./b", "a//b")
 * name the same file as "a/b", so comparing raw keys would let "file:///data/./work/" slip past a check
 * against "file:///data/work/". Object store keys are literal and stay as they are.
 */
function comparableKey(u: ObjectUrl): string {
  if (u.scheme === 'file' || u.scheme === 'local') {
    return u.key.split('/').filter((part) => part !== '' && part !== '.').join('/');
  }
  return u.key.replace(/\/+$/, '');
}

/** True when `url` names `prefix` itself or something below it. */
export function isWithin(url: string, prefix: string): boolean {
  return placeOf(url, prefix) !== 'outside';
}

/** True when `url` names something strictly below `prefix`, never `prefix` itself. */
export function isBelow(url: string, prefix: string): boolean {
  return placeOf(url, prefix) === 'below';
}

function placeOf(url: string, prefix: string): 'same' | 'below' | 'outside' {
  const a = parseObjectUrl(url);
  const b = parseObjectUrl(prefix);
  if (a.scheme !== b.scheme || a.bucket !== b.bucket) return 'outside';
  const base = comparableKey(b);
  const key = comparableKey(a);
  if (key === base) return 'same';
  return key.startsWith(base === '' ? '' : `${base}/`) ? 'below' : 'outside';
}

/** The key of `url` relative to `prefix` ("job-1/shards/000000.mkv"), or undefined when it is not strictly below it. */
export function relativeKey(url: string, prefix: string): string | undefined {
  if (!isBelow(url, prefix)) return undefined;
  const base = comparableKey(parseObjectUrl(prefix));
  const key = comparableKey(parseObjectUrl(url));
  return key.slice(base === '' ? 0 : base.length + 1);
}

/**
 * A URL fit to record where others read it (manifests): without a query string or fragment, where presigned
 * URLs carry their signatures, and without user:password@ credentials.
 */
export function redactUrl(url: string): string {
  const bare = url.replace(/[?#].*$/s, '');
  return bare.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
