// A file that tells whether anything read it, without tracing the reader. Its
// access time is set a day before its modification time; on relatime mounts
// (Linux's default) the next read moves the access time up to now. Tests that
// use it also show a plain read being noticed, so a noatime mount fails them
// loudly instead of passing for the wrong reason.
import { copyFileSync, statSync, utimesSync } from 'node:fs';

/** Copies `from` to `file` and arms it. */
export function makeCanary(from: string, file: string): string {
  copyFileSync(from, file);
  armCanary(file);
  return file;
}

export function armCanary(file: string): void {
  const { mtime } = statSync(file);
  utimesSync(file, new Date(mtime.getTime() - 24 * 3600 * 1000), mtime);
}

export function wasRead(file: string): boolean {
  const s = statSync(file);
  return s.atimeMs >= s.mtimeMs;
}
