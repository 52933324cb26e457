// A local hot folder: every file dropped into `dir` becomes one job, started
// once it has stopped growing. Polling (not fs.watch) because it sees the same
// thing on every file system, network mounts included, and a size that holds
// still across two polls is the sign a copy has finished.
import { ApplicationFailure } from '@temporalio/common';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ErrorType } from '../core/errors';
import { fileUrl } from '../core/objectUrl';
import { fileJobId } from './jobIds';
import { unsafeKeyReason } from './objectKey';
import type { StartOnceRequest, StartOnceResult } from './startOnce';
import type { JobTemplate } from './triggerConfig';
import { renderTemplate } from './urlTemplate';

/** Names that editors, browsers and copy tools give files still being written. */
const PARTIAL_SUFFIXES = ['.part', '.partial', '.tmp', '.temp', '.crdownload', '.download', '.filepart', '.swp', '~'];

export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  return name.startsWith('.') || PARTIAL_SUFFIXES.some((s) => lower.endsWith(s));
}

export interface FolderWatcherOptions {
  /** Absolute path of the folder; files directly in it are watched, sub-folders are not. */
  dir: string;
  /** Output URL pattern; the file name is the key ({key_base}, {key_ext}). */
  output: string;
  /** Renditions, segmentSeconds and the rest of the job. */
  job: Omit<JobTemplate, 'output'>;
  intervalMs: number;
  /** Files present at start are taken as already handled. */
  newOnly?: boolean;
  start(req: StartOnceRequest): Promise<StartOnceResult>;
  onJob(file: string, result: StartOnceResult): void;
  onError(file: string | undefined, message: string): void;
}

export interface FolderWatcher {
  /** Stops polling; resolves once a poll under way has finished. */
  stop(): Promise<void>;
}

interface Seen {
  size: number;
  mtimeMs: number;
}

export function watchFolder(opts: FolderWatcherOptions): FolderWatcher {
  /** What each file looked like at the previous poll. */
  const previous = new Map<string, Seen>();
  /** Versions (path, size, mtime) already started: never again in this process. */
  const started = new Set<string>();
  /** Output prefix → the file that claimed it, so two files never write over each other. */
  const outputs = new Map<string, string>();
  let firstScan = true;
  let stopped = false;

  async function listFiles(): Promise<Map<string, Seen>> {
    const files = new Map<string, Seen>();
    for (const entry of await fs.readdir(opts.dir, { withFileTypes: true })) {
      if (isIgnoredName(entry.name) || !(entry.isFile() || entry.isSymbolicLink())) continue;
      const file = path.join(opts.dir, entry.name);
      try {
        const st = await fs.stat(file);
        if (st.isFile()) files.set(file, { size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        // Gone between readdir and stat: it shows up again or not at all.
      }
    }
    return files;
  }

  async function startFile(file: string, seen: Seen, version: string): Promise<void> {
    const name = path.basename(file);
    started.add(version);
    const problem = unsafeKeyReason(name);
    if (problem) return opts.onError(file, `not started: ${problem.replace('the key', 'the file name')}`);
    const output = renderTemplate(opts.output, '', name);
    const owner = outputs.get(output);
    if (owner !== undefined && owner !== file) {
      return opts.onError(file, `not started: its output ${output} is already used by ${path.basename(owner)}; put {key_ext} in the output pattern`);
    }
    try {
      const result = await opts.start({
        workflowId: fileJobId(file, seen.size, seen.mtimeMs),
        input: { ...opts.job, source: fileUrl(file), output },
        cause: `file ${file} (${seen.size} bytes)`,
        reusePolicy: 'REJECT_DUPLICATE',
      });
      outputs.set(output, file);
      opts.onJob(file, result);
    } catch (err) {
      // An invalid job stays invalid; anything else (Temporal unreachable) is tried again at the next poll.
      if (!(err instanceof ApplicationFailure && err.type === ErrorType.InvalidJob)) started.delete(version);
      opts.onError(file, (err as Error).message);
    }
  }

  async function scan(): Promise<void> {
    const files = await listFiles();
    for (const key of previous.keys()) if (!files.has(key)) previous.delete(key);
    for (const [file, seen] of files) {
      const version = JSON.stringify([file, seen.size, seen.mtimeMs]);
      if (firstScan && opts.newOnly) started.add(version);
      const before = previous.get(file);
      previous.set(file, seen);
      if (started.has(version) || stopped) continue;
      // Empty files are usually placeholders a copy is about to fill.
      const stable = before !== undefined && before.size === seen.size && before.mtimeMs === seen.mtimeMs && seen.size > 0;
      if (stable) await startFile(file, seen, version);
    }
    firstScan = false;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = (): void => {
    running = scan()
      .catch((err: Error) => opts.onError(undefined, `cannot read ${opts.dir}: ${err.message}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, opts.intervalMs);
      });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
