// The embedded default store: objects are files. Serves file:///abs/path URLs
// and bare keys below a root folder.
import { createHash, randomUUID } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorType, missingObject, permanentError } from '../core/errors';
import { isPermanentWriteError, makeFolders, nearestFolder, reasonOf, unwritable } from './makeFolders';
import type { ObjectInfo, ObjectStore } from './objectStore';
import { fileUrl, parseObjectUrl } from '../core/objectUrl';
import { processIsAlive } from './processAlive';

export class FileStore implements ObjectStore {
  /** @param localRoot folder that bare keys (no scheme) resolve against */
  constructor(private readonly localRoot: string) {}

  /** The file behind a URL; parseObjectUrl already refused "..", NUL and relative file:// paths. */
  pathOf(url: string): string {
    const u = parseObjectUrl(url);
    if (u.scheme === 'file') return path.normalize(u.key);
    if (u.scheme === 'local') {
      const resolved = path.resolve(this.localRoot, u.key);
      if (resolved !== this.localRoot && !resolved.startsWith(this.localRoot + path.sep)) {
        throw permanentError(ErrorType.InvalidJob, `${url} points outside the local store`);
      }
      return resolved;
    }
    throw new Error(`FileStore cannot serve ${u.scheme}:// URLs`);
  }

  async head(url: string): Promise<ObjectInfo> {
    const file = this.pathOf(url);
    let stat;
    try {
      stat = await fs.stat(file);
    } catch (err) {
      throw fsError(url, err);
    }
    if (!stat.isFile()) throw permanentError(ErrorType.InvalidMedia, `${url} is a folder, not an object`);
    const etag = createHash('md5').update(`${stat.size}:${stat.mtimeMs}:${stat.ino}`).digest('hex');
    return { url, size: stat.size, etag };
  }

  async exists(url: string): Promise<boolean> {
    try {
      await this.head(url);
      return true;
    } catch {
      return false;
    }
  }

  async localPath(url: string): Promise<string> {
    await this.head(url);
    return this.pathOf(url);
  }

  async putFile(url: string, localFile: string): Promise<ObjectInfo> {
    const target = this.pathOf(url);
    await writeAtomically(target, async (temp) => {
      try {
        await fs.rename(localFile, temp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        await fs.copyFile(localFile, temp);
      }
    });
    return this.head(url);
  }

  async putText(url: string, text: string): Promise<ObjectInfo> {
    const target = this.pathOf(url);
    await writeAtomically(target, (temp) => fs.writeFile(temp, text));
    return this.head(url);
  }

  async copy(fromUrl: string, toUrl: string): Promise<void> {
    const from = this.pathOf(fromUrl);
    const to = this.pathOf(toUrl);
    await writeAtomically(to, async (temp) => {
      try {
        await fs.copyFile(from, temp);
      } catch (err) {
        throw fsError(fromUrl, err);
      }
    });
  }

  /**
   * Checks, without creating anything, that the folder behind a prefix could be written: its nearest existing
   * folder is a folder and writable. A misplaced output then fails before any work instead of at publish.
   */
  async checkWritableFolder(prefixUrl: string): Promise<void> {
    const { existing } = await nearestFolder(this.pathOf(prefixUrl));
    try {
      await fs.access(existing, fsConstants.W_OK);
    } catch (err) {
      throw unwritable(existing, reasonOf((err as NodeJS.ErrnoException).code));
    }
  }

  async delete(url: string): Promise<void> {
    await fs.rm(this.pathOf(url), { force: true });
  }

  async list(prefixUrl: string): Promise<ObjectInfo[]> {
    const dir = this.pathOf(prefixUrl);
    const out: ObjectInfo[] = [];
    const walk = async (folder: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(folder, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        const full = path.join(folder, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !TEMP_NAME.test(e.name)) {
          const stat = await fs.stat(full);
          out.push({ url: fileUrl(full), size: stat.size, lastModified: stat.mtime });
        }
      }
    };
    await walk(dir);
    return out;
  }

  async deletePrefix(prefixUrl: string): Promise<number> {
    const objects = await this.list(prefixUrl);
    await fs.rm(this.pathOf(prefixUrl), { recursive: true, force: true });
    return objects.length;
  }
}

/** Names of objects still being written (see writeAtomically); listing skips them. */
const TEMP_NAME = /\.partial-(?:[^/]+-)?\d+-[0-9a-f]{8}$/;
/** This host, in temporary names: only temporaries of this host's dead processes are swept. */
const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
/** Folders swept of stale temporaries by this process (bounded: oldest forgotten first). */
const sweptFolders = new Set<string>();
const SWEPT_FOLDERS_KEPT = 1000;

/**
 * Removes the temporaries that writers on this host left behind when they were killed mid-write (kill -9 during
 * publish left a 0-byte `.partial-*` in the output folder). Once per folder per process: a temporary goes stale
 * only when its process dies, and a live one is never touched.
 */
async function sweepStaleTemps(folder: string): Promise<void> {
  if (sweptFolders.has(folder)) return;
  if (sweptFolders.size >= SWEPT_FOLDERS_KEPT) sweptFolders.delete(sweptFolders.values().next().value as string);
  sweptFolders.add(folder);
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  const mine = new RegExp(`\\.partial-${HOST.replace(/\./g, '\\.')}-(\\d+)-[0-9a-f]{8}$`);
  for (const name of names) {
    const pid = mine.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !processIsAlive(Number(pid))) await fs.rm(path.join(folder, name), { force: true });
  }
}

/**
 * Writes `target` through a temporary file beside it and a rename, so readers see the old object or the whole
 * new one. The temporary name is unique per write: two attempts of one activity in the same worker may put the
 * same key at once. A failed write removes its temporary file.
 */
async function writeAtomically(target: string, write: (temp: string) => Promise<void>): Promise<void> {
  await makeFolders(path.dirname(target));
  await sweepStaleTemps(path.dirname(target));
  const temp = `${target}.partial-${HOST}-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    await write(temp);
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    if (code === 'ENOSPC') throw new Error(`cannot write ${target}: no space left on the device; free some space and the job retries`);
    if (isPermanentWriteError(code)) throw unwritable(target, reasonOf(code));
    throw err;
  }
}

function fsError(url: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return missingObject(url);
  if (code === 'EACCES' || code === 'EPERM') {
    return permanentError(ErrorType.AccessDenied, `${url} cannot be read: permission denied; check the file's permissions`);
  }
  return err as Error;
}
