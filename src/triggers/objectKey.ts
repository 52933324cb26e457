// Object keys arrive from outside (event bodies, file names). They are checked
// here before they reach a template, a workflow id or a log line. Pure.

/** OSS and S3 both cap keys at 1,023 bytes. */
const MAX_KEY_BYTES = 1023;
/** C0, DEL and C1 controls: they can rewrite terminal output and log lines. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** OSS: 3-63 lowercase letters, digits and dashes; S3 also allows dots. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Why a key is refused, or undefined when it is safe to use. */
export function unsafeKeyReason(key: unknown): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'the key must be a non-empty string';
  if (CONTROL.test(key)) return 'the key contains control characters';
  if (key.split('/').includes('..')) return 'the key contains a ".." path component';
  if (key.startsWith('/')) return 'the key starts with "/"';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} bytes`;
  return undefined;
}

export interface KeyParts {
  /** Everything before the last "/", without it; empty for a key at the top. */
  dir: string;
  /** The file name without its extension. */
  base: string;
  /** The extension without the dot; empty when there is none. */
  ext: string;
}

export function splitKey(key: string): KeyParts {
  const slash = key.lastIndexOf('/');
  const dir = slash < 0 ? '' : key.slice(0, slash);
  const name = key.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  // A leading dot (".profile") names the file, it does not start an extension.
  if (dot <= 0) return { dir, base: name, ext: '' };
  return { dir, base: name.slice(0, dot), ext: name.slice(dot + 1) };
}

/** A readable, id-safe fragment: letters, digits, dots, dashes and underscores, at most `max` characters. */
export function slug(text: string, max = 40): string {
  const s = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, max)
    .replace(/[^A-Za-z0-9]+$/, '');
  return s || 'object';
}
