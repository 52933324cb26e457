// mkdir -p for the file store. Node's own recursive mkdir loops forever where
// the file system refuses new folders with ENOENT (under /proc), and reports a
// read-only file system as ENOENT; this walks up to the nearest existing
// folder, creates each missing one itself, and fails for good, saying why.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ErrorType, permanentError } from '../core/errors';

/** Creates `dir` and its missing parents, or throws a non-retryable AccessDenied naming the folder and the reason. */
export async function makeFolders(dir: string): Promise<void> {
  const { missing } = await nearestFolder(dir);
  for (const folder of missing) {
    try {
      await fs.mkdir(folder);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && (await fs.stat(folder)).isDirectory()) continue;
      throw unwritable(folder, reasonOf(code));
    }
  }
}

/** The nearest existing folder at or above `dir`, and the folders below it still to create, outermost first. */
export async function nearestFolder(dir: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      if (!(await fs.stat(at)).isDirectory()) throw unwritable(at, 'it is a file, not a folder');
      return { existing: at, missing: missing.reverse() };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: something above is a file; walking up finds it and names it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || path.dirname(at) === at) throw err;
      missing.push(at);
    }
  }
}

/** Why a write failed, in words, for the errno codes a misplaced output gives. */
export function reasonOf(code: string | undefined): string {
  switch (code) {
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return 'the file system does not allow new folders there';
    default:
      return code ?? 'unknown error';
  }
}

/** The errno codes that no retry can fix. */
export function isPermanentWriteError(code: string | undefined): boolean {
  return ['EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EEXIST', 'ENOENT', 'EISDIR'].includes(code ?? '');
}

export function unwritable(target: string, reason: string) {
  return permanentError(ErrorType.AccessDenied, `cannot write ${target}: ${reason}; choose an output prefix on a writable folder`);
}
