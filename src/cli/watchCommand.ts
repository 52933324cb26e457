// `shardflow watch`: a local hot folder; every video dropped into it becomes a job.
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { normalizeJob } from '../core/job/jobInput';
import { joinObjectUrl } from '../core/objectUrl';
import { watchFolder } from '../triggers/folderWatcher';
import { CONTROL } from '../triggers/objectKey';
import { startOnce } from '../triggers/startOnce';
import { checkTemplate, renderTemplate } from '../triggers/urlTemplate';
import { commandAction } from './commandAction';
import { CliError, ExitCode } from './exitCodes';
import { outputUrl } from './objectArgs';
import { collect, parseRendition, RENDITION_HELP } from './renditionArgs';
import { untilStopped } from './triggerCommand';
import { withClient } from './withClient';

interface WatchOptions {
  output?: string;
  rendition: string[];
  segmentSeconds?: string;
  interval: string;
  newOnly?: boolean;
  json?: boolean;
}

/** A file name as printed: quoted when it holds control characters, which could rewrite the terminal. */
function shown(file: string): string {
  const name = path.basename(file);
  return CONTROL.test(name) ? JSON.stringify(name) : name;
}

function positiveNumber(flag: string, arg: string): number {
  const n = Number(arg);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number, got ${JSON.stringify(arg)}`, ExitCode.Usage);
  return n;
}

/** A folder or URL without placeholders gets one sub-folder per file: {key_base}/. */
function outputPattern(dir: string, arg: string | undefined): string {
  const base = outputUrl(arg ?? path.join(dir, 'transcoded'));
  const pattern = base.includes('{') ? base : joinObjectUrl(base.endsWith('/') ? base : `${base}/`, '{key_base}/');
  try {
    checkTemplate(pattern, '--output');
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.Usage);
  }
  return pattern;
}

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('watch a local folder and transcode every video dropped into it, once')
    .argument('<dir>', 'folder to watch (files directly in it; hidden and partial files are ignored)')
    .option('-o, --output <prefix>', 'output folder or URL; may use {key_base} and {key_ext} (default: <dir>/transcoded/{key_base}/)')
    .option('-r, --rendition <preset|json>', RENDITION_HELP, collect, [] as string[])
    .option('--segment-seconds <n>', 'target shard length in seconds (default: chosen from the source and the media slots)')
    .option('--interval <ms>', 'poll interval; a file starts once its size holds still across two polls', '2000')
    .option('--new-only', 'leave files already in the folder alone')
    .option('--json', 'print one JSON line per started job on stdout')
    .addHelpText('after', '\nExample:\n  shardflow watch ./inbox -o ./out -r mp4-720p -r mp4-360p\n')
    .action(
      commandAction(async (dirArg: string, opts: WatchOptions) => {
        const dir = path.resolve(dirArg);
        let isDir = false;
        try {
          isDir = statSync(dir).isDirectory();
        } catch {
          // Reported below.
        }
        if (!isDir) throw new CliError(`${dir} is not a folder`, ExitCode.Usage);
        const output = outputPattern(dir, opts.output);
        const job = {
          renditions: opts.rendition.length > 0 ? opts.rendition.map(parseRendition) : undefined,
          segmentSeconds: opts.segmentSeconds === undefined ? undefined : positiveNumber('--segment-seconds', opts.segmentSeconds),
        };
        // A bad preset or output fails now, not once per file.
        normalizeJob({ ...job, source: `file://${path.join(dir, 'sample.mp4')}`, output: renderTemplate(output, '', 'sample.mp4') });
        const intervalMs = positiveNumber('--interval', opts.interval);

        return withClient(async (client, config) => {
          const say = (line: string): void => void process.stderr.write(`${line}\n`);
          const watcher = watchFolder({
            dir,
            output,
            job,
            intervalMs,
            newOnly: opts.newOnly === true,
            start: (req) => startOnce(client, config, req),
            onJob(file, r) {
              if (opts.json) {
                process.stdout.write(`${JSON.stringify({ file, jobId: r.jobId, uiUrl: r.uiUrl, outcome: r.outcome, status: r.status })}\n`);
              } else if (r.outcome === 'started') {
                process.stdout.write(`started job ${r.jobId} for ${shown(file)}\nWeb UI: ${r.uiUrl}\n`);
              } else {
                process.stdout.write(`already started earlier: job ${r.jobId} for ${shown(file)} (${r.status})\nWeb UI: ${r.uiUrl}\n`);
              }
            },
            onError(file, message) {
              say(`shardflow watch: ${file ? `${shown(file)}: ` : ''}${message}`);
            },
          });
          say(`watching ${dir} every ${intervalMs} ms; outputs to ${output}; jobs go to task queue "${config.taskQueue}". Ctrl-C stops it.`);
          await untilStopped();
          await watcher.stop();
          return ExitCode.Ok;
        });
      }),
    );
}
