// Reading /proc: CPU time of this process and of the children it waited for,
// resident memory of a process tree, and the dev server's process. Linux only,
// like the machines the bench runs on.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on every Linux the bench targets

export interface CpuSample {
  /** CPU of this process (worker threads included), ms. */
  selfMs: number;
  /** CPU of the children this process has reaped (ffmpeg, ffprobe), ms. */
  childrenMs: number;
}

function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; fields resume after its closing parenthesis.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function cpuNow(): CpuSample {
  const f = statFields('self');
  if (!f) return { selfMs: 0, childrenMs: 0 };
  // Field n of /proc/pid/stat is f[n - 3]: utime 14, stime 15, cutime 16, cstime 17.
  return { selfMs: (Number(f[11]) + Number(f[12])) * TICK_MS, childrenMs: (Number(f[13]) + Number(f[14])) * TICK_MS };
}

/** CPU a process has used so far (itself and its reaped children), ms. */
export function processCpuMs(pid: number): number | undefined {
  const f = statFields(pid);
  if (!f) return undefined;
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
}

function statusKb(pid: number, key: string): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Current resident set, MB. */
export function rssMb(pid: number): number | undefined {
  const kb = statusKb(pid, 'VmRSS');
  return kb === undefined ? undefined : kb / 1024;
}

/** Peak resident set since the process started (VmHWM), MB. */
export function peakRssMb(pid: number): number | undefined {
  const kb = statusKb(pid, 'VmHWM');
  return kb === undefined ? undefined : kb / 1024;
}

function allPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Every live descendant of `root`, with its command name. */
export function descendants(root: number): { pid: number; command: string }[] {
  const parent = new Map<number, number>();
  for (const pid of allPids()) {
    const f = statFields(pid);
    if (f) parent.set(pid, Number(f[1]));
  }
  const out: { pid: number; command: string }[] = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    while (p !== undefined && p > 1) {
      if (p === root) {
        out.push({ pid, command: cmdline(pid)[0]?.split('/').pop() ?? '?' });
        break;
      }
      p = parent.get(p);
    }
  }
  return out;
}

/** The local `temporal server start-dev` serving `address`, if it runs on this machine. */
export function findDevServer(address: string): number | undefined {
  const port = address.split(':').pop() ?? '7233';
  for (const pid of allPids()) {
    const args = cmdline(pid);
    if (!args.includes('start-dev')) continue;
    const i = args.findIndex((a) => a === '--port' || a === '-p');
    const given = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--port='))?.slice('--port='.length);
    if ((given ?? '7233') === port) return pid;
  }
  return undefined;
}

/**
 * Samples a process tree every `everyMs` until stopped: the worker's own RSS
 * and each ffmpeg/ffprobe child's, which are separate processes with their own memory.
 */
export class TreeMemorySampler {
  private timer: NodeJS.Timeout | undefined;
  workerPeakMb = 0;
  childPeakMb: Record<string, number> = {};
  childrenTotalPeakMb = 0;
  samples = 0;

  constructor(private readonly pid: number, private readonly everyMs = 200) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  sample(): void {
    this.samples++;
    const own = rssMb(this.pid);
    if (own !== undefined) this.workerPeakMb = Math.max(this.workerPeakMb, own);
    let total = 0;
    for (const child of descendants(this.pid)) {
      const mb = peakRssMb(child.pid) ?? rssMb(child.pid);
      if (mb === undefined) continue;
      total += rssMb(child.pid) ?? 0;
      this.childPeakMb[child.command] = Math.max(this.childPeakMb[child.command] ?? 0, mb);
    }
    this.childrenTotalPeakMb = Math.max(this.childrenTotalPeakMb, total);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
