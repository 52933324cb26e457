// Turns what users type on the command line into object URLs: a local path
// becomes file:///absolute/path; URLs and store keys pass through.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileUrl } from '../core/objectUrl';

function looksLikeUrl(arg: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(arg);
}

/** A source: an existing local file becomes file://; anything else is taken as a URL or a key in the local store. */
export function sourceUrl(arg: string): string {
  if (looksLikeUrl(arg)) return arg;
  if (path.isAbsolute(arg) || existsSync(arg)) return fileUrl(path.resolve(arg));
  return arg;
}

/** An output prefix: a local folder path (absolute, or starting with ./ or ../) becomes file:///abs/. */
export function outputUrl(arg: string): string {
  if (looksLikeUrl(arg)) return arg;
  if (path.isAbsolute(arg) || arg.startsWith('./') || arg.startsWith('../') || arg === '.') {
    return `${fileUrl(path.resolve(arg))}/`;
  }
  return arg;
}
