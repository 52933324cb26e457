// Scratch folders: each activity (act-) and each copy between stores (copy-)
// works in a folder of its own below the scratch root and removes it when it
// ends. A process killed mid-work (SIGKILL, OOM, power) leaves its folder
// behind, full of downloaded sources and half-encoded shards. So a folder's
// name says which process made it (host and pid), and a worker sweeps at start
// what no live process holds.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processIsAlive } from './processAlive';

export type ScratchKind = 'act' | 'copy';

/** A day without a single write: no activity heartbeats that long without output. */
export const DEFAULT_SCRATCH_MAX_IDLE_MS = 24 * 3600 * 1000;

/** The host part of a folder name: containers sharing a volume have different hostnames, so their pids are not confused. */
function hostTag(): string {
  return os.hostname().replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 40) || 'host';
}

/** Makes `<root>/<kind>-<host>.<pid>-XXXXXX`. */
export async function makeScratchDir(root: string, kind: ScratchKind): Promise<string> {
  await fs.mkdir(root, { recursive: true });
  return fs.mkdtemp(path.join(root, `${kind}-${hostTag()}.${process.pid}-`));
}

const OWNED = /^(?:act|copy)-(.+)\.(\d+)-[A-Za-z0-9]{6}$/;
/** Folders made before names carried their owner. */
const UNOWNED = /^(?:act|copy)-[A-Za-z0-9]{6}$/;

export interface SweepOptions {
  maxIdleMs?: number;
  now?: number;
  /** Whether a pid on this host is a live process; tests may stand in for it. */
  isAlive?: (pid: number) => boolean;
}

export interface SweptFolder {
  path: string;
  reason: 'owner-gone' | 'idle';
}

/**
 * Removes scratch folders that nothing can still be using: those made on this host by a process that is gone,
 * and any (from another host, or without an owner) in which nothing changed for `maxIdleMs`. Folders of this
 * process are kept unless idle: they may belong to activities already running in it.
 */
export async function sweepStaleScratch(root: string, options: SweepOptions = {}): Promise<SweptFolder[]> {
  const maxIdle = options.maxIdleMs ?? DEFAULT_SCRATCH_MAX_IDLE_MS;
  const now = options.now ?? Date.now();
  const isAlive = options.isAlive ?? processIsAlive;
  let entries;
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const swept: SweptFolder[] = [];
  for (const e of entries) {
    const owned = OWNED.exec(e.name);
    if (!owned && !UNOWNED.test(e.name)) continue;
    const full = path.join(root, e.name);
    let reason: SweptFolder['reason'] | undefined;
    try {
      if (owned && owned[1] === hostTag() && Number(owned[2]) !== process.pid && !isAlive(Number(owned[2]))) reason = 'owner-gone';
      else if (now - (await newestChange(full)) > maxIdle) reason = 'idle';
    } catch (err) {
      // Removed by its owner while we looked.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (!reason) continue;
    // rm does not follow symbolic links: a link named like a scratch folder goes, never what it points to.
    await fs.rm(full, { recursive: true, force: true });
    swept.push({ path: full, reason });
  }
  return swept;
}

/** The latest modification time of a folder or anything below it, symbolic links not followed. */
async function newestChange(file: string): Promise<number> {
  const stat = await fs.lstat(file);
  let newest = stat.mtimeMs;
  if (!stat.isDirectory()) return newest;
  for (const name of await fs.readdir(file)) newest = Math.max(newest, await newestChange(path.join(file, name)));
  return newest;
}
