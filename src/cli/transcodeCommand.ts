// `shardflow transcode`: start a job from the command line.
import type { Command } from 'commander';
import { loadConfig } from '../config';
import type { TranscodeJobInput } from '../core/job/jobInput';
import { connectClient } from '../temporalConnection';
import { commandAction } from './commandAction';
import { runJob } from './jobRunner';
import { outputUrl, sourceUrl } from './objectArgs';
import { collect, parseRendition, parseSeconds, RENDITION_HELP } from './renditionArgs';

interface TranscodeOptions {
  output: string;
  rendition: string[];
  segmentSeconds?: string;
  jobId?: string;
  watermarkText?: string;
  watermarkImage?: string;
  wait?: boolean;
  json?: boolean;
}

export function registerTranscode(program: Command): void {
  program
    .command('transcode')
    .description('transcode a video into one or more renditions')
    .argument('<source>', 'local file, file:///abs/path, or a key in the local store')
    .requiredOption('-o, --output <prefix>', 'output prefix: a local folder (./out) or an object URL')
    .option('-r, --rendition <preset|json>', RENDITION_HELP, collect, [] as string[])
    .option('--segment-seconds <n>', 'target shard length in seconds (default: chosen from the source and the media slots)')
    .option('--job-id <id>', 'job id (default: generated)')
    .option('--watermark-text <text>', 'draw this text on every frame')
    .option('--watermark-image <url>', 'overlay this PNG on every frame')
    .option('--wait', 'follow the job with a progress bar and exit non-zero if it fails')
    .option('--json', 'print machine-readable JSON on stdout')
    .addHelpText('after', '\nExample:\n  shardflow transcode clip.mp4 -o ./out -r mp4-720p -r webm-720p --wait\n')
    .action(
      commandAction(async (source: string, opts: TranscodeOptions) => {
        const input: TranscodeJobInput = {
          source: sourceUrl(source),
          output: outputUrl(opts.output),
          renditions: opts.rendition.length > 0 ? opts.rendition.map(parseRendition) : undefined,
          segmentSeconds: parseSeconds(opts.segmentSeconds),
          jobId: opts.jobId,
        };
        if (opts.watermarkText !== undefined || opts.watermarkImage !== undefined) {
          input.watermark = { text: opts.watermarkText, image: opts.watermarkImage && sourceUrl(opts.watermarkImage) };
        }
        const config = loadConfig();
        const client = await connectClient(config);
        try {
          return await runJob(client, config, input, { wait: opts.wait === true, json: opts.json === true });
        } finally {
          await client.connection.close();
        }
      }),
    );
}
