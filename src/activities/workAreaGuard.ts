// Deleting a work area is where a wrong URL would destroy what is not the
// job's: the work root holds every job's shards. A deletion goes ahead only
// when its target lies strictly below the work root, both as the URL reads
// (after its one round of decoding) and, on local disk, as the file system
// resolves it: a symlink below the root may point anywhere.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { invalidJob } from '../core/errors';
import { isBelow, ObjectUrlError, parseObjectUrl } from '../core/objectUrl';
import type { Stores } from '../storage/stores';

/** Throws a non-retryable InvalidJob failure unless `url` may be deleted as a work area below `workRoot`. */
export async function checkWorkAreaUrl(stores: Stores, workRoot: string, url: string): Promise<void> {
  const refuse = (why: string): Error => invalidJob(`refusing to delete ${JSON.stringify(url)}: ${why}`);
  let below: boolean;
  try {
    below = isBelow(url, workRoot);
  } catch (err) {
    if (err instanceof ObjectUrlError) throw refuse(err.message);
    throw err;
  }
  if (!below) throw refuse(`it is not strictly below the work root ${workRoot}`);

  const { scheme } = parseObjectUrl(url);
  if (scheme !== 'file' && scheme !== 'local') return;
  const target = await realPath(stores.file.pathOf(url));
  if (target === undefined) return; // nothing there to delete
  const root = (await realPath(stores.file.pathOf(workRoot))) ?? path.resolve(stores.file.pathOf(workRoot));
  if (!target.startsWith(root + path.sep)) {
    throw refuse(`on disk it resolves to ${target}, which is not below the work root ${root} (a symbolic link?)`);
  }
}

async function realPath(file: string): Promise<string | undefined> {
  try {
    return await fs.realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}
