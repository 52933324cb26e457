// Spawns ffmpeg or ffprobe with an argument array (never a shell string),
// streams stdout by line, keeps the tail of stderr for error messages, and
// kills the process when the caller's AbortSignal fires.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mediaProcessEnv } from './mediaProcessEnv';

/**
 * util-linux's setpriv, which sets Linux's parent-death signal and then execs the command: a worker killed
 * outright (kill -9, OOM) takes its encoders with it instead of leaving them to burn the machine's cores.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** The program and arguments that run `command` so it dies with this process, where the system allows. */
export function launch(command: string, args: string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Called for each stdout line; when set, stdout is not buffered. */
  onLine?: (line: string) => void;
  /** Called for each raw stdout chunk (binary output such as raw video); when set, stdout is not buffered. */
  onChunk?: (chunk: Buffer) => void;
}

export interface RunResult {
  stdout: string;
  stderrTail: string;
}

export class ProcessError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(`${command} exited with ${exitCode === null ? 'a signal' : `code ${exitCode}`}: ${lastLines(stderrTail)}`);
    this.name = 'ProcessError';
  }
}

export class ProcessAbortedError extends Error {
  constructor(command: string) {
    super(`${command} was stopped because the work was cancelled`);
    this.name = 'ProcessAbortedError';
  }
}

const STDERR_TAIL_BYTES = 8192;

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-3).join(' | ') || 'no error output';
}

export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ProcessAbortedError(command));
      return;
    }
    const [program, argv] = launch(command, args);
    // With the parent-death signal in place, ffmpeg runs in a process group of its own: Ctrl-C in a terminal
    // signals the whole foreground group, and a draining worker's encodes must not stop with it.
    const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: SETPRIV !== undefined, env: mediaProcessEnv() });
    let stdout = '';
    let pending = '';
    let stderrTail = '';
    let aborted = false;

    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    if (options.onChunk) {
      child.stdout.on('data', options.onChunk);
    } else {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        if (!options.onLine) {
          stdout += chunk;
          return;
        }
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          options.onLine(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      });
    }
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const notFound = (): Error => new Error(`${command} was not found on PATH; run scripts/bootstrap.sh or install ffmpeg`);
    child.on('error', (err: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(err.code === 'ENOENT' ? notFound() : err);
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (pending && options.onLine) options.onLine(pending);
      if (aborted) reject(new ProcessAbortedError(command));
      else if (code === 0) resolve({ stdout, stderrTail });
      // setpriv's own report that it could not exec the command.
      else if (program !== command && code === 127 && /failed to execute/.test(stderrTail)) reject(notFound());
      else reject(new ProcessError(command, code, stderrTail));
    });
  });
}
