// The embedded Temporal: `temporal server start-dev` from the Temporal CLI,
// with its SQLite file in our data folder, so job history outlives restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from './config';
import { SEARCH_ATTRIBUTES } from './core/names';
import { connectionOptions } from './temporalConnection';

const REPO_ROOT = path.resolve(__dirname, '../..');

export interface DevServerPaths {
  dir: string;
  db: string;
  pid: string;
  log: string;
}

export function devServerPaths(config: Config): DevServerPaths {
  const dir = path.join(config.dataDir, 'temporal');
  return { dir, db: path.join(dir, 'temporal.sqlite'), pid: path.join(dir, 'server.pid'), log: path.join(dir, 'server.log') };
}

/** The Temporal CLI: SHARDFLOW_TEMPORAL_CLI, TEMPORAL_CLI, the one bootstrap installed, or `temporal` on PATH. */
export function findTemporalCli(): string {
  for (const candidate of [process.env.SHARDFLOW_TEMPORAL_CLI, process.env.TEMPORAL_CLI]) if (candidate) return candidate;
  const recorded = path.join(REPO_ROOT, '.tools', 'temporal-path');
  if (existsSync(recorded)) {
    const cli = readFileSync(recorded, 'utf8').trim();
    if (existsSync(cli)) return cli;
  }
  return 'temporal';
}

export function uiPort(config: Config): number {
  const m = /:(\d+)\/?$/.exec(config.uiUrl);
  return m ? Number(m[1]) : 8233;
}

export function startDevArgs(config: Config): string[] {
  const [host, port] = splitAddress(config.temporalAddress);
  const args = ['server', 'start-dev', '--ip', host, '--port', port, '--ui-port', String(uiPort(config))];
  args.push('--db-filename', devServerPaths(config).db, '--namespace', config.namespace, '--log-level', 'warn');
  // Write-ahead log, synced at checkpoints: a killed server loses nothing, and each of a job's thousands of
  // small writes no longer waits for the disk (1,000 no-op shards: 6.5 s instead of 37.5 s, side by side).
  // An operating-system crash may lose the last moments; production runs a real cluster (docs/production.md).
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const name of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);
  return args;
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  const host = i > 0 ? address.slice(0, i) : '127.0.0.1';
  return [host === 'localhost' ? '127.0.0.1' : host, i > 0 ? address.slice(i + 1) : '7233'];
}

/** True when a Temporal frontend answers at the configured address. */
export async function serverAnswers(config: Config, timeoutMs = 2000): Promise<boolean> {
  try {
    const conn = await Connection.connect({ ...connectionOptions(config), connectTimeout: timeoutMs });
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

export async function waitForServer(config: Config, seconds: number, child?: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await serverAnswers(config)) return true;
    if (child && child.exitCode !== null) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Runs the dev server in this terminal until it exits (Ctrl-C stops it). */
export function runDevServerForeground(config: Config): Promise<number> {
  mkdirSync(devServerPaths(config).dir, { recursive: true });
  const child = spawn(findTemporalCli(), startDevArgs(config), { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(cliMissing(err)));
    child.on('exit', (code) => resolve(code ?? 0));
  });
}

/** Starts the dev server in the background, detached from this process, and waits until it answers. */
export async function startDevServerDetached(config: Config): Promise<number> {
  const paths = devServerPaths(config);
  mkdirSync(paths.dir, { recursive: true });
  if (existsSync(paths.log)) renameSync(paths.log, `${paths.log}.1`);
  const log = openSync(paths.log, 'a');
  const child = spawn(findTemporalCli(), startDevArgs(config), { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (spawned) throw cliMissing(spawned);
  writeFileSync(paths.pid, String(child.pid));
  child.unref();
  if (!(await waitForServer(config, 60, child))) {
    try {
      process.kill(child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    rmSync(paths.pid, { force: true });
    const tail = existsSync(paths.log) ? readFileSync(paths.log, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    throw new Error(`the dev server did not answer at ${config.temporalAddress} within 60 s. Last log lines (${paths.log}):\n${tail}`);
  }
  return child.pid!;
}

/** The pid of a dev server this project started, if it still runs. */
export function ourServerPid(config: Config): number | undefined {
  const { pid } = devServerPaths(config);
  if (!existsSync(pid)) return undefined;
  const n = Number(readFileSync(pid, 'utf8').trim());
  try {
    process.kill(n, 0);
    const cmdline = existsSync(`/proc/${n}/cmdline`) ? readFileSync(`/proc/${n}/cmdline`, 'utf8') : 'start-dev';
    return cmdline.includes('start-dev') ? n : undefined;
  } catch {
    return undefined;
  }
}

export async function stopDevServer(config: Config): Promise<'stopped' | 'not-running'> {
  const pid = ourServerPid(config);
  rmSync(devServerPaths(config).pid, { force: true });
  if (pid === undefined) return 'not-running';
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 60; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return 'stopped';
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  process.kill(pid, 'SIGKILL');
  return 'stopped';
}

function cliMissing(err: Error): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new Error('the Temporal CLI was not found; run scripts/bootstrap.sh, or install it and set TEMPORAL_CLI');
  }
  return err;
}
