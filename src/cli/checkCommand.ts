// `shardflow check`: runs files through the real pipeline and proves each
// output frame by frame against a plain single-pass encode with the same
// settings. Users run it on their own library before trusting a migration.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkFile, type FileCheck } from '../check/checkFile';
import { countOutcomes, formatTable, passed, summaryLine } from '../check/report';
import { loadConfig } from '../config';
import { normalizeJob, type RenditionRequest } from '../core/job/jobInput';
import { connectClient, ensureSearchAttributes } from '../temporalConnection';
import { startWorkers } from '../worker';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { parseRendition, parseSeconds, RENDITION_HELP } from './renditionArgs';

/** Files in a folder that are checked; files named on the command line are checked whatever their name. */
const MEDIA_EXTENSIONS = new Set([
  '.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.flv', '.ts', '.m2ts', '.mts', '.mpg', '.mpeg', '.mxf', '.wmv', '.asf', '.3gp', '.3g2', '.ogv',
]);

const DEFAULT_RENDITION = 'mp4-360p';
const DEFAULT_SEGMENT_SECONDS = 2;
const DEFAULT_TIMEOUT_SECONDS = 1800;

interface CheckOptions {
  rendition?: string;
  segmentSeconds?: string;
  timeout?: string;
  keep?: boolean;
  json?: boolean;
}

/** The files to check: named files as given, and the media files directly inside named folders, in name order. */
export async function filesToCheck(args: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const stat = await fs.stat(arg).catch(() => undefined);
    if (!stat) throw new CliError(`${arg} does not exist`, ExitCode.Usage);
    if (stat.isDirectory()) {
      const entries = await fs.readdir(arg, { withFileTypes: true });
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.isFile() && !e.name.startsWith('.') && MEDIA_EXTENSIONS.has(path.extname(e.name).toLowerCase())) files.push(path.join(arg, e.name));
      }
    } else files.push(arg);
  }
  if (files.length === 0) throw new CliError(`no media files in ${args.join(', ')}`, ExitCode.Usage);
  return files;
}

function positiveNumber(name: string, arg: string | undefined, fallback: number): number {
  if (arg === undefined) return fallback;
  const n = Number(arg);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${name} must be a positive number, got ${JSON.stringify(arg)}`, ExitCode.Usage);
  return n;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('run files through the pipeline and compare every output frame with a single-pass encode of the same settings')
    .argument('<paths...>', 'media files, or folders whose media files are checked (not recursively)')
    .option('-r, --rendition <preset|json>', `${RENDITION_HELP.replace('; repeatable', '')} (default ${DEFAULT_RENDITION})`)
    .option('--segment-seconds <n>', `target shard length in seconds (default ${DEFAULT_SEGMENT_SECONDS}: many seams)`)
    .option('--timeout <seconds>', `give up on a file's job after this long (default ${DEFAULT_TIMEOUT_SECONDS})`)
    .option('--keep', 'keep the outputs and references (under the data folder, in check/) to look at them')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
A file passes when the pipeline's output has the single-pass reference's frame count and its worst frame,
compared with the source frame at the same time, is at most 3 dB worse than the reference's worst frame;
also the output's size, frame rate and audio must match. A file plain ffmpeg cannot decode passes when the
job fails in under 10 s with a non-retryable error and publishes nothing. Needs a Temporal server
(npx shardflow server start); the jobs run in a worker inside this command, on a task queue of their own.
Exit codes: 0 every file passes, 1 some file does not, 2 bad arguments, 3 no Temporal server.

Example:
  shardflow check ~/videos/library -r mp4-720p --segment-seconds 2
`,
    )
    .action(
      commandAction(async (paths: string[], opts: CheckOptions) => {
        const files = await filesToCheck(paths);
        const request: RenditionRequest = opts.rendition ? parseRendition(opts.rendition) : DEFAULT_RENDITION;
        const segmentSeconds = parseSeconds(opts.segmentSeconds) ?? DEFAULT_SEGMENT_SECONDS;
        const timeoutSeconds = positiveNumber('--timeout', opts.timeout, DEFAULT_TIMEOUT_SECONDS);
        // Validates the rendition and the segment length the way a job does, before anything starts.
        const job = normalizeJob({ source: 'file:///check', output: 'file:///check-output/', renditions: [request], segmentSeconds });
        const rendition = job.renditions[0];
        if (rendition.video.codec === 'copy') throw new CliError('check compares encoded video; a rendition that copies the video has nothing to compare', ExitCode.Usage);

        const base = loadConfig();
        const client = await connectClient(base);
        const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
        // A queue of its own, so the jobs run on this build's code, never on another worker's.
        const queue = `shardflow-check-${runId}`;
        const config = { ...base, taskQueue: queue, mediaTaskQueue: `${queue}-media` };
        const workDir = path.join(base.dataDir, 'check', runId);
        const checks: FileCheck[] = [];
        let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
        // Ctrl-C stops the check: the running job is terminated and the files done so far are reported.
        const interrupt = new AbortController();
        const onSignal = (): void => interrupt.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await ensureSearchAttributes(client, config.namespace);
          workers = await startWorkers({ config, quiet: true });
          for (const [i, file] of files.entries()) {
            if (interrupt.signal.aborted) break;
            const label = `check [${i + 1}/${files.length}] ${path.basename(file)}`;
            const progress = (line: string): void => void process.stderr.write(`${label}: ${line}\n`);
            const dir = path.join(workDir, `${i + 1}-${path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_')}`);
            const check = await checkFile(
              { client, config, request, rendition, segmentSeconds, workDir: dir, timeoutSeconds, threads: os.availableParallelism(), progress, signal: interrupt.signal },
              file,
              dir,
            );
            if (interrupt.signal.aborted) break;
            checks.push(check);
            progress(`${check.outcome} (${check.seconds.total.toFixed(1)} s)`);
            if (!opts.keep) await fs.rm(dir, { recursive: true, force: true });
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await workers?.shutdown();
          await client.connection.close();
          if (!opts.keep) await fs.rm(workDir, { recursive: true, force: true });
        }
        const interrupted = interrupt.signal.aborted;
        const allPass = !interrupted && checks.every(passed);
        if (opts.json) {
          const doc = {
            rendition: rendition.name,
            segmentSeconds,
            passed: allPass,
            ...(interrupted ? { interrupted: true } : {}),
            counts: countOutcomes(checks),
            files: checks,
            ...(opts.keep ? { kept: workDir } : {}),
          };
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        } else {
          process.stdout.write(`shardflow check: rendition ${rendition.name}, ${segmentSeconds} s shards\n\n`);
          process.stdout.write(formatTable(checks));
          if (interrupted) process.stdout.write(`\ninterrupted: ${checks.length} of ${files.length} file(s) checked\n`);
          else process.stdout.write(`\n${summaryLine(checks)}`);
          if (opts.keep) process.stdout.write(`outputs and references kept in ${workDir}\n`);
        }
        return allPass ? ExitCode.Ok : ExitCode.JobFailed;
      }),
    );
}
