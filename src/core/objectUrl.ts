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
    const path = decodePath(url.slice('file://'.length));
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

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new ObjectUrlError(`file://${path} has a malformed percent escape`);
  }
}

/** The file:// URL of an absolute path; file:// URLs are percent-decoded, so a literal "%" is escaped. */
export function fileUrl(absolutePath: string): string {
  return `file://${absolutePath.replace(/%/g, '%25')}`;
}

export function formatObjectUrl(u: ObjectUrl): string {
  switch (u.scheme) {
    case 'file':
      return `file://${u.key}`;
    case 'local':
      return u.key;
    default:
      return `${u.scheme}://${u.bucket}/${u.key}`;
  }
}

/** Appends a relative name to a prefix URL, adding the one slash between them. */
export function joinObjectUrl(prefix: string, name: string): string {
  const trimmed = name.replace(/^\/+/, '');
  return prefix.endsWith('/') ? prefix + trimmed : `${prefix}/${trimmed}`;
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
  const a = parseObjectUrl(url);
  const b = parseObjectUrl(prefix);
  if (a.scheme !== b.scheme || a.bucket !== b.bucket) return false;
  const base = comparableKey(b);
  const key = comparableKey(a);
  return key === base || key.startsWith(base === '' ? '' : `${base}/`);
}
